"""Live figures of the stream consumers (Fink, GCN), kept in Redis and shown on ``/health``.

Per consumer (its configured ``name``; scaled-out copies of one consumer share it):

* ``lag`` - messages on the broker not yet committed, summed over the partitions
  the copies are assigned (each copy reports its own partitions);
* ``last_message_at`` - the Kafka timestamp of the newest message stored (UTC);
* ``alerts_per_s`` - alerts stored per second over the last minute;
* ``latency_p50_s`` / ``latency_p99_s`` - seconds from the Kafka message timestamp
  to the commit of the transaction that stored the alert, over the last hour.

Latencies go into per-minute histograms (log-spaced buckets, 2 % wide), so an
hour at 1,000 alerts/s costs 60 small hashes, not 3.6 M samples; percentiles are
exact to the bucket width.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

__all__ = ["StreamMetrics", "consumers_health", "percentile_from_buckets"]

PREFIX = "icare:fink-stream"
HOUR_S = 3600
MINUTE_S = 60
# Bucket i holds latencies in [BASE * GROWTH**i, BASE * GROWTH**(i+1)) seconds.
BUCKET_BASE_S = 0.001
BUCKET_GROWTH = 1.02
_LOG_GROWTH = math.log(BUCKET_GROWTH)
HEARTBEAT_STALE_S = 120.0
LAG_STALE_S = 300.0


def _redis_client():
    import redis
    from django.conf import settings

    return redis.Redis.from_url(settings.REDIS_URL, socket_timeout=2)


def bucket_of(latency_s: float) -> int:
    """Histogram bucket of a latency in seconds (0 for anything below 1 ms)."""
    if latency_s <= BUCKET_BASE_S:
        return 0
    return int(math.log(latency_s / BUCKET_BASE_S) / _LOG_GROWTH)


def bucket_value(index: int) -> float:
    """Representative latency of a bucket (its geometric middle), in seconds."""
    return BUCKET_BASE_S * BUCKET_GROWTH ** (index + 0.5)


def percentile_from_buckets(counts: dict[int, int], fraction: float) -> float | None:
    """The ``fraction`` quantile (0-1) of a bucket histogram, in seconds."""
    total = sum(counts.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(fraction * total))
    seen = 0
    for index in sorted(counts):
        seen += counts[index]
        if seen >= rank:
            return bucket_value(index)
    return bucket_value(max(counts))


class StreamMetrics:
    """Writer and reader of one consumer's figures."""

    def __init__(self, name: str, client: Any = None, prefix: str = PREFIX) -> None:
        self.name = name
        self.prefix = prefix
        self.client = client if client is not None else _redis_client()

    # keys ------------------------------------------------------------------------------
    def _key(self, *parts: str) -> str:
        return ":".join((self.prefix, self.name, *parts))

    @property
    def _registry_key(self) -> str:
        return f"{self.prefix}:consumers"

    # writing ---------------------------------------------------------------------------
    def started(self, *, topics: Sequence[str], group_id: str, survey: str) -> None:
        now = time.time()
        pipe = self.client.pipeline()
        pipe.sadd(self._registry_key, self.name)
        pipe.hset(
            self._key("state"),
            mapping={
                "topics": ",".join(topics),
                "group_id": group_id,
                "survey": survey,
                "status": "running",
                "started_at": now,
                "heartbeat_at": now,
            },
        )
        pipe.execute()

    def heartbeat(self, status: str = "running") -> None:
        self.client.hset(
            self._key("state"), mapping={"heartbeat_at": time.time(), "status": status}
        )

    def stopped(self) -> None:
        self.client.hset(
            self._key("state"), mapping={"status": "stopped", "heartbeat_at": time.time()}
        )

    def record_batch(
        self,
        kafka_timestamps_s: Iterable[float | None],
        committed_at_s: float,
        *,
        stored: int | None = None,
    ) -> None:
        """Record one stored batch: Kafka timestamps (Unix s) and the DB commit time."""
        buckets: dict[int, int] = {}
        newest = None
        count = 0
        for ts in kafka_timestamps_s:
            count += 1
            if ts is None:
                continue
            newest = ts if newest is None or ts > newest else newest
            index = bucket_of(max(0.0, committed_at_s - ts))
            buckets[index] = buckets.get(index, 0) + 1
        if stored is None:
            stored = count
        minute = int(committed_at_s // MINUTE_S)
        hist_key = self._key("latency", str(minute))
        count_key = self._key("count", str(minute))
        pipe = self.client.pipeline()
        for index, n in buckets.items():
            pipe.hincrby(hist_key, str(index), n)
        pipe.expire(hist_key, HOUR_S + 2 * MINUTE_S)
        pipe.incrby(count_key, stored)
        pipe.expire(count_key, 3 * MINUTE_S)
        state = {"heartbeat_at": time.time(), "status": "running", "last_commit_at": committed_at_s}
        if newest is not None:
            state["last_message_at"] = newest
        pipe.hset(self._key("state"), mapping=state)
        pipe.execute()
        if newest is not None:
            # Keep the newest across scaled-out copies (a copy may lag behind another).
            current = self.client.hget(self._key("state"), "last_message_at")
            if current is not None and float(current) > newest:
                self.client.hset(self._key("state"), "last_message_at", current)

    def record_lag(self, lag_by_partition: dict[tuple[str, int], int]) -> None:
        if not lag_by_partition:
            return
        now = time.time()
        self.client.hset(
            self._key("lag"),
            mapping={
                f"{topic}:{partition}": json.dumps([lag, now])
                for (topic, partition), lag in lag_by_partition.items()
            },
        )

    def forget(self) -> None:
        """Remove every figure of this consumer (a decommissioned or renamed one)."""
        keys = list(self.client.scan_iter(match=f"{self.prefix}:{self.name}:*", count=500))
        pipe = self.client.pipeline()
        if keys:
            pipe.delete(*keys)
        pipe.srem(self._registry_key, self.name)
        pipe.execute()

    # reading ---------------------------------------------------------------------------
    def snapshot(self, now: float | None = None) -> dict[str, Any]:
        now = time.time() if now is None else now
        state = {k.decode(): v.decode() for k, v in self.client.hgetall(self._key("state")).items()}
        minute = int(now // MINUTE_S)
        minutes = range(minute - HOUR_S // MINUTE_S + 1, minute + 1)
        pipe = self.client.pipeline()
        for m in minutes:
            pipe.hgetall(self._key("latency", str(m)))
        pipe.get(self._key("count", str(minute)))
        pipe.get(self._key("count", str(minute - 1)))
        pipe.hgetall(self._key("lag"))
        *histograms, this_minute, last_minute, lag_fields = pipe.execute()
        counts: dict[int, int] = {}
        for histogram in histograms:
            for index, n in histogram.items():
                counts[int(index)] = counts.get(int(index), 0) + int(n)
        window_s = now - (minute - 1) * MINUTE_S
        recent = int(this_minute or 0) + int(last_minute or 0)
        lag = None
        for raw in lag_fields.values():
            value, reported_at = json.loads(raw)
            if now - reported_at <= LAG_STALE_S:
                lag = (lag or 0) + int(value)
        p50 = percentile_from_buckets(counts, 0.50)
        p99 = percentile_from_buckets(counts, 0.99)
        heartbeat_at = float(state["heartbeat_at"]) if "heartbeat_at" in state else None
        status = state.get("status", "unknown")
        alive = heartbeat_at is not None and now - heartbeat_at <= HEARTBEAT_STALE_S
        result: dict[str, Any] = {
            "ok": status == "stopped" or alive,
            "status": status if alive or status == "stopped" else "not responding",
            "survey": state.get("survey"),
            "topics": state.get("topics", "").split(",") if state.get("topics") else [],
            "group_id": state.get("group_id"),
            "lag": lag,
            "last_message_at": _iso(state.get("last_message_at")),
            "last_commit_at": _iso(state.get("last_commit_at")),
            "alerts_per_s": round(recent / window_s, 2) if window_s > 0 else 0.0,
            "latency_p50_s": None if p50 is None else round(p50, 4),
            "latency_p99_s": None if p99 is None else round(p99, 4),
            "latency_samples_last_hour": sum(counts.values()),
        }
        if not result["ok"]:
            age = "never" if heartbeat_at is None else f"{now - heartbeat_at:.0f} s ago"
            result["error"] = f"no sign of life from consumer {self.name} (last: {age})"
        return result


def _iso(value: str | None) -> str | None:
    if value is None:
        return None
    from datetime import UTC, datetime

    return datetime.fromtimestamp(float(value), tz=UTC).isoformat(timespec="milliseconds")


def consumers_health(client: Any = None, prefix: str = PREFIX) -> dict[str, Any]:
    """The ``fink_streams`` entry of ``/health``: every consumer that ever ran here."""
    client = client if client is not None else _redis_client()
    names = sorted(n.decode() for n in client.smembers(f"{prefix}:consumers"))
    consumers = {name: StreamMetrics(name, client, prefix).snapshot() for name in names}
    return {"ok": all(c["ok"] for c in consumers.values()), "consumers": consumers}
