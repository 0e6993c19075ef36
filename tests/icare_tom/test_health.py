import time

import pytest

from icare_tom import health, heartbeat


@pytest.mark.django_db
def test_it_reports_every_service_green_with_a_fresh_worker_heartbeat(client):
    heartbeat.record_worker_heartbeat("worker@test")
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    database = body["checks"]["database"]
    assert database["ok"] and "PostgreSQL" in database["version"]
    assert body["checks"]["redis"]["ok"]
    assert body["checks"]["celery"] == {
        "ok": True,
        "worker": "worker@test",
        "heartbeat_age_s": pytest.approx(0, abs=5),
    }


@pytest.mark.django_db
def test_it_is_degraded_without_a_worker_heartbeat(client):
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["celery"] == {
        "ok": False,
        "error": "no worker heartbeat recorded yet",
    }


@pytest.mark.django_db
def test_it_is_degraded_when_the_worker_heartbeat_is_stale(client, settings):
    heartbeat.record_worker_heartbeat("worker@test")
    stale = {"at": time.time() - 10 * settings.CELERY_HEARTBEAT_INTERVAL_S, "worker": "w"}
    from django.core.cache import cache

    cache.set(heartbeat.HEARTBEAT_KEY, stale)
    body = client.get("/health").json()
    assert body["status"] == "degraded"
    assert "older than" in body["checks"]["celery"]["error"]


@pytest.mark.django_db
def test_it_reports_a_failing_check_with_its_error(client, monkeypatch):
    heartbeat.record_worker_heartbeat("worker@test")

    def broken():
        raise ConnectionError("Redis is down")

    monkeypatch.setattr(health, "check_redis", broken)
    response = client.get("/health")
    assert response.status_code == 503
    assert response.json()["checks"]["redis"] == {
        "ok": False,
        "error": "ConnectionError: Redis is down",
    }


def test_it_needs_no_login(client, db):
    assert client.get("/health").status_code in (200, 503)
