"""While the database is unreachable, gcn_listen keeps its notice and commits nothing (it
retries with backoff instead of ending); once the database is back the same notices are
stored and committed."""

import socket
import uuid

import pytest
from confluent_kafka import Producer

from gcn.models import GcnNotice
from tests.brokers.stream.conftest import (  # noqa: F401 (fixtures)
    child_env,
    run_command,
    wait_until,
)
from tests.child_process import database_url
from tests.gcn.test_gcn_listener_stores_then_commits_kafka_notices import committed, write_config

pytestmark = pytest.mark.kafka

NOTICES = ("lvk/MS181101ab-2-Preliminary.xml", "gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # closed again when the block ends: nothing listens


def test_it_commits_no_offset_while_the_database_is_down(
    kafka_broker,
    run_command,  # noqa: F811
    child_env,  # noqa: F811
    read_shared,
    tmp_path,
):
    from brokers.fink.kafka_broker import create_topics

    suffix = uuid.uuid4().hex[:6]
    topic, group = f"gcn.test.outage.{suffix}", f"icare-outage-{suffix}"
    create_topics(kafka_broker.bootstrap, [(topic, 1)])
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "linger.ms": 0})
    for name in NOTICES:
        producer.produce(topic, read_shared(name))
    producer.flush(10)
    config = str(write_config(tmp_path, kafka_broker, [topic], group))
    unreachable = {
        **child_env,
        "DATABASE_URL": f"postgresql://postgres@127.0.0.1:{_closed_port()}/nowhere",
    }

    down = run_command("gcn_listen", "--config", config, "--no-metrics", env=unreachable)
    wait_until(
        lambda: down.output.count("database unavailable") >= 3,
        "three retries of the notice",
        children=(down,),
    )
    assert "retrying the batch of 1" in down.output
    assert committed(kafka_broker, group, topic) == 0
    assert down.terminate(timeout_s=15) == 0  # SIGTERM interrupts the backoff
    assert committed(kafka_broker, group, topic) == 0
    assert not GcnNotice.objects.exists()

    assert database_url() == child_env["DATABASE_URL"]
    up = run_command("gcn_listen", "--config", config, "--no-metrics")
    wait_until(
        lambda: committed(kafka_broker, group, topic) == len(NOTICES),
        "the notices stored once the database is back",
        children=(up,),
    )
    assert up.terminate() == 0
    assert GcnNotice.objects.count() == len(NOTICES)
    assert {n.origin for n in GcnNotice.objects.all()} == {f"{topic}:0:0", f"{topic}:0:1"}
