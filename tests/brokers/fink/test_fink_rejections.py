"""Records that cannot become alerts are rejected with a machine-readable reason."""

import copy
import io
import json
import math

import pytest

from brokers.fink.errors import AlertRejected
from brokers.fink.files import read_avro_file
from brokers.fink.parsing import parse_alert
from brokers.fink.wire import SchemaCache, decode_message, encode_message


def _reason(callable_, *args, **kwargs) -> str:
    with pytest.raises(AlertRejected) as excinfo:
        callable_(*args, **kwargs)
    return excinfo.value.reason


def test_it_yields_records_before_the_damage_then_truncated(ztf_bytes):
    items = list(read_avro_file(io.BytesIO(ztf_bytes[: len(ztf_bytes) // 2])))
    *records, last = items
    assert 0 < len(records) < 31
    assert all(isinstance(r, dict) for r in records)
    assert isinstance(last, AlertRejected) and last.reason == "truncated"


def test_it_reports_a_file_cut_inside_its_header_as_truncated(ztf_bytes):
    (only,) = list(read_avro_file(io.BytesIO(ztf_bytes[:5000])))
    assert only.reason == "truncated"


def test_it_reports_garbage_bytes_as_undecodable(ztf_bytes):
    (only,) = list(read_avro_file(io.BytesIO(b"\x00garbage" * 100)))
    assert only.reason == "undecodable"
    (empty,) = list(read_avro_file(io.BytesIO(b"")))
    assert empty.reason == "undecodable"


def test_it_reports_corruption_inside_a_data_block_without_raising(ztf_bytes):
    # Inserted bytes shift the block's end away from its sync marker.
    middle = len(ztf_bytes) // 2
    damaged = ztf_bytes[:middle] + bytes(range(250)) * 16 + ztf_bytes[middle:]
    items = list(read_avro_file(io.BytesIO(damaged)))
    assert isinstance(items[-1], AlertRejected)
    assert items[-1].reason == "undecodable"
    assert 10 <= sum(isinstance(item, dict) for item in items) < 31


def test_it_rejects_an_alert_of_the_other_survey_as_wrong_schema(ztf_records, lsst_records):
    assert _reason(parse_alert, lsst_records[0], "ztf") == "wrong_schema"
    assert _reason(parse_alert, ztf_records[0], "lsst") == "wrong_schema"
    assert _reason(parse_alert, {"superevent_id": "S230518h"}) == "wrong_schema"
    assert _reason(parse_alert, ["not", "a", "record"], "ztf") == "wrong_schema"


@pytest.mark.parametrize("name", ["ra", "dec", "jd", "magpsf", "fid"])
def test_it_names_the_missing_ztf_candidate_field(ztf_records, name):
    record = copy.deepcopy(ztf_records[0])
    del record["candidate"][name]
    assert _reason(parse_alert, record, "ztf") == f"missing_field:candidate.{name}"


def test_it_names_missing_top_level_and_lsst_fields(ztf_records, lsst_records):
    record = {k: v for k, v in ztf_records[0].items() if k != "objectId"}
    assert _reason(parse_alert, record, "ztf") == "missing_field:objectId"
    lsst = copy.deepcopy(lsst_records[0])
    lsst["diaSource"]["midpointMjdTai"] = None
    assert _reason(parse_alert, lsst, "lsst") == "missing_field:diaSource.midpointMjdTai"
    lsst = copy.deepcopy(lsst_records[0])
    lsst["diaSource"]["psfFlux"] = math.nan
    assert _reason(parse_alert, lsst, "lsst") == "missing_field:diaSource.psfFlux"


@pytest.mark.parametrize("survey", ["ztf", "lsst"])
def test_it_rejects_nan_coordinates(ztf_records, lsst_records, survey):
    record = copy.deepcopy(ztf_records[0] if survey == "ztf" else lsst_records[0])
    block = record["candidate"] if survey == "ztf" else record["diaSource"]
    block["ra"] = math.nan
    assert _reason(parse_alert, record, survey) == "nan_coordinates"
    block["ra"], block["dec"] = 10.0, math.inf
    assert _reason(parse_alert, record, survey) == "nan_coordinates"


def test_it_rejects_unknown_bands(ztf_records, lsst_records):
    record = copy.deepcopy(ztf_records[0])
    record["candidate"]["fid"] = 9
    assert _reason(parse_alert, record, "ztf") == "bad_value:candidate.fid"
    lsst = copy.deepcopy(lsst_records[0])
    lsst["prvDiaSources"][3]["band"] = "q"
    assert _reason(parse_alert, lsst, "lsst") == "bad_value:prvDiaSources.band"


def test_it_rejects_kafka_messages_without_a_known_schema(ztf_records, ztf_schema_path):
    schema = json.loads(ztf_schema_path.read_text())
    _key, value, _ = encode_message(ztf_records[0], schema)
    assert _reason(decode_message, value, b"4.02", None, SchemaCache()) == "unknown_schema"
    assert _reason(decode_message, value, None, None, SchemaCache()) == "unknown_schema"
    assert _reason(decode_message, value, b"{not json", None, SchemaCache()) == "unknown_schema"


def test_it_rejects_truncated_and_garbage_kafka_values(ztf_records, ztf_schema_path):
    schema = json.loads(ztf_schema_path.read_text())
    key, value, _ = encode_message(ztf_records[0], schema)
    cache = SchemaCache()
    assert _reason(decode_message, value[: len(value) // 3], key, None, cache) in (
        "truncated",
        "undecodable",
    )
    assert _reason(decode_message, b"\xff" * 64, key, None, cache) in ("undecodable", "truncated")
    assert _reason(decode_message, b"", key, None, cache) == "undecodable"
