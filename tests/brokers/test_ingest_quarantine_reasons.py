"""Records that cannot be ingested are quarantined with their bytes and reason, and the
good records around them are ingested: truncated file, garbage bytes, wrong schema,
missing field, NaN coordinates."""

import copy
import io
import math

import fastavro

from brokers.fink.files import ingest_files
from brokers.fink.ingest import ReceivedAlert, RejectedRecord, ingest_batch
from brokers.models import QuarantinedAlert
from sources.models import Candidate
from tests.brokers.conftest import GROUP_A, ZTF_TOPIC, avro_records, avro_schema


def write_avro(path, schema, records):
    with open(path, "wb") as stream:
        fastavro.writer(stream, fastavro.parse_schema(schema), records)
    return path


def nullable(schema, field_name):
    schema = copy.deepcopy(schema)
    for field in schema["fields"]:
        if field["name"] == field_name and not isinstance(field["type"], list):
            field["type"] = ["null", field["type"]]
    return schema


def test_it_quarantines_a_truncated_file_and_keeps_what_came_before(ztf_file, group_a, tmp_path):
    data = ztf_file.read_bytes()
    cut = write_avro(tmp_path / "cut.avro", avro_schema(ztf_file), avro_records(ztf_file)[:5])
    cut.write_bytes(cut.read_bytes()[: int(len(cut.read_bytes()) * 0.7)])
    report, _ = ingest_files([cut], survey="ztf", topic=ZTF_TOPIC, group_name=GROUP_A)
    assert report.quarantined == 1
    assert 0 < report.ingested < 5
    assert Candidate.objects.count() == report.ingested
    row = QuarantinedAlert.objects.get()
    assert row.reason == "truncated"
    assert str(cut) in row.detail and row.topic == ZTF_TOPIC
    assert len(data) > 0


def test_it_quarantines_garbage_bytes_with_the_bytes(group_a, tmp_path):
    garbage = b"this is not an Avro file at all \x00\x01\x02"
    path = tmp_path / "garbage.avro"
    path.write_bytes(garbage)
    report, _ = ingest_files([path], survey="ztf", group_name=GROUP_A)
    assert report.as_dict() == {
        "read": 1, "ingested": 0, "quarantined": 1, "new_targets": 0, "new_photometry": 0,
    }  # fmt: skip
    row = QuarantinedAlert.objects.get()
    assert row.reason == "undecodable"
    assert bytes(row.raw) == garbage


def test_it_quarantines_alerts_of_the_wrong_schema(lsst_file, group_a):
    report, _ = ingest_files([lsst_file], survey="ztf", group_name=GROUP_A)
    assert report.quarantined == report.read == 7
    assert set(QuarantinedAlert.objects.values_list("reason", flat=True)) == {"wrong_schema"}
    # The raw record bytes are kept: they decode with the file's schema.
    row = QuarantinedAlert.objects.first()
    record = fastavro.schemaless_reader(
        io.BytesIO(bytes(row.raw)), fastavro.parse_schema(avro_schema(lsst_file))
    )
    assert "diaSource" in record
    assert Candidate.objects.count() == 0


def test_it_quarantines_an_alert_missing_a_required_field(ztf_file, group_a, tmp_path):
    records = avro_records(ztf_file)[:3]
    records[1]["objectId"] = None
    schema = nullable(avro_schema(ztf_file), "objectId")
    path = write_avro(tmp_path / "missing.avro", schema, records)
    report, _ = ingest_files([path], survey="ztf", topic=ZTF_TOPIC, group_name=GROUP_A)
    assert (report.ingested, report.quarantined) == (2, 1)
    row = QuarantinedAlert.objects.get()
    assert row.reason == "missing_field:objectId"
    assert row.offset == 1


def test_it_quarantines_nan_coordinates(ztf_file, group_a, tmp_path):
    records = avro_records(ztf_file)[:2]
    records[0]["candidate"]["ra"] = math.nan
    path = write_avro(tmp_path / "nan.avro", avro_schema(ztf_file), records)
    report, _ = ingest_files([path], survey="ztf", topic=ZTF_TOPIC, group_name=GROUP_A)
    assert (report.ingested, report.quarantined) == (1, 1)
    assert QuarantinedAlert.objects.get().reason == "nan_coordinates"


def test_it_stores_stream_rejections_with_their_kafka_position(group_a):
    rejected = [
        RejectedRecord(raw=b"\x00\x01", reason="unknown_schema", detail="no schema for key",
                       topic="fink_kn_candidates_ztf", partition=1, offset=42),
    ]  # fmt: skip
    alerts: list[ReceivedAlert] = []
    report = ingest_batch(alerts, rejected, survey="ztf", group_name=GROUP_A)
    assert (report.read, report.quarantined) == (1, 1)
    row = QuarantinedAlert.objects.get()
    assert (row.reason, row.topic, row.partition, row.offset) == (
        "unknown_schema", "fink_kn_candidates_ztf", 1, 42,
    )  # fmt: skip
    assert bytes(row.raw) == b"\x00\x01" and row.survey == "ztf"
