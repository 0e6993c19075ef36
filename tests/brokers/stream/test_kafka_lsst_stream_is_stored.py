"""The LSST consumer stores simulated Rubin alerts from Kafka, one candidate per
diaSourceId, with the Kafka timestamp kept for latency figures."""

import pytest
import yaml

from brokers.fink.simulator import generate_alerts
from brokers.fink.simulator_producer import produce_alerts
from sources.models import Candidate
from tests.brokers.stream.conftest import committed_offsets, wait_until, write_config

pytestmark = pytest.mark.kafka

N_ALERTS = 60


def test_it_stores_lsst_alerts_from_kafka(kafka_broker, topic, run_command, tmp_path):
    name = topic(2, survey="lsst")
    assert (
        produce_alerts(
            survey="lsst", bootstrap=kafka_broker.bootstrap, topic=name, rate=5000,
            count=N_ALERTS, seed=8,
        )
        == N_ALERTS
    )  # fmt: skip
    config = write_config(tmp_path / "lsst.yaml", kafka_broker, name, survey="lsst")
    group_id = yaml.safe_load(config.read_text())["group_id"]
    consumer = run_command("fink_stream", "--config", str(config), "--no-metrics")
    wait_until(
        lambda: committed_offsets(kafka_broker, group_id, name, 2) == N_ALERTS,
        "every LSST alert committed",
        children=(consumer,),
    )
    assert consumer.terminate() == 0

    expected = {r["diaSourceId"] for r in generate_alerts("lsst", N_ALERTS, seed=8)}
    stored = Candidate.objects.filter(filter__topic=name, filter__stream__survey="lsst")
    assert set(stored.values_list("alert_id", flat=True)) == expected
    assert stored.count() == N_ALERTS
    assert not stored.filter(kafka_timestamp__isnull=True).exists()
