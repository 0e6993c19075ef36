"""Undecodable or truncated messages are quarantined with their bytes, topic and offset,
and the alerts after them are still stored."""

import pytest
import yaml
from confluent_kafka import Producer

from brokers.fink.simulator import encode_alert, generate_alerts
from brokers.models import QuarantinedAlert
from sources.models import Candidate
from tests.brokers.stream.conftest import committed_offsets, wait_until, write_config

pytestmark = pytest.mark.kafka


def test_it_quarantines_bad_messages_and_keeps_consuming(
    kafka_broker, topic, run_command, tmp_path
):
    name = topic(1)
    records = list(generate_alerts("ztf", 20, seed=3, cutouts=False))
    encoded = [encode_alert(r, "ztf") for r in records]
    schema_key, good_value, _ = encoded[10]
    garbage = (b"not a schema", b"\x00\x01garbage\xff")
    truncated = (schema_key, good_value[: len(good_value) // 2])
    messages = [(k, v) for k, v, _ in encoded[:10]] + [garbage, truncated]
    messages += [(k, v) for k, v, _ in encoded[10:]]
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap})
    for key, value in messages:
        producer.produce(name, key=key, value=value, partition=0)
    assert producer.flush(15) == 0

    config = write_config(tmp_path / "stream.yaml", kafka_broker, name, batch_size=7)
    group_id = yaml.safe_load(config.read_text())["group_id"]
    consumer = run_command("fink_stream", "--config", str(config), "--no-metrics")
    wait_until(
        lambda: committed_offsets(kafka_broker, group_id, name, 1) == len(messages),
        "every message committed",
        children=(consumer,),
    )
    assert consumer.terminate() == 0

    assert Candidate.objects.filter(filter__topic=name).count() == 20
    quarantined = {q.offset: q for q in QuarantinedAlert.objects.filter(topic=name)}
    assert sorted(quarantined) == [10, 11]
    assert quarantined[10].reason == "unknown_schema"
    assert bytes(quarantined[10].raw) == garbage[1]
    assert quarantined[11].reason == "truncated"
    assert bytes(quarantined[11].raw) == truncated[1]
    assert quarantined[11].partition == 0
    assert quarantined[11].survey == "ztf"
