"""Ingesting the same files again (a replay) changes no table and reports nothing new."""

from django.apps import apps

from brokers.fink.files import ingest_files
from tests.brokers.conftest import GROUP_A, LSST_TOPIC, ZTF_TOPIC

TABLES = [
    "tom_targets.BaseTarget",
    "accounts.TargetGroupObjectPermission",
    "sources.TargetSummary",
    "sources.Photometry",
    "sources.Candidate",
    "sources.Classification",
    "sources.Cutout",
    "sources.Filter",
    "sources.Stream",
    "sources.Taxonomy",
    "brokers.ArchivedAlert",
]


def snapshot():
    counts = {label: apps.get_model(label).objects.count() for label in TABLES}
    summaries = list(
        apps.get_model("sources.TargetSummary").objects.order_by("target_id").values_list()
    )
    return counts, summaries


def test_it_changes_nothing_when_files_are_replayed(
    ztf_file, lsst_file, ingested_ztf, ingested_lsst
):
    before = snapshot()
    assert before[0]["sources.Photometry"] > 0
    for path, survey, topic in ((ztf_file, "ztf", ZTF_TOPIC), (lsst_file, "lsst", LSST_TOPIC)):
        report, _ = ingest_files([path], survey=survey, topic=topic, group_name=GROUP_A)
        assert report.new_targets == 0
        assert report.new_photometry == 0
        assert report.ingested == report.read > 0
    assert snapshot() == before


def test_it_writes_a_duplicate_inside_one_batch_once(ztf_file, group_a):
    report, _ = ingest_files(
        [ztf_file, ztf_file], survey="ztf", topic=ZTF_TOPIC, group_name=GROUP_A, batch_size=1000
    )
    assert report.read == 62
    assert report.new_targets == 31
    assert apps.get_model("sources.Candidate").objects.count() == 31
