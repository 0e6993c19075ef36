"""A consumer killed with SIGKILL in the middle of a batch resumes where it stopped:
every alert ends up stored exactly once."""

import signal

import pytest
import yaml

from brokers.fink.simulator import generate_alerts
from brokers.fink.simulator_producer import produce_alerts
from brokers.models import ArchivedAlert
from sources.models import Candidate
from tests.brokers.stream.conftest import committed_offsets, wait_until, write_config

pytestmark = pytest.mark.kafka

N_ALERTS = 240
SEED = 11


def test_it_stores_every_alert_once_after_a_sigkill_mid_batch(
    kafka_broker, topic, run_command, tmp_path
):
    name = topic(2)
    sent = produce_alerts(
        survey="ztf",
        bootstrap=kafka_broker.bootstrap,
        topic=name,
        rate=5000,
        count=N_ALERTS,
        seed=SEED,
    )
    assert sent == N_ALERTS
    expected_ids = {record["candid"] for record in generate_alerts("ztf", N_ALERTS, seed=SEED)}
    assert len(expected_ids) == N_ALERTS
    config = write_config(tmp_path / "stream.yaml", kafka_broker, name, batch_size=20)
    group_id = yaml.safe_load(config.read_text())["group_id"]
    stored = Candidate.objects.filter(filter__topic=name)

    first = run_command("fink_stream", "--config", str(config), "--no-metrics")
    wait_until(lambda: stored.count() >= 60, "the first batches", children=(first,))
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(10)
    stored_at_kill = stored.count()
    committed_at_kill = committed_offsets(kafka_broker, group_id, name, 2)
    assert committed_at_kill < N_ALERTS, "the kill must come before the end of the stream"
    assert committed_at_kill <= stored_at_kill, "an offset was committed before its batch"

    second = run_command("fink_stream", "--config", str(config), "--no-metrics")
    wait_until(
        lambda: committed_offsets(kafka_broker, group_id, name, 2) == N_ALERTS,
        "all offsets committed after the restart",
        children=(second,),
    )
    assert second.terminate() == 0

    alert_ids = list(stored.values_list("alert_id", flat=True))
    assert len(alert_ids) == N_ALERTS
    assert set(alert_ids) == expected_ids
    assert ArchivedAlert.objects.filter(survey="ztf", alert_id__in=expected_ids).count() == N_ALERTS
    # The restarted consumer read from the last committed offset, not from the start.
    assert f"'read': {N_ALERTS - committed_at_kill}," in second.output
