"""Two detections of one object in one exposure (same time and band, two survey ids) are
two measurements: both are stored, each once, and a replay adds nothing.

The real LSST sample holds such a pair (diaObject 313897383979122767: diaSources
170050478892122162 and …163, visit 2026022300078, same detector, fluxes 2553.6 and
2555.4 nJy). No ZTF alert of the sample has one, so the ZTF pair is built from a real
alert: a second candid at the jd and fid of one of its history detections.
"""

import copy
from collections import Counter

import pytest
from tom_targets.models import Target

from brokers.fink.files import ingest_files, read_avro_file_with_bytes
from brokers.fink.ingest import ReceivedAlert, ingest_batch
from brokers.fink.parsing import parse_alert
from sources.api_objects import photometry_points
from sources.lightcurves import plotly_traces
from sources.models import Photometry

from .conftest import GROUP_A, LSST_TOPIC, ZTF_TOPIC, avro_records


def lsst_pair(lsst_file):
    """(object name, band, mjd, the two diaSourceIds) of the file's same-visit pair."""
    for record in avro_records(lsst_file):
        sources = [record["diaSource"], *(record.get("prvDiaSources") or [])]
        by_exposure = {}
        for source in sources:
            exposure = (source["band"], source["midpointMjdTai"])
            by_exposure.setdefault(exposure, []).append(source["diaSourceId"])
        for (band, mjd), ids in by_exposure.items():
            if len(ids) == 2:
                return str(record["diaSource"]["diaObjectId"]), "lsst" + band, mjd, sorted(ids)
    pytest.skip("the LSST sample has no two detections in one visit")


def test_it_keeps_both_lsst_detections_of_one_visit(lsst_file, ingested_lsst):
    name, band, mjd, ids = lsst_pair(lsst_file)
    at_visit = Photometry.objects.filter(target__name=name, band=band, mjd=mjd)
    assert at_visit.filter(origin="forced", detection_id=0).count() == 1  # forced: one a visit
    rows = at_visit.exclude(origin="forced")
    assert sorted(rows.values_list("detection_id", flat=True)) == ids
    assert sorted(rows.values_list("alert_id", flat=True)) == ids
    assert len({row.measurement_key for row in rows}) == 1  # one exposure, one band
    fluxes = sorted(rows.values_list("flux", flat=True))
    assert fluxes == pytest.approx([2.5536008, 2.5553706], rel=1e-6)  # µJy

    report, _ = ingest_files([lsst_file], survey="lsst", topic=LSST_TOPIC, group_name=GROUP_A)
    assert report.new_photometry == 0
    assert rows.count() == 2


def test_it_shows_both_points_in_the_light_curve_and_the_api(lsst_file, ingested_lsst):
    name, band, mjd, ids = lsst_pair(lsst_file)
    target = Target.objects.get(name=name)
    points = list(Photometry.objects.filter(target=target).order_by("measurement_key"))
    traces = {series["band"]: series for series in plotly_traces(points)["bands"]}
    # Two markers at the same time in the band, each with its own flux and error bar.
    assert Counter(traces[band]["det"]["mjd"])[mjd] == 3  # the two detections, the forced point
    listed = [
        p
        for p in photometry_points(target)
        if p["mjd"] == mjd and p["filter"] == band and p["origin"] != "forced"
    ]
    assert sorted(p["alert_id"] for p in listed) == ids


def ztf_alert_with_pair(ztf_file):
    """A real ZTF alert (of those with a positive history detection, the one with the longest
    history) and a copy whose history has a second detection in the exposure of that
    detection (new candid, 0.05 mag fainter, 1.2 arcsec away)."""

    def positive(entry):
        return entry["magpsf"] is not None and entry["isdiffpos"] in ("t", "1")

    record, raw = max(
        (
            item
            for item in read_avro_file_with_bytes(ztf_file)
            if any(positive(e) for e in item[0]["prv_candidates"] or [])
        ),
        key=lambda item: len(item[0]["prv_candidates"]),
    )
    history = record["prv_candidates"]
    first = next(e for e in history if positive(e))
    twin = copy.deepcopy(first)
    twin["candid"] = first["candid"] + 1
    twin["magpsf"] = first["magpsf"] + 0.05
    twin["dec"] = first["dec"] + 1.2 / 3600
    paired = dict(record, prv_candidates=[*history, twin])
    return record, raw, paired, first, twin


def test_it_keeps_both_ztf_detections_of_one_exposure_and_replays_add_nothing(
    db, group_a, ztf_file
):
    record, raw, paired, first, twin = ztf_alert_with_pair(ztf_file)
    alert = parse_alert(paired, "ztf", ZTF_TOPIC)
    same_exposure = [p for p in alert.photometry if p.mjd == first["jd"] - 2400000.5]
    assert sorted(p.alert_id for p in same_exposure) == [first["candid"], twin["candid"]]
    assert len({p.measurement_key for p in same_exposure}) == 1

    report = ingest_batch([ReceivedAlert(alert, raw, ZTF_TOPIC)], survey="ztf", group_name=GROUP_A)
    assert report.new_photometry == len(alert.photometry)
    stored = Photometry.objects.filter(target__name=record["objectId"], mjd=same_exposure[0].mjd)
    assert sorted(stored.values_list("detection_id", flat=True)) == sorted(
        [first["candid"], twin["candid"]]
    )
    mags = sorted(stored.values_list("mag", flat=True))
    assert mags == pytest.approx(sorted([first["magpsf"], twin["magpsf"]]))

    # A replay, and the original alert without the twin, add nothing.
    for again in (alert, parse_alert(record, "ztf", ZTF_TOPIC)):
        report = ingest_batch(
            [ReceivedAlert(again, raw, ZTF_TOPIC)], survey="ztf", group_name=GROUP_A
        )
        assert report.new_photometry == 0
    # The twin arriving as an alert of its own is the stored point, upgraded to 'alert'.
    as_alert = dict(paired, candid=twin["candid"], candidate=dict(twin), prv_candidates=[])
    for name in ("ra", "dec"):
        as_alert["candidate"][name] = record["candidate"][name]
    own = parse_alert(as_alert, "ztf", ZTF_TOPIC)
    report = ingest_batch([ReceivedAlert(own, raw, ZTF_TOPIC)], survey="ztf", group_name=GROUP_A)
    assert report.new_photometry == 0
    assert stored.get(detection_id=twin["candid"]).origin == "alert"
    assert stored.get(detection_id=first["candid"]).origin == "history"
    assert stored.count() == 2
