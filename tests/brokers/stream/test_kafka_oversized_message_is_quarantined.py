"""A Kafka message above ICARE_MAX_ALERT_MESSAGE_BYTES is refused before it is decoded:
quarantined as too_large with its first bytes, its size and SHA-256, topic, partition and
offset; the alerts before and after it are stored and every offset is committed."""

import hashlib

import pytest
import yaml
from confluent_kafka import Producer

from brokers.fink.simulator import encode_alert, generate_alerts
from brokers.models import QuarantinedAlert
from icare_tom.streams import QUARANTINE_PREFIX_BYTES
from sources.models import Candidate
from tests.brokers.stream.conftest import committed_offsets, wait_until, write_config

pytestmark = pytest.mark.kafka

CAP = 200_000


def test_it_quarantines_an_oversized_message_and_stores_the_next(
    kafka_broker, topic, run_command, child_env, tmp_path
):
    name = topic(1)
    (key, first, _), (_, second, _) = (
        encode_alert(record, "ztf") for record in generate_alerts("ztf", 2, seed=5)
    )
    assert len(first) < CAP and len(second) < CAP
    big = first + b"\x07" * (3 * CAP)  # a valid alert's bytes, padded past the cap
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "linger.ms": 0})
    for value in (first, big, second):
        producer.produce(name, key=key, value=value, partition=0)
    assert producer.flush(15) == 0

    config = write_config(tmp_path / "stream.yaml", kafka_broker, name)
    group_id = yaml.safe_load(config.read_text())["group_id"]
    env = {**child_env, "ICARE_MAX_ALERT_MESSAGE_BYTES": str(CAP)}
    consumer = run_command("fink_stream", "--config", str(config), "--no-metrics", env=env)
    wait_until(
        lambda: committed_offsets(kafka_broker, group_id, name, 1) == 3,
        "the three messages committed",
        children=(consumer,),
    )
    assert consumer.terminate() == 0

    assert Candidate.objects.filter(filter__topic=name).count() == 2
    (row,) = QuarantinedAlert.objects.filter(topic=name)
    assert (row.reason, row.partition, row.offset, row.survey) == ("too_large", 0, 1, "ztf")
    assert bytes(row.raw) == big[:QUARANTINE_PREFIX_BYTES]
    assert f"{len(big)} bytes > {CAP}" in row.detail
    assert hashlib.sha256(big).hexdigest() in row.detail
    assert f"{name}[0]@1" in row.detail
    assert "too_large" in consumer.output
