"""Produce simulated Fink alerts to Kafka at a steady rate (demo, tests, benchmarks)."""

import signal
import time

from django.core.management import BaseCommand, CommandError

from brokers.fink.simulator_producer import produce_alerts


class Command(BaseCommand):
    help = (
        "Produce schema-valid simulated Fink alerts (ZTF or LSST: rising/fading transients, "
        "variables, kilonova-like fast faders, with histories and cutouts) to a Kafka topic, "
        "in Fink's wire format."
    )

    def add_arguments(self, parser):
        parser.add_argument("--survey", choices=["ztf", "lsst"], required=True)
        parser.add_argument("--rate", type=float, default=10.0, help="alerts per second")
        parser.add_argument("--kafka", required=True, help="bootstrap servers, host:port")
        parser.add_argument("--topic", required=True)
        parser.add_argument(
            "--count", type=int, default=None, help="stop after this many (default: forever)"
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="same seed, same alerts (default: a new seed each run, from the clock)",
        )
        parser.add_argument(
            "--pregenerate",
            action="store_true",
            help="build all --count alerts before sending, so the rate holds (benchmarks)",
        )
        parser.add_argument(
            "--time-ordered",
            action="store_true",
            help="with --pregenerate: send in observation-time order, as a survey does",
        )
        parser.add_argument(
            "--wait-for-topic",
            type=float,
            default=60.0,
            help="seconds to wait for the broker and topic to exist before giving up",
        )

    def handle(self, *args, **options):
        if options["rate"] <= 0:
            raise CommandError("--rate must be positive")
        if options["pregenerate"] and options["count"] is None:
            raise CommandError("--pregenerate needs --count")
        if options["time_ordered"] and not options["pregenerate"]:
            raise CommandError("--time-ordered needs --pregenerate")
        stopping = []

        def stop(*_):
            stopping.append(True)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        seed = options["seed"] if options["seed"] is not None else int(time.time()) % 997
        self.stdout.write(
            f"{options['topic']}: producing {options['survey']} alerts at {options['rate']}/s "
            f"to {options['kafka']} (seed {seed})"
        )
        started = time.monotonic()
        try:
            sent = produce_alerts(
                survey=options["survey"],
                bootstrap=options["kafka"],
                topic=options["topic"],
                rate=options["rate"],
                count=options["count"],
                seed=seed,
                pregenerate=options["pregenerate"],
                time_ordered=options["time_ordered"],
                should_stop=lambda: bool(stopping),
                wait_for_topic_s=options["wait_for_topic"],
                progress=lambda n: self.stdout.write(f"{options['topic']}: {n} alerts produced"),
            )
        except TimeoutError as error:
            raise CommandError(str(error)) from None
        elapsed = time.monotonic() - started
        self.stdout.write(
            f"{options['topic']}: produced {sent} {options['survey']} alerts in {elapsed:.1f} s"
        )
