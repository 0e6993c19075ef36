"""GCN Kafka listener: store every notice, then commit its offset (at-least-once, idempotent).

Configuration is a YAML file (``config/gcn.yaml``); values may name environment
variables as ``${NAME}`` (required) or ``${NAME:-default}`` (:mod:`icare_tom.config`),
so the client id and secret never live in the file::

    client_id: ${GCN_CLIENT_ID:-}        # empty: no authentication (a local broker)
    client_secret: ${GCN_CLIENT_SECRET:-}
    domain: gcn.nasa.gov                 # or test.gcn.nasa.gov
    group_id: icare-tom                  # consumer group: offsets survive restarts
    topics: [igwn.gwalert, gcn.classic.voevent.FERMI_GBM_GND_POS, ...]
    kafka: {}                            # extra librdkafka settings

A message is stored (or quarantined with its reason) before its offset is
committed; re-delivery after a crash is harmless because notices are unique. A
message above the notice size cap (``ICARE_MAX_NOTICE_BYTES``) is quarantined as
``too_large`` before it is parsed, with its first bytes, SHA-256, topic, partition and
offset; the consumer's fetch limits follow that cap. The loop
(backoff through database outages, signals, metrics for ``/health``) is
:class:`icare_tom.streams.StoreThenCommitLoop`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.utils import timezone

from gcn import events
from gcn import notices as gn
from gcn.models import Localization
from icare_tom.config import ConfigError, load_mapping
from icare_tom.streams import StoreThenCommitLoop, kafka_size_limits, oversized

__all__ = ["ConfigError", "GcnListener", "ListenerConfig", "handle_message", "load_config"]

logger = logging.getLogger(__name__)

# Redis key prefix of the listener's figures (icare_tom.stream_metrics), shown on /health.
METRICS_PREFIX = "icare:gcn-listener"


@dataclass(frozen=True)
class ListenerConfig:
    topics: tuple[str, ...]
    group_id: str
    client_id: str = ""
    client_secret: str = ""
    domain: str = "gcn.nasa.gov"
    poll_timeout_s: float = 1.0
    kafka: Mapping[str, Any] = field(default_factory=dict)

    def consumer_config(self) -> dict[str, Any]:
        config = {
            "group.id": self.group_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            **kafka_size_limits(gn.MAX_NOTICE_BYTES),
            **dict(self.kafka),
        }
        return config


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> ListenerConfig:
    """Read and check the YAML file; a problem raises :class:`ConfigError` naming it."""
    data = load_mapping(path, environ)
    topics = data.get("topics")
    if not topics or not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise ConfigError(f"{path}: topics must be a non-empty list of names")
    group_id = str(data.get("group_id") or "").strip()
    if not group_id:
        raise ConfigError(f"{path}: group_id is required (offsets are kept per group)")
    try:
        poll = float(data.get("poll_timeout_s", 1.0))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: poll_timeout_s must be a number") from exc
    kafka = data.get("kafka") or {}
    if not isinstance(kafka, dict):
        raise ConfigError(f"{path}: kafka must be a mapping of librdkafka settings")
    return ListenerConfig(
        topics=tuple(topics),
        group_id=group_id,
        client_id=str(data.get("client_id") or ""),
        client_secret=str(data.get("client_secret") or ""),
        domain=str(data.get("domain") or "gcn.nasa.gov"),
        poll_timeout_s=poll,
        kafka=kafka,
    )


def handle_message(
    message: Any, on_localization: Callable[[Localization], None] | None = None
) -> events.IngestResult:
    """Store one Kafka message's notice (or quarantine it). ``origin`` = topic:partition:offset."""
    origin = f"{message.topic()}:{message.partition()}:{message.offset()}"
    value = message.value() or b""
    refused = oversized(value, gn.MAX_NOTICE_BYTES, origin)
    if refused is not None:
        row = events.quarantine(
            refused.prefix,
            gn.NoticeRejected("too_large", refused.detail),
            origin,
            timezone.now(),
            digest=refused.sha256,
            size=refused.size,
        )
        return events.IngestResult("quarantined", quarantine=row)
    return events.ingest_bytes(value, origin=origin, on_localization=on_localization)


class GcnListener(StoreThenCommitLoop[list]):
    """Consume GCN topics; store, then commit each message's offset.

    A batch is one message (notices are rare and each may carry a sky map to tile)."""

    def __init__(
        self,
        config: ListenerConfig,
        on_localization: Callable[[Localization], None] | None = None,
        *,
        metrics: Any = None,
        name: str = "gcn",
    ) -> None:
        super().__init__(name, metrics=metrics, logger=logger)
        self.config = config
        self.on_localization = on_localization
        self.counts = {"read": 0, "ingested": 0, "duplicate": 0, "quarantined": 0}
        self._consumer: Any = None

    def make_consumer(self):
        from gcn_kafka import Consumer

        cfg = self.config
        return Consumer(
            config=cfg.consumer_config(),
            client_id=cfg.client_id or None,
            client_secret=cfg.client_secret or None,
            domain=cfg.domain,
        )

    def run(self, *, max_messages: int | None = None, max_idle_polls: int | None = None):
        """Loop until stopped (or ``max_messages`` stored / ``max_idle_polls`` empty polls)."""
        self.run_loop(max_batches=max_messages, max_idle_polls=max_idle_polls)
        return dict(self.counts)

    def open(self) -> None:
        self._consumer = self.make_consumer()
        self._consumer.subscribe(list(self.config.topics))
        if self.metrics:
            self.safe_metrics(
                self.metrics.started,
                topics=self.config.topics,
                group_id=self.config.group_id,
                survey="gcn",
            )

    def poll(self) -> list | None:
        from confluent_kafka import KafkaError

        message = self._consumer.poll(self.config.poll_timeout_s)
        if message is None:
            return None
        if message.error():
            if message.error().code() != KafkaError._PARTITION_EOF:
                logger.error("GCN Kafka error: %s", message.error())
            return None
        return [message]

    def store(self, batch: list) -> events.IngestResult:
        (message,) = batch
        return handle_message(message, self.on_localization)

    def stored(self, batch: list, result: events.IngestResult, committed_at: float) -> None:
        self.counts["read"] += 1
        self.counts[result.status] += 1
        if self.metrics:
            kind, millis = batch[0].timestamp()
            sent = millis / 1000.0 if kind and millis and millis > 0 else None
            self.safe_metrics(self.metrics.record_batch, [sent], committed_at, stored=1)

    def commit(self, batch: list) -> None:
        self._consumer.commit(message=batch[0], asynchronous=False)

    def close(self) -> None:
        if self._consumer is not None:
            self._consumer.close()
        if self.metrics:
            self.safe_metrics(self.metrics.stopped)
