"""The Fink stream service: Kafka → normalized alerts → one transaction per batch → commit.

Delivery guarantee (at-least-once reading, exactly-once effect):

1. poll up to ``batch_size`` messages (waiting at most ``poll_timeout_s``);
2. refuse each message above ``ICARE_MAX_ALERT_MESSAGE_BYTES`` before decoding it
   (quarantined as ``too_large`` with its first bytes and SHA-256; the Kafka client's
   fetch limits follow that cap, :func:`icare_tom.streams.kafka_size_limits`), decode
   the others (:func:`brokers.fink.wire.decode_message`) and normalize it
   (:func:`brokers.fink.parsing.parse_alerts`); a record that fails either is kept as a
   :class:`RejectedRecord` (raw bytes, topic/partition/offset, reason) for quarantine;
3. store the whole batch with :func:`brokers.fink.ingest.ingest_batch` (one
   committed transaction, idempotent writes);
4. only then commit, synchronously, each partition's last offset + 1.

The steps run one after the other in one thread. Kafka's client fetches the next
messages in its own threads meanwhile. A writer thread storing batch k while this
thread decodes batch k+1 was measured no faster on two cores (``bench/ingest.py``): the
two threads contend for the GIL after every database round trip.

The loop itself (store then commit, backoff through database outages, signals,
metrics) is :class:`icare_tom.streams.StoreThenCommitLoop`; this module is the Fink
handler: Kafka polling, decoding, the ingest, offsets and lag.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from django import db
from django.conf import settings

from brokers.fink.avrodecode import compiled_decoder_available
from brokers.fink.config import StreamConfig
from brokers.fink.errors import AlertRejected
from brokers.fink.parsing import parse_alerts
from brokers.fink.wire import SchemaCache, decode_message
from icare_tom.stream_metrics import StreamMetrics
from icare_tom.streams import DATABASE_ERRORS, StoreThenCommitLoop, kafka_size_limits, oversized

__all__ = ["Batch", "FinkStreamConsumer"]

logger = logging.getLogger("brokers.fink.stream")

LAG_EVERY_S = 5.0


class Batch:
    """One poll's worth of messages, decoded and normalized."""

    def __init__(self) -> None:
        self.alerts: list[Any] = []  # ReceivedAlert
        self.rejected: list[Any] = []  # RejectedRecord
        self.next_offsets: dict[tuple[str, int], int] = {}
        self.kafka_timestamps_s: list[float | None] = []

    def __len__(self) -> int:
        return len(self.alerts) + len(self.rejected)

    def offsets_to_commit(self) -> list[TopicPartition]:
        return [TopicPartition(t, p, o) for (t, p), o in sorted(self.next_offsets.items())]


def _kafka_timestamp(message: Any) -> datetime | None:
    kind, millis = message.timestamp()
    if kind == 0 or millis is None or millis < 0:  # TIMESTAMP_NOT_AVAILABLE
        return None
    return datetime.fromtimestamp(millis / 1000.0, tz=UTC)


