"""Every stored point follows the flux/magnitude conventions, checked point by point
against the raw Avro fields: µJy with zero point 23.9, ZTF sign from isdiffpos, LSST
nJy → µJy, magnitudes only where flux > 0, limits for ZTF non-detections."""

import math

import pytest

from sources.models import Photometry
from tests.brokers.conftest import avro_records

ZTF_BANDS = {1: "ztfg", 2: "ztfr", 3: "ztfi"}


_ROWS = {}


def stored(name, band, mjd, forced=False, detection_id=None):
    if not _ROWS:
        for p in Photometry.objects.select_related("target"):
            _ROWS.setdefault((p.target.name, p.band), []).append(p)
    rows = [
        p
        for p in _ROWS.get((name, band), [])
        if abs(p.mjd - mjd) < 1e-7
        and (p.origin == "forced") == forced
        and detection_id in (None, p.detection_id)
    ]
    assert len(rows) == 1, (name, band, mjd, rows)
    return rows[0]


@pytest.fixture(autouse=True)
def _fresh_rows():
    _ROWS.clear()
    yield
    _ROWS.clear()


def test_it_stores_ztf_detections_and_limits_as_specified(ztf_file, ingested_ztf):
    checked = set()
    for record in avro_records(ztf_file):
        entries = [record["candidate"], *(record["prv_candidates"] or [])]
        # One real alert reports the same exposure's non-detection from two CCD quadrants
        # (different depths): one row is kept, with one of the reported depths.
        depths = {}
        for entry in entries:
            if entry.get("magpsf") is None and entry.get("diffmaglim") is not None:
                depths.setdefault((entry["jd"], entry["fid"]), set()).add(entry["diffmaglim"])
        for entry in entries:
            mjd = entry["jd"] - 2400000.5
            band = ZTF_BANDS[entry["fid"]]
            if entry.get("magpsf") is None:
                if entry.get("diffmaglim") is None:
                    continue
                point = stored(record["objectId"], band, mjd)
                assert point.flux is None and point.mag is None
                assert point.limiting_mag in depths[entry["jd"], entry["fid"]]
                checked.add(point.pk)
                continue
            point = stored(record["objectId"], band, mjd)
            amplitude = 10 ** (-0.4 * (entry["magpsf"] - 23.9))
            positive = entry["isdiffpos"] in ("t", "1")
            assert point.flux == pytest.approx(amplitude if positive else -amplitude, rel=1e-12)
            assert point.fluxerr == pytest.approx(
                amplitude * math.log(10) / 2.5 * entry["sigmapsf"], rel=1e-12
            )
            if positive:
                assert point.mag == pytest.approx(entry["magpsf"])
                assert point.magerr == pytest.approx(entry["sigmapsf"])
            else:
                assert point.mag is None and point.magerr is None
            assert point.limiting_mag is None
            assert point.instrument == "ZTF"
            checked.add(point.pk)
    assert len(checked) == Photometry.objects.count()


def test_it_stores_lsst_fluxes_in_microjansky(lsst_file, ingested_lsst):
    checked = negatives = pairs = 0
    for record in avro_records(lsst_file):
        ss = record.get("ssSource") or {}
        name = ss.get("designation") or str(record["diaSource"]["diaObjectId"])
        sources = [
            *[(s, "det") for s in [record["diaSource"], *(record.get("prvDiaSources") or [])]],
            *[(s, "fp") for s in record.get("prvDiaForcedSources") or []],
        ]
        # One real alert associates two diaSources of the same visit and detector with its
        # object (a deblended pair): both are measurements, each stored under its own
        # diaSourceId.
        fluxes = {}
        for source, kind in sources:
            key = (source["midpointMjdTai"], source["band"], kind)
            fluxes.setdefault(key, set()).add(source.get("psfFlux"))
        pairs += sum(1 for values in fluxes.values() if len(values) > 1)
        for source, kind in sources:
            flux_njy = source.get("psfFlux")
            if flux_njy is None or not math.isfinite(flux_njy):
                continue
            detection_id = source["diaSourceId"] if kind == "det" else None
            point = stored(
                name, "lsst" + source["band"], source["midpointMjdTai"], kind == "fp", detection_id
            )
            assert point.flux == pytest.approx(flux_njy / 1000.0, rel=1e-12)
            assert point.fluxerr == pytest.approx(source["psfFluxErr"] / 1000.0, rel=1e-12)
            if flux_njy > 0:
                assert point.mag == pytest.approx(-2.5 * math.log10(flux_njy) + 31.4)
                assert point.mag == pytest.approx(-2.5 * math.log10(point.flux) + 23.9)
            else:
                negatives += 1
                assert point.mag is None and point.magerr is None
            assert point.instrument == "LSSTCam"
            checked += 1
    assert pairs == 1
    assert checked == Photometry.objects.count()
    assert negatives > 0  # the real alerts do carry negative fluxes; they are kept
