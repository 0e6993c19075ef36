"""Ingest GCN notices from files (JSON, VOEvent XML, LVK Avro); same code path as the listener."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from gcn import events, tasks
from gcn import notices as gn


class Command(BaseCommand):
    help = (
        "Ingest GCN notice files (or directories of them). Prints one JSON line at the end: "
        '{"read", "ingested", "quarantined", "events", "localizations"}. Each quarantined '
        "file is named on stderr with its reason and detail; a file larger than the notice "
        "size limit is refused before it is read. One bad file never stops the next. Exit "
        "status 1 when anything was quarantined, 0 otherwise."
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
            counts["read"] += 1
            try:
                result = _ingest_file(f, on_loc)
            except Exception as exc:
                counts["quarantined"] += 1
                self.stderr.write(f"{f}: failed ({type(exc).__name__}): {str(exc)[:300]}")
                continue
            if result.status == "quarantined":
                counts["quarantined"] += 1
                row = result.quarantine
                self.stderr.write(f"{f}: quarantined ({row.reason}): {row.detail[:300]}")
            elif result.status == "ingested":
                counts["ingested"] += 1
                counts["events"] += int(result.event_created)
                counts["localizations"] += len(result.localizations)
        self.stdout.write(json.dumps(counts))
        if counts["quarantined"]:
            raise CommandError(f"{counts['quarantined']} of {counts['read']} files quarantined")


def _ingest_file(path: Path, on_localization) -> events.IngestResult:
    """One file; one larger than a notice may be is refused from its size, before reading
    (its first bytes and its SHA-256, computed in chunks, go to the quarantine)."""
    size = path.stat().st_size
    if size > gn.MAX_NOTICE_BYTES:
        digest = hashlib.sha256()
        with path.open("rb") as stream:
            prefix = stream.read(events.QUARANTINE_PREFIX_BYTES)
            digest.update(prefix)
            for chunk in iter(lambda: stream.read(1 << 20), b""):
                digest.update(chunk)
        refused = gn.NoticeRejected("too_large", f"{size} bytes > {gn.MAX_NOTICE_BYTES}")
        row = events.quarantine(
            prefix, refused, str(path), timezone.now(), digest=digest.hexdigest(), size=size
        )
        return events.IngestResult("quarantined", quarantine=row)
    return events.ingest_bytes(
        path.read_bytes(),
        origin=str(path),
        filename_hint=path.name,
        on_localization=on_localization,
    )
