"""Real Fink ZTF and LSST alerts normalize with the photometric conventions of DESIGN §3."""

import io
import math

import pytest

from brokers.fink.parsing import parse_alert
from brokers.fink.photometry import describe_measurement_key
from brokers.fink.taxonomy import (
    FINK_TAXONOMY,
    FINK_TAXONOMY_VERSION,
    TAXONOMY_LABELS,
    iter_taxonomy,
)

ZTF_BAND = {1: "ztfg", 2: "ztfr", 3: "ztfi"}


def _finite(value) -> bool:
    return value is not None and math.isfinite(value)


def test_it_reads_every_alert_of_the_real_files(ztf_records, lsst_records):
    assert len(ztf_records) == 31
    assert len(lsst_records) == 7
    assert all(isinstance(record, dict) for record in ztf_records + lsst_records)


def test_it_keeps_one_ztf_point_per_alert_detection_history_entry_and_upper_limit(ztf_records):
    for record in ztf_records:
        # Independent count: the candidate, then each prv entry with a magpsf (detection)
        # or without one but with a diffmaglim (upper limit), distinct by (band, kind, jd).
        expected = {(record["candidate"]["fid"], "det", record["candidate"]["jd"])}
        for entry in record["prv_candidates"] or []:
            if entry["magpsf"] is not None:
                expected.add((entry["fid"], "det", entry["jd"]))
            elif entry["diffmaglim"] is not None:
                expected.add((entry["fid"], "lim", entry["jd"]))
        alert = parse_alert(record, "ztf")
        assert len(alert.photometry) == len(expected), record["objectId"]
    total = sum(len(parse_alert(r, "ztf").photometry) for r in ztf_records)
    assert total == 1375  # 31 own points + 1345 prv entries, one repeated exposure


def test_it_keeps_lsst_alert_history_and_forced_points(lsst_records):
    for record in lsst_records:
        source = record["diaSource"]
        # Detections by diaSourceId, forced points by visit (time) and band.
        expected = {(source["band"], "det", source["midpointMjdTai"], source["diaSourceId"])}
        for entry in record["prvDiaSources"] or []:
            if _finite(entry["psfFlux"]):
                expected.add((entry["band"], "det", entry["midpointMjdTai"], entry["diaSourceId"]))
        for entry in record["prvDiaForcedSources"] or []:
            if _finite(entry["psfFlux"]):
                expected.add((entry["band"], "fp", entry["midpointMjdTai"], None))
        alert = parse_alert(record, "lsst")
        assert len(alert.photometry) == len(expected)
        origins = [p.origin for p in alert.photometry]
        assert origins.count("alert") == 1
        assert origins.count("forced") == len(record["prvDiaForcedSources"] or [])
    # 4,061 exposures and bands, one of them with two detections (two diaSourceIds).
    assert sum(len(parse_alert(r, "lsst").photometry) for r in lsst_records) == 4062


def test_it_converts_ztf_magnitudes_to_signed_microjansky_point_by_point(ztf_records):
    checked_negative = checked_limits = 0
    for record in ztf_records:
        alert = parse_alert(record, "ztf")
        by_jd = {round(p.mjd + 2400000.5, 7): p for p in alert.photometry}
        seen = set()
        for source in [record["candidate"], *(record["prv_candidates"] or [])]:
            if (source["jd"], source["fid"]) in seen:
                # ZTF26aakkrjv: one exposure reported by two readout channels; the first
                # limit is kept (same measurement key).
                continue
            seen.add((source["jd"], source["fid"]))
            point = by_jd[round(source["jd"], 7)]
            assert point.band == ZTF_BAND[source["fid"]]
            assert point.instrument == "ZTF"
            assert point.mjd == pytest.approx(source["jd"] - 2400000.5, abs=1e-9)
            if source["magpsf"] is None:
                assert point.flux is None and point.fluxerr is None
                assert point.mag is None and point.magerr is None
                assert point.limiting_mag == source["diffmaglim"]
                assert point.origin == "history" and point.alert_id is None
                checked_limits += 1
                continue
            sign = 1.0 if source["isdiffpos"] in ("t", "1") else -1.0
            flux = sign * 10 ** (-0.4 * (source["magpsf"] - 23.9))
            assert point.flux == pytest.approx(flux, rel=1e-12)
            assert point.fluxerr == pytest.approx(
                abs(flux) * math.log(10) / 2.5 * source["sigmapsf"], rel=1e-12
            )
            assert point.limiting_mag is None
            assert point.alert_id == source["candid"]
            if sign > 0:
                assert point.mag == source["magpsf"]
                assert point.magerr == source["sigmapsf"]
            else:
                assert point.mag is None and point.magerr is None
                checked_negative += 1
    assert checked_negative > 20  # the file has isdiffpos 'f' and '0' detections
    assert checked_limits > 900


