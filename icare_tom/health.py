"""Health of the running system, as JSON for operators and load balancers."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection

from icare_tom.heartbeat import last_worker_heartbeat

CheckResult = dict[str, Any]

# Extra checks contributed by apps (e.g. stream consumers): name -> callable.
EXTRA_CHECKS: dict[str, Callable[[], CheckResult]] = {}


def check_database() -> CheckResult:
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        (version,) = cursor.fetchone()
    return {"ok": True, "version": version.split(" on ")[0]}


def check_redis() -> CheckResult:
    client = cache._cache.get_client()  # the redis-py client behind Django's cache
    started = time.perf_counter()
    client.ping()
    return {"ok": True, "ping_ms": round((time.perf_counter() - started) * 1000, 2)}


def check_celery() -> CheckResult:
    beat = last_worker_heartbeat()
    if beat is None:
        return {"ok": False, "error": "no worker heartbeat recorded yet"}
    age = time.time() - beat["at"]
    max_age = 4 * settings.CELERY_HEARTBEAT_INTERVAL_S
    result = {"ok": age <= max_age, "worker": beat["worker"], "heartbeat_age_s": round(age, 1)}
    if not result["ok"]:
        result["error"] = f"last worker heartbeat is older than {max_age} s"
    return result


def system_health() -> tuple[bool, dict[str, CheckResult]]:
    checks = {
        "database": check_database,
        "redis": check_redis,
        "celery": check_celery,
        **EXTRA_CHECKS,
    }
    results: dict[str, CheckResult] = {}
    for name, check in checks.items():
        try:
            results[name] = check()
        except Exception as error:
            results[name] = {"ok": False, "error": f"{type(error).__name__}: {error}"}
    return all(result["ok"] for result in results.values()), results
