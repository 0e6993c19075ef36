"""Worker liveness, written by the Celery worker and read by /health."""

from __future__ import annotations

import time

from django.core.cache import cache

HEARTBEAT_KEY = "celery:worker-heartbeat"


def record_worker_heartbeat(hostname: str) -> float:
    """Store the current time (Unix seconds) as the last sign of life of a worker."""
    now = time.time()
    cache.set(HEARTBEAT_KEY, {"at": now, "worker": hostname}, timeout=None)
    return now


def last_worker_heartbeat() -> dict | None:
    return cache.get(HEARTBEAT_KEY)
