"""The one loop of every stream service: poll a batch, store it, then commit its offsets.

Delivery guarantee (at-least-once reading, exactly-once effect): a batch's offsets
are committed only after the transaction that stored it committed, and every write of
a store is idempotent, so a crash anywhere replays the batch harmlessly.

A database outage (``OperationalError``/``InterfaceError``) while storing makes the
loop wait with exponential backoff and retry the same batch, committing nothing.
SIGTERM/SIGINT finish the batch in hand (or abandon an un-stored one without
committing). Figures for ``/health`` (:class:`icare_tom.stream_metrics.StreamMetrics`)
are recorded when a metrics writer is given; trouble recording them never stops the
stream.

A service subclasses :class:`StoreThenCommitLoop` and gives :meth:`open`, :meth:`poll`,
:meth:`store`, :meth:`commit` and :meth:`close`: a new broker is a handler and a
config file (:mod:`icare_tom.config`).

Messages are bounded like files: :func:`kafka_size_limits` sets the Kafka client's fetch
limits from a kind's size cap, and :func:`oversized` tells a message above the cap (its
first bytes and its SHA-256 for the quarantine) before anything decodes it.
"""

from __future__ import annotations

import hashlib
import logging
import signal
import threading
import time
from collections.abc import Callable, Sized
from typing import Any, Generic, TypeVar

from django import db
from django.db import InterfaceError, OperationalError

__all__ = [
    "DATABASE_ERRORS",
    "QUARANTINE_PREFIX_BYTES",
    "Oversized",
    "StoreThenCommitLoop",
    "kafka_size_limits",
    "oversized",
]

DATABASE_ERRORS = (OperationalError, InterfaceError)
BACKOFF_INITIAL_S = 0.5
BACKOFF_MAX_S = 30.0

BatchT = TypeVar("BatchT", bound=Sized)

# What a quarantine keeps of a refused input: its first bytes (and its SHA-256 and size).
QUARANTINE_PREFIX_BYTES = 64 * 1024
# librdkafka's largest accepted values for the settings below.
_KAFKA_MAX_BYTES = 2_147_483_647 - 1024
_KAFKA_MAX_KBYTES = 2_097_151


