"""The compiled projecting decoder gives the parser exactly what fastavro gives it (same
normalized alerts from the real files), and rejects damaged values like the wire decoder."""

import io
import os

import fastavro
import pytest

from brokers.fink.avrodecode import HISTORY_COLUMNS, AlertDecoder
from brokers.fink.columns import HistoryColumns
from brokers.fink.errors import AlertRejected
from brokers.fink.parsing import parse_alert
from brokers.fink.simulator import encode_alert, generate_alerts, load_schema
from tests.brokers.conftest import avro_records, avro_schema


def encode(schema, record):
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, fastavro.parse_schema(schema), record)
    return buffer.getvalue()


def same_alert(a, b):
    assert (a.alert_id, a.object_name, a.ra, a.dec, a.mjd) == (
        b.alert_id, b.object_name, b.ra, b.dec, b.mjd,
    )  # fmt: skip
    assert (a.classification, a.is_solar_system) == (b.classification, b.is_solar_system)
    assert repr(a.photometry) == repr(b.photometry)
    assert repr(a.annotations) == repr(b.annotations)
    assert {k: a.cutouts.stored(k) for k in a.cutouts} == {
        k: b.cutouts.stored(k) for k in b.cutouts
    }


# Under ICARE_PURE_PYTHON=1 both sides would be fastavro: the comparison says nothing then.
needs_compiled = pytest.mark.skipif(
    bool(os.environ.get("ICARE_PURE_PYTHON")),
    reason="compares the compiled decoder with fastavro; ICARE_PURE_PYTHON disables it",
)


@needs_compiled
@pytest.mark.parametrize("survey", ["ztf", "lsst"])
def test_it_decodes_real_alerts_to_the_same_normalized_alerts(survey, ztf_file, lsst_file):
    path = ztf_file if survey == "ztf" else lsst_file
    schema = avro_schema(path)
    decoder = AlertDecoder(schema)
    assert decoder.compiled
    for record in avro_records(path):
        decoded = decoder.decode(encode(schema, record))
        for name, fields in HISTORY_COLUMNS.items():
            if record.get(name) is not None:
                columns = decoded[name]
                assert isinstance(columns, HistoryColumns)
                assert len(columns) == len(record[name])
                entries = HistoryColumns.from_entries(record[name], fields)
                for field, kind in fields.items():
                    assert (columns.is_null(field) == entries.is_null(field)).all()
                    if kind == "text":
                        codes, distinct = columns.texts(field)
                        expected_codes, expected = entries.texts(field)
                        assert [None if c < 0 else distinct[c] for c in codes] == [
                            None if c < 0 else expected[c] for c in expected_codes
                        ]
                    else:
                        got, expected = columns.floats(field), entries.floats(field)
                        assert ((got == expected) | (got != got) & (expected != expected)).all()
        same_alert(parse_alert(decoded, survey), parse_alert(record, survey))


@needs_compiled
def test_it_decodes_simulated_alerts_like_fastavro():
    decoder = AlertDecoder(load_schema("lsst"))
    assert decoder.compiled  # the comparison is compiled decoder vs fastavro
    parsed = fastavro.parse_schema(load_schema("lsst"))
    for record in generate_alerts("lsst", 20, seed=3):
        value = encode_alert(record, "lsst")[1]
        full = fastavro.schemaless_reader(io.BytesIO(value), parsed)
        same_alert(parse_alert(decoder.decode(value)), parse_alert(full))


def test_it_rejects_truncated_and_trailing_bytes(ztf_file):
    schema = avro_schema(ztf_file)
    value = encode(schema, avro_records(ztf_file)[0])
    decoder = AlertDecoder(schema)
    with pytest.raises(AlertRejected) as truncated:
        decoder.decode(value[: len(value) // 2])
    assert truncated.value.reason == "truncated"
    with pytest.raises(AlertRejected) as trailing:
        decoder.decode(value + b"\x00\x00")
    assert trailing.value.reason == "undecodable"
    with pytest.raises(AlertRejected) as empty:
        decoder.decode(b"")
    assert empty.value.reason == "undecodable"
