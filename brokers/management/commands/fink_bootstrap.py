from django.core.management.base import BaseCommand

from brokers.fink.bootstrap import DEFAULT_GROUP, bootstrap


class Command(BaseCommand):
    help = (
        "Create (idempotently) the owning group, the Fink stream of a survey, one filter "
        "per topic and the Fink taxonomy."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", choices=["ztf", "lsst"], action="append")
        parser.add_argument("--topic", action="append", default=[], help="repeatable")
        parser.add_argument("--group", default=DEFAULT_GROUP)

    def handle(self, *args, **options):
        for survey in options["survey"] or ["ztf", "lsst"]:
            setup = bootstrap(survey, options["topic"], options["group"])
            topics = ", ".join(sorted(setup.filter_ids)) or "no topics"
            self.stdout.write(f"{setup.stream_name}: group {options['group']}, filters: {topics}")
