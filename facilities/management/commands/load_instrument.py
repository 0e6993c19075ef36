"""Create or update a telescope, its instrument and its fields from a YAML description."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from facilities import instruments


class Command(BaseCommand):
    help = "Load config/instruments/<name>.yaml (idempotent); last line is a JSON summary."

    def add_arguments(self, parser):
        parser.add_argument("--config", required=True, help="path to the instrument YAML")
        parser.add_argument(
            "--fields-file", default=None, help="field grid CSV (overrides the YAML's file)"
        )

    def handle(self, *args, config, fields_file, **options):
        try:
            result = instruments.load_instrument_file(
                Path(config), Path(fields_file) if fields_file else None
            )
        except (OSError, instruments.ConfigError) as exc:
            raise CommandError(str(exc)) from exc
        if not result.tiles_written:
            self.stderr.write("fields unchanged")
        self.stdout.write(json.dumps(result.summary()))
