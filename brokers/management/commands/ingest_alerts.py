import json

from django.core.management.base import BaseCommand, CommandError

from brokers.fink.bootstrap import DEFAULT_GROUP
from brokers.fink.files import DEFAULT_BATCH_SIZE, ingest_files
from brokers.fink.ingest import tune_garbage_collector


class Command(BaseCommand):
    help = (
        "Ingest Fink alerts from Avro container files through the stream's ingest path; "
        'prints one JSON line {"read", "ingested", "quarantined", "new_targets", '
        '"new_photometry"} last.'
    )

    def add_arguments(self, parser):
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--survey", required=True, choices=["ztf", "lsst"])
        parser.add_argument("--topic", help="topic/filter the alerts count as passing")
        parser.add_argument("--group", default=DEFAULT_GROUP, help="owning TOM group")
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)

    def handle(self, *args, **options):
        tune_garbage_collector()
        report, unreadable = ingest_files(
            options["paths"],
            survey=options["survey"],
            topic=options["topic"],
            group_name=options["group"],
            batch_size=options["batch_size"],
        )
        for path in unreadable:
            self.stderr.write(f"cannot read {path}")
        self.stdout.write(json.dumps(report.as_dict()))
        if len(unreadable) == len(options["paths"]):
            raise CommandError("no file could be read")
