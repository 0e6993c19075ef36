"""Listen to GCN Kafka notices: ``python manage.py gcn_listen --config config/gcn.yaml``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from gcn import listener, tasks


class Command(BaseCommand):
    help = "Consume GCN notices from Kafka (store each, then commit its offset)."

    def add_arguments(self, parser):
        parser.add_argument("--config", default="config/gcn.yaml")
        parser.add_argument("--max-messages", type=int, default=None, help="stop after N")
        parser.add_argument(
            "--max-idle-polls", type=int, default=None, help="stop after N empty polls"
        )
        parser.add_argument(
            "--no-metrics", action="store_true", help="do not record figures in Redis"
        )

    def handle(self, *args, **opts):
        try:
            config = listener.load_config(opts["config"])
        except listener.ConfigError as exc:
            raise CommandError(str(exc)) from exc
        metrics = None
        if not opts["no_metrics"]:
            from icare_tom.stream_metrics import StreamMetrics

            metrics = StreamMetrics("gcn", prefix=listener.METRICS_PREFIX)
        run = listener.GcnListener(config, on_localization=tasks.queue_crossmatch, metrics=metrics)
        run.install_signal_handlers()
        self.stderr.write(f"listening to {len(config.topics)} GCN topic(s) as {config.group_id}")
        counts = run.run(max_messages=opts["max_messages"], max_idle_polls=opts["max_idle_polls"])
        self.stdout.write(json.dumps(counts))