def test_it_converts_lsst_nanojansky_to_microjansky_and_keeps_non_positive_fluxes(lsst_records):
    non_positive = 0
    for record in lsst_records:
        alert = parse_alert(record, "lsst")
        points = {(p.origin, p.mjd, p.band, p.alert_id): p for p in alert.photometry}
        sources = [("alert", record["diaSource"])]
        sources += [("history", s) for s in record["prvDiaSources"] or []]
        sources += [("forced", s) for s in record["prvDiaForcedSources"] or []]
        seen = set()
        for origin, source in sources:
            # Detections by their diaSourceId (two in one visit are two points), forced
            # points by visit and band.
            source_id = None if origin == "forced" else source["diaSourceId"]
            identity = (origin, source["midpointMjdTai"], "lsst" + source["band"], source_id)
            assert identity not in seen
            seen.add(identity)
            point = points[identity]
            assert point.instrument == "LSSTCam"
            assert point.flux == pytest.approx(source["psfFlux"] / 1000.0, rel=1e-12)
            assert point.fluxerr == pytest.approx(source["psfFluxErr"] / 1000.0, rel=1e-12)
            assert point.limiting_mag is None
            if source["psfFlux"] > 0:
                assert point.mag == pytest.approx(-2.5 * math.log10(source["psfFlux"]) + 31.4)
                assert point.magerr == pytest.approx(
                    2.5 / math.log(10) * source["psfFluxErr"] / source["psfFlux"]
                )
                # Same magnitude through the µJy zero point.
                assert point.mag == pytest.approx(-2.5 * math.log10(point.flux) + 23.9)
            else:
                assert point.mag is None and point.magerr is None
                non_positive += 1
            if origin == "forced":
                assert point.alert_id is None
            else:
                assert point.alert_id == source["diaSourceId"]
    assert non_positive > 100


def test_it_gives_the_same_dedupe_key_to_a_measurement_seen_in_later_alerts(ztf_records):
    # ZTF26aamcamo and ZTF26aamcamp share exposures; within one object, the alert's
    # own point and the same measurement replayed from history must share a key.
    record = next(r for r in ztf_records if len(r["prv_candidates"] or []) > 10)
    alert = parse_alert(record, "ztf")
    history_detection = next(e for e in record["prv_candidates"] if e["magpsf"] is not None)
    as_alert = dict(record, candidate=dict(history_detection), prv_candidates=[])
    as_alert["candid"] = history_detection["candid"]
    for name in ("ra", "dec"):
        as_alert["candidate"][name] = record["candidate"][name]
    replayed = parse_alert(as_alert, "ztf")
    own = replayed.photometry[0]
    assert own.origin == "alert"
    matching = [p for p in alert.photometry if p.measurement_key == own.measurement_key]
    assert len(matching) == 1
    assert matching[0].origin == "history"
    assert matching[0].flux == own.flux and matching[0].alert_id == own.alert_id
    # Parsing twice gives identical keys (replays dedupe).
    assert [p.measurement_key for p in parse_alert(record, "ztf").photometry] == [
        p.measurement_key for p in alert.photometry
    ]


def test_it_makes_dedupe_keys_unique_within_an_alert_and_decodable(ztf_records, lsst_records):
    for survey, records in (("ztf", ztf_records), ("lsst", lsst_records)):
        for record in records:
            points = parse_alert(record, survey).photometry
            keys = [(p.measurement_key, p.detection_id) for p in points]
            assert len(keys) == len(set(keys))
            # A measurement key repeats only for detections told apart by their survey ids.
            by_key = {}
            for point in points:
                by_key.setdefault(point.measurement_key, []).append(point.detection_id)
            assert all(0 not in ids for ids in by_key.values() if len(ids) > 1)
            for point in points[:50]:
                instrument, band, kind, mjd = describe_measurement_key(point.measurement_key)
                assert (instrument, band) == (point.instrument, point.band)
                assert mjd == pytest.approx(point.mjd, abs=1e-6)
                assert kind == {"alert": "det", "history": "det", "forced": "fp"}.get(
                    point.origin, kind
                ) or (kind == "lim" and point.limiting_mag is not None)


def test_it_separates_forced_photometry_from_the_detection_of_the_same_exposure():
    record = {
        "diaSourceId": 1,
        "diaSource": {
            "diaSourceId": 1,
            "diaObjectId": 7,
            "midpointMjdTai": 61000.5,
            "ra": 10.0,
            "dec": -5.0,
            "band": "g",
            "psfFlux": 1000.0,
            "psfFluxErr": 100.0,
        },
        "prvDiaForcedSources": [
            {"midpointMjdTai": 61000.5, "band": "g", "psfFlux": 990.0, "psfFluxErr": 100.0}
        ],
    }
    points = parse_alert(record, "lsst").photometry
    assert [p.origin for p in points] == ["alert", "forced"]
    assert points[0].measurement_key != points[1].measurement_key


