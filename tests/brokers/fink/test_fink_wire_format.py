"""Our Kafka encoding is the one fink-client reads, and we read what fink-client writes."""

import json
import math

import pytest

from brokers.fink.parsing import parse_alert
from brokers.fink.wire import MessageEncoder, SchemaCache, decode_message, encode_message


def _same(a, b) -> bool:
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and math.isnan(a):
        return isinstance(b, float) and math.isnan(b)
    return a == b


class _FakeKafkaMessage:
    """The four methods fink-client's AlertConsumer.process_message calls."""

    def __init__(self, key, value, topic="fink_sn_candidates_ztf"):
        self._key, self._value, self._topic = key, value, topic

    def error(self):
        return None

    def key(self):
        return self._key

    def value(self):
        return self._value

    def topic(self):
        return self._topic


@pytest.mark.parametrize("survey", ["ztf", "lsst"])
def test_it_round_trips_real_alerts_through_the_wire(
    survey, ztf_records, lsst_records, ztf_schema_path, lsst_schema_path
):
    records = ztf_records if survey == "ztf" else lsst_records
    schema = json.loads((ztf_schema_path if survey == "ztf" else lsst_schema_path).read_text())
    cache = SchemaCache()
    for record in records[:5]:
        key, value, headers = encode_message(record, schema)
        assert headers is None
        assert json.loads(key)["type"] == "record"  # the schema travels in the key
        decoded = decode_message(value, key, headers, cache)
        assert _same(record, decoded)
        assert parse_alert(decoded, survey).photometry == parse_alert(record, survey).photometry


def test_it_is_decoded_by_fink_clients_own_consumer(ztf_records, ztf_schema_path):
    fink_consumer = pytest.importorskip("fink_client.consumer")
    consumer = fink_consumer.AlertConsumer.__new__(fink_consumer.AlertConsumer)
    consumer.schema_path = None  # what __init__ sets without a Kafka connection
    consumer.dump_schema = False
    key, value, _ = MessageEncoder(json.loads(ztf_schema_path.read_text())).encode(ztf_records[2])
    topic, alert, returned_key = consumer.process_message(_FakeKafkaMessage(key, value))
    assert topic == "fink_sn_candidates_ztf"
    assert returned_key == key.decode()
    assert _same(alert, ztf_records[2])


def test_it_decodes_what_fink_client_encodes_with_a_schema_file(ztf_records, ztf_schema_path):
    avro_utils = pytest.importorskip("fink_client.avro_utils")
    value = avro_utils.encode_into_avro(ztf_records[4], str(ztf_schema_path))
    # Data Transfer style: the schema comes once from `<topic>_schema`, the key is empty.
    cache = SchemaCache(default=json.loads(ztf_schema_path.read_text()))
    assert _same(decode_message(value, None, None, cache), ztf_records[4])
    # Legacy livestream style: the key names a schema version we registered.
    legacy = SchemaCache(named={"4.02": json.loads(ztf_schema_path.read_text())})
    assert _same(decode_message(value, b"4.02", [], legacy), ztf_records[4])


def test_it_parses_each_distinct_schema_key_once(ztf_records, ztf_schema_path):
    schema = json.loads(ztf_schema_path.read_text())
    cache = SchemaCache()
    messages = [encode_message(r, schema) for r in ztf_records[:3]]
    parsed = {id(cache.for_key(bytes(key))) for key, _, _ in messages}
    assert len(parsed) == 1
