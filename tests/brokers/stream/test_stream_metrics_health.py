"""Consumer figures in Redis: percentiles, alerts/s, lag, and their place in /health."""

import time
import uuid

import pytest
from django.conf import settings

from icare_tom.health import EXTRA_CHECKS
from icare_tom.stream_metrics import (
    BUCKET_GROWTH,
    StreamMetrics,
    consumers_health,
    percentile_from_buckets,
)


@pytest.fixture
def metrics():
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL)
    prefix = f"icare-test-{uuid.uuid4().hex[:8]}"
    recorder = StreamMetrics("fink-ztf", client, prefix=prefix)
    yield recorder
    for key in client.scan_iter(match=f"{prefix}:*"):
        client.delete(key)


def test_it_reports_latency_percentiles_within_the_bucket_width(metrics):
    now = time.time()
    latencies = [0.1 + 0.001 * i for i in range(1000)]  # 0.100 … 1.099 s
    metrics.started(topics=["fink_sn_candidates_ztf"], group_id="g", survey="ztf")
    metrics.record_batch([now - lat for lat in latencies], now)
    snapshot = metrics.snapshot(now + 1)
    assert snapshot["latency_samples_last_hour"] == 1000
    assert snapshot["latency_p50_s"] == pytest.approx(0.5995, rel=BUCKET_GROWTH - 1)
    assert snapshot["latency_p99_s"] == pytest.approx(1.089, rel=BUCKET_GROWTH - 1)
    assert snapshot["alerts_per_s"] > 0
    assert snapshot["ok"] and snapshot["status"] == "running"


def test_it_forgets_latencies_older_than_an_hour(metrics):
    now = time.time()
    metrics.record_batch([now - 5.0] * 10, now - 3700)
    metrics.record_batch([now - 0.2] * 10, now)
    snapshot = metrics.snapshot(now)
    assert snapshot["latency_samples_last_hour"] == 10
    assert snapshot["latency_p99_s"] == pytest.approx(0.2, rel=BUCKET_GROWTH - 1)


def test_it_sums_the_lag_of_every_partition_and_ignores_stale_reports(metrics):
    metrics.record_lag({("t", 0): 5, ("t", 1): 7})
    assert metrics.snapshot()["lag"] == 12
    assert metrics.snapshot(time.time() + 3600)["lag"] is None


def test_it_flags_a_consumer_that_stopped_responding(metrics):
    metrics.started(topics=["t"], group_id="g", survey="ztf")
    later = metrics.snapshot(time.time() + 600)
    assert not later["ok"] and "no sign of life" in later["error"]
    metrics.stopped()
    assert metrics.snapshot(time.time() + 600)["ok"]


def test_it_lists_every_consumer_in_the_health_check(metrics):
    metrics.started(topics=["t"], group_id="g", survey="ztf")
    report = consumers_health(metrics.client, prefix=metrics.prefix)
    assert report["ok"] and list(report["consumers"]) == ["fink-ztf"]
    assert EXTRA_CHECKS["fink_streams"] is consumers_health


def test_it_computes_percentiles_from_a_histogram():
    assert percentile_from_buckets({}, 0.5) is None
    assert percentile_from_buckets({10: 1, 100: 1}, 0.5) < percentile_from_buckets(
        {10: 1, 100: 1}, 0.99
    )


@pytest.mark.django_db
def test_it_shows_the_streams_on_the_health_page(client):
    response = client.get("/health")
    assert "fink_streams" in response.json()["checks"]
