"""While the database is unreachable the consumer keeps its batch and commits nothing;
once the database is back the same alerts are stored and committed."""

import socket

import pytest
import yaml

from brokers.fink.simulator_producer import produce_alerts
from sources.models import Candidate
from tests.brokers.stream.conftest import committed_offsets, wait_until, write_config
from tests.child_process import database_url

pytestmark = pytest.mark.kafka

N_ALERTS = 30


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


def test_it_commits_no_offset_while_the_database_is_down(
    kafka_broker, topic, run_command, child_env, tmp_path
):
    name = topic(1)
    assert (
        produce_alerts(
            survey="ztf", bootstrap=kafka_broker.bootstrap, topic=name, rate=5000, count=N_ALERTS
        )
        == N_ALERTS
    )
    config = write_config(tmp_path / "stream.yaml", kafka_broker, name, batch_size=50)
    group_id = yaml.safe_load(config.read_text())["group_id"]
    unreachable = {
        **child_env,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere",
    }

    down = run_command("fink_stream", "--config", str(config), "--no-metrics", env=unreachable)
    wait_until(
        lambda: down.output.count("database unavailable") >= 3,
        "three retries of the batch",
        children=(down,),
    )
    assert f"retrying the batch of {N_ALERTS}" in down.output
    assert committed_offsets(kafka_broker, group_id, name, 1) == 0
    assert down.terminate(timeout_s=15) == 0  # SIGTERM interrupts the backoff
    assert committed_offsets(kafka_broker, group_id, name, 1) == 0
    assert not Candidate.objects.filter(filter__topic=name).exists()

    assert database_url() == child_env["DATABASE_URL"]
    up = run_command("fink_stream", "--config", str(config), "--no-metrics")
    wait_until(
        lambda: committed_offsets(kafka_broker, group_id, name, 1) == N_ALERTS,
        "the batch stored once the database is back",
        children=(up,),
    )
    assert up.terminate() == 0
    assert Candidate.objects.filter(filter__topic=name).count() == N_ALERTS