class FinkStreamConsumer(StoreThenCommitLoop[Batch]):
    """Consume one Fink survey's topics into the database (see module docstring)."""

    def __init__(
        self,
        config: StreamConfig,
        *,
        metrics: StreamMetrics | None = None,
        schema_cache: SchemaCache | None = None,
        bootstrap: bool = True,
        max_message_bytes: int | None = None,
    ) -> None:
        super().__init__(config.name, metrics=metrics, logger=logger)
        self.config = config
        self.max_message_bytes = max_message_bytes or settings.ICARE_MAX_ALERT_MESSAGE_BYTES
        self.schema_cache = schema_cache or SchemaCache()
        self.bootstrap = bootstrap
        self._consumer: Consumer | None = None
        self._bootstrapped = False
        self._last_lag_at = 0.0
        self.totals = {"read": 0, "ingested": 0, "quarantined": 0, "batches": 0}

    def run(self, *, max_batches: int | None = None) -> dict[str, int]:
        """Consume until stopped (or ``max_batches`` non-empty batches); returns totals."""
        self.run_loop(max_batches=max_batches)
        self.totals["batches"] = self.batches
        logger.info("%s: stopped after %s", self.config.name, self.totals)
        return dict(self.totals)

    def open(self) -> None:
        config = self.config
        self._consumer = Consumer(
            {**kafka_size_limits(self.max_message_bytes), **config.kafka_config()}, logger=logger
        )
        self._consumer.subscribe(
            list(config.topics), on_assign=self._on_assign, on_revoke=self._on_revoke
        )
        if self.metrics:
            self.safe_metrics(
                self.metrics.started,
                topics=config.topics,
                group_id=config.group_id,
                survey=config.survey,
            )
        logger.info(
            "%s: consuming %s from %s as group %s",
            config.name,
            ", ".join(config.topics),
            config.servers,
            config.group_id,
        )
        # Ready before the first message: the compiled decoder loaded, the database
        # connected and bootstrapped (or, if it is down, retrying in store()).
        from brokers.fink.ingest import tune_garbage_collector

        compiled_decoder_available()
        self._prepare_database()
        tune_garbage_collector()

    def close(self) -> None:
        db.connections.close_all()
        if self._consumer is not None:
            self._consumer.close()  # leaves the group: partitions move at once
        if self.metrics:
            self.safe_metrics(self.metrics.stopped)

    def poll(self) -> Batch | None:
        return self.poll_batch()

    def _on_assign(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        logger.info("%s: assigned %s", self.config.name, _describe(partitions))

    def _on_revoke(self, consumer: Consumer, partitions: list[TopicPartition]) -> None:
        logger.info("%s: revoked %s", self.config.name, _describe(partitions))

    # steps -----------------------------------------------------------------------------
    def poll_batch(self) -> Batch | None:
        """Poll one batch and decode it; ``None`` when nothing arrived."""
        assert self._consumer is not None
        messages = self._consumer.consume(self.config.batch_size, self.config.poll_timeout_s)
        if not messages:
            return None
        from brokers.fink.ingest import ReceivedAlert

        batch = Batch()
        decoded: list[tuple[Any, dict[str, Any]]] = []
        for message in messages:
            error = message.error()
            if error is not None:
                if error.code() == KafkaError._PARTITION_EOF:
                    continue
                if error.fatal():
                    raise KafkaException(error)
                logger.warning("%s: Kafka error: %s", self.config.name, error)
                continue
            key = (message.topic(), message.partition())
            batch.next_offsets[key] = max(batch.next_offsets.get(key, 0), message.offset() + 1)
            where = f"{message.topic()}[{message.partition()}]@{message.offset()}"
            refused = oversized(message.value(), self.max_message_bytes, where)
            if refused is not None:
                rejection = AlertRejected("too_large", refused.detail)
                self._quarantine(batch, message, rejection, raw=refused.prefix)
                continue
            try:
                record = decode_message(
                    message.value() or b"", message.key(), schema_cache=self.schema_cache,
                    complete=False,
                )  # fmt: skip
            except AlertRejected as rejection:
                self._quarantine(batch, message, rejection)
            else:
                decoded.append((message, record))
        parsed = parse_alerts(
            [record for _, record in decoded],
            self.config.survey,
            [message.topic() for message, _ in decoded],
        )
        for (message, _), alert in zip(decoded, parsed, strict=True):
            if isinstance(alert, AlertRejected):
                self._quarantine(batch, message, alert)
                continue
            timestamp = _kafka_timestamp(message)
            batch.alerts.append(
                ReceivedAlert(
                    alert=alert,
                    raw=message.value() or b"",
                    topic=message.topic(),
                    kafka_timestamp=timestamp,
                    partition=message.partition(),
                    offset=message.offset(),
                )
            )
            batch.kafka_timestamps_s.append(timestamp.timestamp() if timestamp else None)
        return batch if batch.next_offsets else None

    def _quarantine(
        self, batch: Batch, message: Any, rejection: AlertRejected, raw: bytes | None = None
    ) -> None:
        """Keep ``message`` in ``batch`` as a rejected record, with its reason (and its bytes,
        or only ``raw`` of them)."""
        from brokers.fink.ingest import RejectedRecord

        topic, partition, offset = message.topic(), message.partition(), message.offset()
        batch.rejected.append(
            RejectedRecord(
                raw=(message.value() or b"") if raw is None else raw,
                reason=rejection.reason,
                detail=rejection.detail,
                topic=topic,
                partition=partition,
                offset=offset,
            )
        )
        logger.warning(
            "%s: quarantined %s[%s]@%s: %s", self.config.name, topic, partition, offset, rejection
        )

    def store(self, batch: Batch) -> Any:
        """Store ``batch`` in one transaction (the loop retries it through outages)."""
        from brokers.fink.ingest import ingest_batch

        self._ensure_bootstrapped()
        return ingest_batch(
            batch.alerts,
            batch.rejected,
            survey=self.config.survey,
            group_name=self.config.owning_group,
        )

    def stored(self, batch: Batch, report: Any, committed_at: float) -> None:
        stats = report.as_dict()
        for name in ("read", "ingested", "quarantined"):
            self.totals[name] += int(stats.get(name, 0))
        if self.metrics:
            self.safe_metrics(
                self.metrics.record_batch,
                batch.kafka_timestamps_s,
                committed_at,
                stored=len(batch.alerts),
            )
        logger.info("%s: stored batch %s", self.config.name, stats)

    def commit(self, batch: Batch) -> None:
        """Commit the batch's offsets (synchronously) after its transaction committed."""
        assert self._consumer is not None
        offsets = batch.offsets_to_commit()
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
        except KafkaException as error:
            # Typically a rebalance took the partitions away meanwhile: the new owner
            # re-reads from the last committed offset, and the replay is harmless.
            logger.warning(
                "%s: offset commit failed (%s); the batch will be replayed harmlessly",
                self.config.name,
                error,
            )
        self._maybe_report_lag()

    def idle(self) -> None:
        super().idle()
        self._maybe_report_lag()

    def _prepare_database(self) -> None:
        try:
            self._ensure_bootstrapped()
            db.connection.ensure_connection()
        except DATABASE_ERRORS as error:
            logger.warning("%s: database not ready yet (%s)", self.config.name, error)
            db.connections.close_all()

    def _ensure_bootstrapped(self) -> None:
        if self._bootstrapped or not self.bootstrap:
            return
        from brokers.fink.bootstrap import bootstrap

        bootstrap(
            survey=self.config.survey,
            topics=list(self.config.topics),
            group_name=self.config.owning_group,
        )
        self._bootstrapped = True

    def _maybe_report_lag(self) -> None:
        now = time.monotonic()
        if self.metrics is None or self._consumer is None or now - self._last_lag_at < LAG_EVERY_S:
            return
        self._last_lag_at = now
        self.safe_metrics(self.metrics.record_lag, self.lag())

    def lag(self) -> dict[tuple[str, int], int]:
        """Messages not yet consumed per assigned partition (from cached watermarks)."""
        assert self._consumer is not None
        assignment = self._consumer.assignment()
        if not assignment:
            return {}
        lags: dict[tuple[str, int], int] = {}
        for tp in self._consumer.position(assignment):
            try:
                low, high = self._consumer.get_watermark_offsets(tp, timeout=1.0, cached=True)
                if high < 0:
                    low, high = self._consumer.get_watermark_offsets(tp, timeout=1.0)
            except KafkaException:
                continue
            position = tp.offset if tp.offset >= 0 else low
            lags[(tp.topic, tp.partition)] = max(0, high - position)
        return lags


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"
