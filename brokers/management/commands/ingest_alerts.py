import json

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from brokers.fink.bootstrap import DEFAULT_GROUP
from brokers.fink.files import DEFAULT_BATCH_SIZE, ingest_files
from brokers.fink.ingest import tune_garbage_collector


class Command(BaseCommand):
    help = (
        "Ingest Fink alerts from Avro container files through the stream's ingest path; "
        'prints one JSON line {"read", "ingested", "quarantined", "new_targets", '
        '"new_photometry"} last. Each refused or damaged file is named on stderr with the '
        "reason and detail; a file larger than --max-file-bytes is refused before it is read "
        "and one bad file never stops the next. Exit status 1 when anything was quarantined "
        "or could not be read, 0 otherwise."
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--survey", required=True, choices=["ztf", "lsst"])
        parser.add_argument("--topic", help="topic/filter the alerts count as passing")
        parser.add_argument("--group", default=DEFAULT_GROUP, help="owning TOM group")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
        parser.add_argument(
            "--max-file-bytes",
            type=int,
            default=settings.ICARE_MAX_ALERT_FILE_BYTES,
            help="refuse larger files before reading them (default: "
            "ICARE_MAX_ALERT_FILE_BYTES, %(default)s)",
        )

    def handle(self, *args, **options):
        tune_garbage_collector()
        report, unreadable = ingest_files(
            options["paths"],
            survey=options["survey"],
            topic=options["topic"],
            group_name=options["group"],
            batch_size=options["batch_size"],
            max_file_bytes=options["max_file_bytes"],
            on_problem=lambda path, reason, detail: self.stderr.write(
                f"{path}: {reason}: {detail[:500]}"
            ),
        )
        for path in unreadable:
            self.stderr.write(f"cannot read {path}")
        self.stdout.write(json.dumps(report.as_dict()))
        if len(unreadable) == len(options["paths"]):
            raise CommandError("no file could be read")
        if unreadable or report.quarantined:
            raise CommandError(
                f"{report.quarantined} record(s) or file(s) quarantined, "
                f"{len(unreadable)} file(s) unreadable"
            )
