"""gcn_listen on a real Kafka-protocol broker: a message above the notice size cap is
quarantined as too_large before it is parsed (first bytes, size, SHA-256, topic,
partition, offset), the notices around it are stored, and every offset is committed."""

import hashlib
import uuid

import pytest
from confluent_kafka import Producer

from gcn import listener
from gcn import notices as gn
from gcn.models import GcnEvent, GcnNotice, GcnQuarantine
from icare_tom.streams import QUARANTINE_PREFIX_BYTES
from tests.gcn.test_gcn_listener_stores_then_commits_kafka_notices import committed, write_config

pytestmark = pytest.mark.kafka

CAP = 200_000


@pytest.mark.django_db
def test_it_quarantines_an_oversized_message_and_stores_the_next(
    kafka_broker, read_shared, tmp_path, monkeypatch
):
    from brokers.fink.kafka_broker import create_topics

    monkeypatch.setattr(gn, "MAX_NOTICE_BYTES", CAP)
    suffix = uuid.uuid4().hex[:6]
    topic = f"igwn.gwalert.{suffix}"
    create_topics(kafka_broker.bootstrap, [(topic, 1)])
    first = read_shared("lvk/MS181101ab-2-Preliminary.xml")
    last = read_shared("lvk/MS181101ab-retraction.json")
    big = b'{"alert_type": "PRELIMINARY", "pad": "' + b"x" * (3 * CAP) + b'"}'
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "linger.ms": 0})
    for raw in (first, big, last):
        producer.produce(topic, raw, partition=0)
    assert producer.flush(10) == 0

    group = f"icare-test-{suffix}"
    config = listener.load_config(write_config(tmp_path, kafka_broker, [topic], group), {})
    assert config.consumer_config()["receive.message.max.bytes"] < 4 * CAP + (1 << 20)
    counts = listener.GcnListener(config).run(max_messages=3, max_idle_polls=60)
    assert counts == {"read": 3, "ingested": 2, "duplicate": 0, "quarantined": 1}
    assert committed(kafka_broker, group, topic) == 3

    assert GcnEvent.objects.get(name="MS181101ab").retracted
    assert GcnNotice.objects.count() == 2
    row = GcnQuarantine.objects.get()
    assert (row.reason, row.origin, row.size) == ("too_large", f"{topic}:0:1", len(big))
    assert bytes(row.raw) == big[:QUARANTINE_PREFIX_BYTES]
    assert row.content_hash == hashlib.sha256(big).hexdigest()
    assert f"{len(big)} bytes > {CAP}" in row.detail
