"""gcn_listen's consumer on a real Kafka-protocol broker: store each notice, then commit."""

import textwrap
import uuid

import pytest
from confluent_kafka import Consumer, Producer, TopicPartition

from gcn import listener
from gcn.models import GcnEvent, GcnNotice, GcnQuarantine

pytestmark = pytest.mark.kafka


def write_config(tmp_path, broker, topics, group_id):
    path = tmp_path / "gcn.yaml"
    path.write_text(
        textwrap.dedent(
            f"""\
            client_id: ${{GCN_CLIENT_ID:-}}
            client_secret: ${{GCN_CLIENT_SECRET:-}}
            group_id: {group_id}
            poll_timeout_s: 0.5
            topics: [{", ".join(topics)}]
            kafka:
              bootstrap.servers: {broker.bootstrap}
              security.protocol: plaintext
              session.timeout.ms: 6000
              heartbeat.interval.ms: 500
              topic.metadata.refresh.interval.ms: 1000
            """
        )
    )
    return path


def committed(broker, group_id, topic):
    consumer = Consumer({"bootstrap.servers": broker.bootstrap, "group.id": group_id})
    try:
        (tp,) = consumer.committed([TopicPartition(topic, 0)], timeout=10)
    finally:
        consumer.close()
    return max(tp.offset, 0)


@pytest.mark.django_db
def test_it_stores_real_notices_from_kafka_and_commits_after_storing(
    kafka_broker, read_shared, tmp_path
):
    from brokers.fink.kafka_broker import create_topics

    suffix = uuid.uuid4().hex[:6]
    gw, voe = f"igwn.gwalert.{suffix}", f"gcn.classic.voevent.FERMI_GBM_GND_POS.{suffix}"
    create_topics(kafka_broker.bootstrap, [(gw, 1), (voe, 1)])
    producer = Producer({"bootstrap.servers": kafka_broker.bootstrap, "linger.ms": 0})
    for raw in (
        read_shared("lvk/MS181101ab-2-Preliminary.xml"),
        read_shared("lvk/MS181101ab-preliminary.avro"),  # ~0.8 MB, sky map inline
        b'{"alert_type": "PRELIMINARY", ',  # truncated: quarantined, not fatal
        read_shared("lvk/MS181101ab-retraction.json"),
    ):
        producer.produce(gw, raw)
    producer.produce(voe, read_shared("gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml"))
    producer.flush(10)

    group = f"icare-test-{suffix}"
    config = listener.load_config(
        write_config(tmp_path, kafka_broker, [gw, voe], group), environ={}
    )
    counts = listener.GcnListener(config).run(max_messages=5, max_idle_polls=60)
    assert counts == {"read": 5, "ingested": 4, "duplicate": 0, "quarantined": 1}
    assert committed(kafka_broker, group, gw) == 4
    assert committed(kafka_broker, group, voe) == 1

    lvk = GcnEvent.objects.get(name="MS181101ab")
    assert lvk.retracted and lvk.notices.count() == 3
    assert GcnEvent.objects.filter(name="bn180116026").exists()
    origins = set(GcnNotice.objects.values_list("origin", flat=True))
    assert f"{voe}:0:0" in origins and f"{gw}:0:3" in origins
    assert GcnQuarantine.objects.get().origin == f"{gw}:0:2"

    # A restart in the same group resumes after the committed offsets: nothing new.
    again = listener.GcnListener(config).run(max_idle_polls=8)
    assert again["read"] == 0
    assert GcnNotice.objects.count() == 4


def test_it_reads_credentials_from_the_environment_and_rejects_bad_configs(tmp_path):
    path = tmp_path / "gcn.yaml"
    path.write_text("client_id: ${GCN_CLIENT_ID}\ngroup_id: g\ntopics: [igwn.gwalert]\n")
    config = listener.load_config(path, environ={"GCN_CLIENT_ID": "abc"})
    assert config.client_id == "abc" and config.topics == ("igwn.gwalert",)
    assert config.consumer_config()["enable.auto.commit"] is False
    with pytest.raises(listener.ConfigError, match="GCN_CLIENT_ID"):
        listener.load_config(path, environ={})
    path.write_text("group_id: g\ntopics: []\n")
    with pytest.raises(listener.ConfigError, match="topics"):
        listener.load_config(path, environ={})
    path.write_text("topics: [a]\n")
    with pytest.raises(listener.ConfigError, match="group_id"):
        listener.load_config(path, environ={})


def test_the_shipped_config_names_the_gcn_topics(tmp_path):
    from pathlib import Path

    shipped = Path(__file__).resolve().parents[2] / "config" / "gcn.yaml"
    config = listener.load_config(
        shipped, environ={"GCN_CLIENT_ID": "id", "GCN_CLIENT_SECRET": "secret"}
    )
    assert "igwn.gwalert" in config.topics and config.domain == "gcn.nasa.gov"
    assert config.client_secret == "secret"