def kafka_size_limits(max_message_bytes: int) -> dict[str, int]:
    """librdkafka consumer settings that keep a fetch near a message size cap (bytes).

    A fetch asks for at most ``max_message_bytes`` (``fetch.max.bytes``; a Kafka broker
    still answers with a larger first message so that the consumer can move on), and a
    response above ``2 * max_message_bytes + 1 MiB`` is refused by the client from its
    length, before it is read (``receive.message.max.bytes``). A message above the cap
    but within that bound is read once and quarantined by :func:`oversized`; a response
    above it cannot be fetched at all (the client logs "Invalid response size" and retries:
    a Kafka broker refuses messages above its own ``message.max.bytes``, which should stay
    below that bound). The prefetch queue holds about one response.
    """
    cap = max(1024, min(int(max_message_bytes), _KAFKA_MAX_BYTES // 2 - (1 << 20)))
    receive = 2 * cap + (1 << 20)
    return {
        "fetch.max.bytes": cap,
        "max.partition.fetch.bytes": min(cap, 1 << 20),
        "message.max.bytes": min(cap, 1_000_000),
        "receive.message.max.bytes": receive,
        "queued.max.messages.kbytes": min(_KAFKA_MAX_KBYTES, -(-receive // 1024)),
    }


class Oversized:
    """A message refused for its size: what the quarantine keeps of it."""

    def __init__(self, value: bytes, max_bytes: int, where: str) -> None:
        self.size = len(value)
        self.prefix = bytes(value[:QUARANTINE_PREFIX_BYTES])
        self.sha256 = hashlib.sha256(value).hexdigest()
        self.detail = f"{where}: {self.size} bytes > {max_bytes}; sha256 {self.sha256}"


def oversized(value: bytes | None, max_bytes: int, where: str) -> Oversized | None:
    """An :class:`Oversized` when ``value`` is longer than ``max_bytes``, else None.

    ``where`` names the message in the detail (``topic[partition]@offset``)."""
    if value is None or len(value) <= max_bytes:
        return None
    return Oversized(value, max_bytes, where)


class StoreThenCommitLoop(Generic[BatchT]):
    """poll → store (retried through database outages) → commit, until stopped."""

    def __init__(
        self,
        name: str,
        *,
        metrics: Any = None,
        logger: logging.Logger | None = None,
        backoff_initial_s: float = BACKOFF_INITIAL_S,
        backoff_max_s: float = BACKOFF_MAX_S,
    ) -> None:
        self.name = name
        self.metrics = metrics
        self.logger = logger or logging.getLogger(__name__)
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self._stop = threading.Event()
        self.batches = 0

    # what a service provides ---------------------------------------------------------------
    def open(self) -> None:
        """Connect to the broker (and get ready to store)."""

    def poll(self) -> BatchT | None:
        """The next batch, or None when nothing arrived."""
        raise NotImplementedError

    def store(self, batch: BatchT) -> Any:
        """Store ``batch`` in the database (idempotently); the result goes to :meth:`stored`."""
        raise NotImplementedError

    def commit(self, batch: BatchT) -> None:
        """Commit the batch's offsets (its transaction has committed)."""
        raise NotImplementedError

    def close(self) -> None:
        """Leave the broker (a service process also closes its database connections)."""

    def stored(self, batch: BatchT, result: Any, committed_at: float) -> None:
        """Called after each stored batch, before its commit (counts, metrics)."""

    def idle(self) -> None:
        """Called after an empty poll."""
        if self.metrics:
            self.safe_metrics(self.metrics.heartbeat)

    # lifecycle -----------------------------------------------------------------------------
    def stop(self, *_: Any) -> None:
        """Ask the loop to finish (safe from signal handlers and other threads)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run_loop(self, *, max_batches: int | None = None, max_idle_polls: int | None = None):
        """Loop until stopped, or ``max_batches`` stored batches, or ``max_idle_polls``
        empty polls in a row."""
        self.open()
        idle = 0
        try:
            while not self.stopping:
                batch = self.poll()
                if batch is None:
                    idle += 1
                    self.idle()
                    if max_idle_polls is not None and idle >= max_idle_polls:
                        break
                    continue
                idle = 0
                if not self.store_with_backoff(batch):
                    break  # stopping while the database was down: nothing committed
                self.commit(batch)
                self.batches += 1
                if max_batches is not None and self.batches >= max_batches:
                    break
        finally:
            self.close()

    def store_with_backoff(self, batch: BatchT) -> bool:
        """Store ``batch``, waiting out database outages (backoff doubling from
        ``backoff_initial_s`` to ``backoff_max_s`` seconds). False only if asked to stop
        before it could be stored."""
        delay = self.backoff_initial_s
        while True:
            try:
                result = self.store(batch)
                break
            except DATABASE_ERRORS as error:
                # The connection may be broken: drop it so the retry opens a new one.
                db.connections.close_all()
                first_line = str(error).strip().splitlines()[0] if str(error).strip() else error
                self.logger.error(
                    "%s: database unavailable (%s); retrying the batch of %d in %.1f s, "
                    "offsets not committed",
                    self.name,
                    first_line,
                    len(batch),
                    delay,
                )
                if self.metrics:
                    self.safe_metrics(self.metrics.heartbeat, status="waiting for database")
                if self._stop.wait(delay):
                    return False
                delay = min(delay * 2, self.backoff_max_s)
        self.stored(batch, result, time.time())
        return True

    def safe_metrics(self, method: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Metrics must never stop the stream: Redis trouble is logged and skipped."""
        try:
            method(*args, **kwargs)
        except Exception as error:
            self.logger.warning("%s: could not record metrics: %s", self.name, error)
