"""Load a GLADE+-style galaxy catalog CSV (streamed, binary COPY)."""

from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gcn import galaxies


class Command(BaseCommand):
    help = (
        "Load galaxies from a CSV with a header row (name, ra, dec, distance [Mpc], "
        "distance_err, B, K, W1) into the named catalog."
    )

    def add_arguments(self, parser):
        parser.add_argument("--catalog", required=True, help="catalog name, e.g. GLADE+")
        parser.add_argument("file")
        parser.add_argument(
            "--replace", action="store_true", help="empty the catalog before loading"
        )

    def handle(self, *args, **opts):
        path = Path(opts["file"])
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        start = time.monotonic()

        def progress(n: int) -> None:
            self.stderr.write(f"{n} rows ({n / (time.monotonic() - start):.0f}/s)")

        try:
            n = galaxies.load_catalog(
                opts["catalog"], path, replace=opts["replace"], progress=progress
            )
        except galaxies.CatalogFormatError as exc:
            raise CommandError(str(exc)) from exc
        elapsed = time.monotonic() - start
        self.stdout.write(
            json.dumps({"catalog": opts["catalog"], "loaded": n, "seconds": round(elapsed, 1)})
        )
