"""Each alert becomes a candidate of its topic's filter, a classification by the stream in
the Fink taxonomy, three cutouts and a compressed archive of its bytes."""

import io
from datetime import UTC, datetime, timedelta

import fastavro
import pytest
from astropy.io import fits

from accounts.models import TargetGroupObjectPermission
from brokers.fink.parsing import parse_alert
from brokers.fink.taxonomy import FINK_TAXONOMY_VERSION
from brokers.models import ArchivedAlert
from sources.cutouts import fits_bytes, stored_stamp
from sources.models import Candidate, Classification, Cutout
from tests.brokers.conftest import GROUP_A, ZTF_TOPIC, avro_records, avro_schema


def mjd_to_datetime(mjd):
    return datetime(1858, 11, 17, tzinfo=UTC) + timedelta(days=mjd)


def test_it_makes_a_candidate_per_alert_in_the_topic_filter(ztf_file, ingested_ztf):
    records = {r["candid"]: r for r in avro_records(ztf_file)}
    candidates = Candidate.objects.select_related("filter__stream", "filter__group", "target")
    assert {c.alert_id for c in candidates} == set(records)
    for candidate in candidates:
        record = records[candidate.alert_id]
        assert candidate.target.name == record["objectId"]
        assert candidate.filter.topic == ZTF_TOPIC
        assert candidate.filter.group.name == GROUP_A
        assert candidate.filter.stream.name == "Fink ZTF"
        expected = mjd_to_datetime(record["candidate"]["jd"] - 2400000.5)
        assert abs(candidate.passed_at - expected) < timedelta(milliseconds=1)
        assert candidate.ingested_at >= candidate.passed_at
        assert candidate.annotations["rf_kn_vs_nonkn"] == pytest.approx(record["rf_kn_vs_nonkn"])
        assert candidate.annotations["candidate_drb"] == pytest.approx(record["candidate"]["drb"])
    owned = TargetGroupObjectPermission.objects.filter(group__name=GROUP_A)
    assert owned.count() == 31


def test_it_classifies_with_the_fink_class_by_the_stream(ztf_file, ingested_ztf):
    records = {r["candid"]: r for r in avro_records(ztf_file)}
    labels = Classification.objects.select_related("taxonomy", "target")
    assert labels.count() == 31
    for label in labels:
        record = records[label.alert_id]
        assert label.label == record["finkclass"] == "SN candidate"
        assert label.probability == pytest.approx(record["snn_sn_vs_all"])
        assert label.author_name == "Fink ZTF"
        assert (label.taxonomy.name, label.taxonomy.version) == ("Fink", FINK_TAXONOMY_VERSION)
        assert list(label.groups.values_list("name", flat=True)) == [GROUP_A]


def test_it_labels_lsst_solar_system_objects(ingested_lsst):
    labels = dict(Classification.objects.values_list("target__name", "label"))
    assert labels["2004 JQ12"] == "Solar System MPC"


def test_it_stores_three_fits_cutouts_per_alert(ztf_file, lsst_file, ingested_ztf, ingested_lsst):
    carried = {
        (alert.alert_id, kind): alert.cutouts.stored(kind)
        for survey, path in (("ztf", ztf_file), ("lsst", lsst_file))
        for alert in (parse_alert(record, survey) for record in avro_records(path))
        for kind in alert.cutouts
    }
    assert Cutout.objects.count() == len(carried) == 3 * (31 + 7)
    for cutout in Cutout.objects.all():
        # Written once: the rows point into the archived raw alert, which carries them.
        assert cutout.fits is None and cutout.store.startswith("fink-archive-")
        stamp = stored_stamp(cutout)
        assert stamp == carried[cutout.alert_id, cutout.kind]
        with fits.open(io.BytesIO(fits_bytes(stamp))) as hdus:
            assert hdus[0].data is not None or hdus[1].data is not None


def test_it_archives_every_raw_alert_compressed(ztf_file, ingested_ztf):
    schema = fastavro.parse_schema(avro_schema(ztf_file))
    archived = ArchivedAlert.objects.all()
    assert archived.count() == 31
    for row in archived:
        payload = bytes(row.payload)
        assert payload[:4] == b"\x28\xb5\x2f\xfd"  # a zstd frame
        assert len(payload) < len(row.raw_bytes())
        record = fastavro.schemaless_reader(io.BytesIO(row.raw_bytes()), schema)
        assert (record["candid"], record["objectId"]) == (row.alert_id, row.object_name)
        assert row.survey == "ztf" and row.topic == ZTF_TOPIC
