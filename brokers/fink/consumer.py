"""The Fink stream service: Kafka → normalized alerts → one transaction per batch → commit.

Delivery guarantee (at-least-once reading, exactly-once effect):

1. poll up to ``batch_size`` messages (waiting at most ``poll_timeout_s``);
2. decode each (:func:`brokers.fink.wire.decode_message`) and normalize it
   (:func:`brokers.fink.parsing.parse_alerts`); a record that fails either is kept as a
   :class:`RejectedRecord` (raw bytes, topic/partition/offset, reason) for quarantine;
3. store the whole batch with :func:`brokers.fink.ingest.ingest_batch` (one
   committed transaction, idempotent writes);
4. only then commit, synchronously, each partition's last offset + 1.

The steps run one after the other in one thread. Kafka's client fetches the next
messages in its own threads meanwhile. A writer thread storing batch k while this
thread decodes batch k+1 was measured no faster on two cores (``bench/ingest.py``): the
two threads contend for the GIL after every database round trip.

A crash anywhere before step 4 replays the batch on restart, and since every write is
idempotent the replay changes nothing. A database outage (``OperationalError`` /
``InterfaceError``) makes the consumer wait with exponential backoff and retry the
same batch, without committing. SIGTERM/SIGINT finish the batch in hand (or abandon
an un-stored one without committing) and leave the consumer group cleanly.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from confluent_kafka import Consumer, KafkaError, KafkaException, TopicPartition
from django import db
from django.db import InterfaceError, OperationalError

from brokers.fink.avrodecode import compiled_decoder_available
from brokers.fink.config import StreamConfig
from brokers.fink.errors import AlertRejected
from brokers.fink.parsing import parse_alerts
from brokers.fink.stream_metrics import StreamMetrics
from brokers.fink.wire import SchemaCache, decode_message

__all__ = ["Batch", "FinkStreamConsumer"]

logger = logging.getLogger("brokers.fink.stream")

DATABASE_ERRORS = (OperationalError, InterfaceError)
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0
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


class FinkStreamConsumer:
    """Consume one Fink survey's topics into the database (see module docstring)."""

    def __init__(
        self,
        config: StreamConfig,
        *,
        metrics: StreamMetrics | None = None,
        schema_cache: SchemaCache | None = None,
        bootstrap: bool = True,
    ) -> None:
        self.config = config
        self.metrics = metrics
        self.schema_cache = schema_cache or SchemaCache()
        self.bootstrap = bootstrap
        self._stop = threading.Event()
        self._consumer: Consumer | None = None
        self._bootstrapped = False
        self._last_lag_at = 0.0
        self.totals = {"read": 0, "ingested": 0, "quarantined": 0, "batches": 0}

    # lifecycle -------------------------------------------------------------------------
    def stop(self, *_: Any) -> None:
        """Ask the loop to finish (safe from signal handlers and other threads)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run(self, *, max_batches: int | None = None) -> dict[str, int]:
        """Consume until stopped (or ``max_batches`` non-empty batches); returns totals."""
        config = self.config
        self._consumer = Consumer(config.kafka_config(), logger=logger)
        self._consumer.subscribe(
            list(config.topics), on_assign=self._on_assign, on_revoke=self._on_revoke
        )
        if self.metrics:
            self._safe_metrics(
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
        try:
            while not self.stopping:
                batch = self.poll_batch()
                if batch is None:
                    self._idle()
                    continue
                if not self.store(batch):
                    break  # stopping while the database was down: nothing committed
                self.commit(batch)
                self.totals["batches"] += 1
                if max_batches is not None and self.totals["batches"] >= max_batches:
                    break
        finally:
            db.connections.close_all()
            self._consumer.close()  # leaves the group: partitions move at once
            if self.metrics:
                self._safe_metrics(self.metrics.stopped)
            logger.info("%s: stopped after %s", config.name, self.totals)
        return dict(self.totals)

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

    def _quarantine(self, batch: Batch, message: Any, rejection: AlertRejected) -> None:
        """Keep ``message`` in ``batch`` as a rejected record, with its reason."""
        from brokers.fink.ingest import RejectedRecord

        topic, partition, offset = message.topic(), message.partition(), message.offset()
        batch.rejected.append(
            RejectedRecord(
                raw=message.value() or b"",
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

    def store(self, batch: Batch) -> bool:
        """Store ``batch`` in one transaction, waiting out database outages.

        Returns False only if asked to stop before the batch could be stored.
        """
        from brokers.fink.ingest import ingest_batch

        delay = BACKOFF_INITIAL_S
        while True:
            try:
                self._ensure_bootstrapped()
                report = ingest_batch(
                    batch.alerts,
                    batch.rejected,
                    survey=self.config.survey,
                    group_name=self.config.owning_group,
                )
                break
            except DATABASE_ERRORS as error:
                # The connection may be broken: drop it so the retry opens a new one.
                db.connections.close_all()
                logger.error(
                    "%s: database unavailable (%s); retrying the batch of %d in %.1f s, "
                    "offsets not committed",
                    self.config.name,
                    str(error).strip().splitlines()[0] if str(error).strip() else error,
                    len(batch),
                    delay,
                )
                if self.metrics:
                    self._safe_metrics(self.metrics.heartbeat, status="waiting for database")
                if self._stop.wait(delay):
                    return False
                delay = min(delay * 2, BACKOFF_MAX_S)
        committed_at = time.time()
        stats = report.as_dict()
        for name in ("read", "ingested", "quarantined"):
            self.totals[name] += int(stats.get(name, 0))
        if self.metrics:
            self._safe_metrics(
                self.metrics.record_batch,
                batch.kafka_timestamps_s,
                committed_at,
                stored=len(batch.alerts),
            )
        logger.info("%s: stored batch %s", self.config.name, stats)
        return True

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

    def _idle(self) -> None:
        if self.metrics:
            self._safe_metrics(self.metrics.heartbeat)
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
        self._safe_metrics(self.metrics.record_lag, self.lag())

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

    def _safe_metrics(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Metrics must never stop the stream: Redis trouble is logged and skipped."""
        try:
            method(*args, **kwargs)
        except Exception as error:
            logger.warning("%s: could not record metrics: %s", self.config.name, error)


def _describe(partitions: list[TopicPartition]) -> str:
    return ", ".join(f"{tp.topic}[{tp.partition}]" for tp in partitions) or "nothing"
