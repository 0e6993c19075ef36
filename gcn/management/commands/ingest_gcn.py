"""Ingest GCN notices from files (JSON, VOEvent XML, LVK Avro); same code path as the listener."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gcn import events, tasks


class Command(BaseCommand):
    help = (
        "Ingest GCN notice files (or directories of them). Prints one JSON line at the end: "
        '{"read", "ingested", "quarantined", "events", "localizations"}.'
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", help="notice files or directories")
        parser.add_argument(
            "--no-crossmatch",
            action="store_true",
            help="do not queue the crossmatch of new localizations",
        )

    def handle(self, *paths, **opts):
        files: list[Path] = []
        for p in map(Path, opts["paths"]):
            if p.is_dir():
                files += sorted(f for f in p.rglob("*") if f.is_file())
            elif p.is_file():
                files.append(p)
            else:
                raise CommandError(f"no such file or directory: {p}")
        on_loc = None if opts["no_crossmatch"] else tasks.queue_crossmatch
        counts = {"read": 0, "ingested": 0, "quarantined": 0, "events": 0, "localizations": 0}
        for f in files:
            result = events.ingest_bytes(
                f.read_bytes(), origin=str(f), filename_hint=f.name, on_localization=on_loc
            )
            counts["read"] += 1
            if result.status == "quarantined":
                counts["quarantined"] += 1
                self.stderr.write(f"{f}: quarantined ({result.quarantine.reason})")
            elif result.status == "ingested":
                counts["ingested"] += 1
                counts["events"] += int(result.event_created)
                counts["localizations"] += len(result.localizations)
        self.stdout.write(json.dumps(counts))