def test_it_classifies_ztf_alerts_with_finkclass_and_its_score(ztf_records):
    labels = {}
    for record in ztf_records:
        alert = parse_alert(record, "ztf", topic="fink_sn_candidates_ztf")
        label, probability = alert.classification
        assert label == record["finkclass"]
        assert label in TAXONOMY_LABELS
        assert probability == pytest.approx(record["snn_sn_vs_all"])
        labels[record["objectId"]] = label
    assert set(labels.values()) == {"SN candidate"}
    tns = parse_alert(ztf_records[3], "ztf").annotations["tnsclass"]
    assert tns == "(TNS) SN Ia"


def test_it_takes_the_kilonova_probability_on_kilonova_topics(ztf_records):
    record = next(r for r in ztf_records if r["objectId"] == "ZTF26aaklfaa")
    as_kilonova = dict(record, finkclass="Kilonova candidate")
    alert = parse_alert(as_kilonova, "ztf", topic="fink_kn_candidates_ztf")
    assert alert.classification == ("Kilonova candidate", pytest.approx(0.26666666666666666))
    no_class = dict(record, finkclass=None)
    assert parse_alert(no_class, "ztf", topic="fink_early_kn_candidates_ztf").classification[0] == (
        "Kilonova candidate"
    )


def test_it_classifies_lsst_alerts_from_the_cats_block_and_names_asteroids_by_designation(
    lsst_records,
):
    alerts = [parse_alert(r, "lsst") for r in lsst_records]
    assert [a.classification[0] for a in alerts] == [
        "SN-like",
        "Long",
        "SN-like",
        "Periodic",
        "Solar System MPC",
        "SN-like",
        "Solar System MPC",
    ]
    assert alerts[0].classification[1] == pytest.approx(lsst_records[0]["clf"]["cats_score"])
    assert alerts[0].object_name == "170028485706776685"
    assert [a.object_name for a in alerts if a.is_solar_system] == ["2004 JQ12", "2020 SJ88"]
    assert all(len(a.photometry) == 1 for a in alerts if a.is_solar_system)
    assert alerts[0].annotations["clf_cats_class"] == 11
    assert alerts[0].annotations["xm_gaiadr3_DR3Name"] == "Gaia DR3 4836968293033500160"


def test_it_keeps_fink_scores_as_json_safe_annotations(ztf_records, lsst_records):
    import json

    for survey, records in (("ztf", ztf_records), ("lsst", lsst_records)):
        for record in records:
            annotations = parse_alert(record, survey).annotations
            json.dumps(annotations, allow_nan=False)
    ztf = parse_alert(ztf_records[1], "ztf").annotations
    assert ztf["rf_kn_vs_nonkn"] == pytest.approx(0.26666666666666666)
    assert ztf["cdsxmatch"] == "Unknown"
    assert "snn_snia_vs_nonia" in ztf and "candidate_drb" in ztf
    assert ztf["mag_rate"] is None  # NaN in the alert


def test_it_extracts_cutouts_as_valid_fits(ztf_records, lsst_records):
    from astropy.io import fits

    for survey, records in (("ztf", ztf_records[:3]), ("lsst", lsst_records[:3])):
        for record in records:
            cutouts = parse_alert(record, survey).cutouts
            assert set(cutouts) == {"science", "template", "difference"}
            for kind in cutouts:
                with fits.open(io.BytesIO(cutouts[kind])) as hdus:
                    assert hdus[0].data is not None and hdus[0].data.ndim == 2
            assert cutouts.is_gzipped("science") == (survey == "ztf")


def test_it_keeps_the_raw_record_with_unknown_fields(ztf_records):
    record = dict(ztf_records[0], some_future_field={"x": 1})
    alert = parse_alert(record, "ztf")
    assert alert.raw["some_future_field"] == {"x": 1}
    assert alert.alert_id == ztf_records[0]["candid"]
    assert alert.object_name == "ZTF26aamcbly"
    assert alert.mjd == pytest.approx(ztf_records[0]["candidate"]["jd"] - 2400000.5)


def test_it_tolerates_missing_optional_fields(ztf_records):
    record = {
        key: value
        for key, value in ztf_records[1].items()
        if key in ("objectId", "candid", "candidate")
    }
    alert = parse_alert(record, "ztf")
    assert len(alert.photometry) == 1
    assert alert.classification is None
    assert len(alert.cutouts) == 0


def test_it_describes_the_fink_taxonomy_as_a_versioned_hierarchy():
    assert FINK_TAXONOMY_VERSION
    pairs = list(iter_taxonomy())
    labels = [label for label, _ in pairs]
    assert len(labels) == len(set(labels)), "labels must be unique to be upsert keys"
    seen = set()
    for label, parent in pairs:
        assert parent is None or parent in seen
        seen.add(label)
    for label in (
        "SN candidate",
        "Early SN Ia candidate",
        "Kilonova candidate",
        "Microlensing candidate",
        "Solar System MPC",
        "Solar System candidate",
        "Tracklet",
        "Ambiguous",
        "Unknown",
        "SN Ia",
        "SN II",
        "RRLyr",
        "QSO",
        "SN-like",
        "Periodic",
    ):
        assert label in labels
    assert list(FINK_TAXONOMY) == ["Fink"]
