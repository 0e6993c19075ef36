"""Two consumer processes with one group id share a two-partition topic: every alert is
stored once, both take part, and /health counts the alerts of both."""

import re

import pytest
import yaml

from brokers.fink.simulator import generate_alerts
from icare_tom.stream_metrics import StreamMetrics
from sources.models import Candidate
from tests.brokers.stream.conftest import committed_offsets, wait_until, write_config

pytestmark = pytest.mark.kafka

N_ALERTS = 200


def _assigned(child) -> set[str]:
    return set(re.findall(r"assigned (?:[^\n]*?)(\[\d\])", child.output))


def test_it_shares_partitions_between_two_consumers_and_stores_each_alert_once(
    kafka_broker, topic, run_command, tmp_path
):
    name = topic(2)
    config = write_config(tmp_path / "stream.yaml", kafka_broker, name, batch_size=20)
    settings = yaml.safe_load(config.read_text())
    metrics = StreamMetrics(settings["name"])
    try:
        first = run_command("fink_stream", "--config", str(config))
        second = run_command("fink_stream", "--config", str(config))
        consumers = (first, second)
        wait_until(
            lambda: (
                all(re.search(r"assigned \S+\[\d\]$", c.output, re.M) for c in consumers)
                and all("assigned" in c.output.rsplit("revoked", 1)[-1] for c in consumers)
            ),
            "both consumers to hold a partition",
            children=consumers,
        )
        producer = run_command(
            "simulate_alerts",
            "--survey",
            "ztf",
            "--rate",
            "400",
            "--count",
            str(N_ALERTS),
            "--kafka",
            kafka_broker.bootstrap,
            "--topic",
            name,
            "--seed",
            "5",
        )
        assert producer.process.wait(60) == 0, producer.output

        stored = Candidate.objects.filter(filter__topic=name)
        wait_until(
            lambda: committed_offsets(kafka_broker, settings["group_id"], name, 2) == N_ALERTS,
            "every offset committed",
            children=consumers,
        )
        snapshot = metrics.snapshot()
        for consumer in consumers:
            assert consumer.terminate() == 0
    finally:
        metrics.forget()

    expected = {r["candid"] for r in generate_alerts("ztf", N_ALERTS, seed=5)}
    alert_ids = list(stored.values_list("alert_id", flat=True))
    assert len(alert_ids) == N_ALERTS
    assert set(alert_ids) == expected
    reads = [int(re.findall(r"'read': (\d+)", c.output)[-1]) for c in consumers]
    assert sum(reads) == N_ALERTS
    assert all(read > 0 for read in reads), f"one consumer did all the work: {reads}"
    assert snapshot["latency_samples_last_hour"] == N_ALERTS
    assert snapshot["latency_p99_s"] is not None
    assert snapshot["last_message_at"] is not None
