"""Run one Fink stream consumer: ``python manage.py fink_stream --config config/fink_ztf.yaml``."""

import logging

from django.core.management import BaseCommand, CommandError

from brokers.fink.config import ConfigError, load_config
from brokers.fink.consumer import FinkStreamConsumer
from icare_tom.stream_metrics import StreamMetrics


class Command(BaseCommand):
    help = (
        "Consume a Fink Kafka stream (ZTF or LSST) into the database; offsets are committed "
        "only after each batch's transaction. Stop with SIGTERM or Ctrl-C."
    )

    def add_arguments(self, parser):
        parser.add_argument("--config", required=True, help="YAML file describing the stream")
        parser.add_argument(
            "--max-batches",
            type=int,
            default=None,
            help="stop after this many non-empty batches (default: run until stopped)",
        )
        parser.add_argument(
            "--no-metrics", action="store_true", help="do not record figures in Redis"
        )

    def handle(self, *args, **options):
        try:
            config = load_config(options["config"])
        except ConfigError as error:
            raise CommandError(str(error)) from None
        logging.basicConfig(
            level=logging.INFO if options["verbosity"] >= 1 else logging.WARNING,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )
        metrics = None if options["no_metrics"] else StreamMetrics(config.name)
        consumer = FinkStreamConsumer(config, metrics=metrics)
        consumer.install_signal_handlers()
        totals = consumer.run(max_batches=options["max_batches"])
        self.stdout.write(f"{config.name}: {totals}")
