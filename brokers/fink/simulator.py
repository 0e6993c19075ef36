"""Synthetic Fink alerts (ZTF-like and LSST-like) for the demo, tests and benchmarks.

Alerts follow our own reduced schemas in ``brokers/fink/schemas/`` (a faithful
subset of Fink's: same field names, types and units for everything ICARE-TOM
reads), so they parse through :mod:`brokers.fink.parsing` and travel through
:mod:`brokers.fink.wire` exactly like real ones.

The sky is a population of objects - SNe Ia (rise then decline), SNe II
(plateau), kilonova-like fast faders, periodic variables (positive *and* negative
difference fluxes), AGN-like stochastic variables, and for LSST a few asteroids -
observed by a survey cadence. Each exposure of an object is generated once and
reused, so an object's later alerts carry bit-identical copies of its earlier
measurements in their histories (what the dedupe key relies on). Everything
derives from ``seed``: same seed, same alerts.

No Kafka here: the ``simulate_alerts`` command produces what :func:`generate_alerts`
yields, encoded with :func:`encode_alert`.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any

import fastavro

from brokers.fink.simulated_sky import (
    ZP_UJY,
    Survey,
    _cutouts,
    _Exposure,
    _Object,
    _Sky,
)
from brokers.fink.wire import Headers, MessageEncoder
from icare_tom.times import mjd_to_jd

__all__ = [
    "SCHEMA_DIR",
    "encode_alert",
    "generate_alerts",
    "load_schema",
    "write_avro_file",
]

SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILES = {"ztf": "ztf_alert.avsc", "lsst": "lsst_alert.avsc"}

ZTF_HISTORY_DAYS = 30.0  # ZTF alerts carry 30 days of history
LSST_HISTORY_DAYS = 365.0
ZTF_FIDS = {"ztfg": 1, "ztfr": 2, "ztfi": 3}

CATS_CLASS = {"sn_ia": 11, "sn_ii": 11, "kilonova": 12, "variable": 21, "agn": 22}


@cache
def load_schema(survey: Survey) -> dict[str, Any]:
    """Our Avro schema for ``survey`` (the JSON dict, not parsed by fastavro)."""
    return json.loads((SCHEMA_DIR / SCHEMA_FILES[survey]).read_text())


@cache
def _encoder(survey: Survey) -> MessageEncoder:
    return MessageEncoder(load_schema(survey))


def encode_alert(record: dict[str, Any], survey: Survey) -> tuple[bytes, bytes, Headers]:
    """Encode a simulated alert as Fink would put it on Kafka: ``(key, value, headers)``."""
    return _encoder(survey).encode(record)


def write_avro_file(
    path_or_fileobj: str | Path | IO[bytes], records: list[dict[str, Any]], survey: Survey
) -> None:
    """Write records to an Avro container file (what ``ingest_alerts`` reads)."""
    parsed = fastavro.parse_schema(load_schema(survey))
    if isinstance(path_or_fileobj, (str, Path)):
        with open(path_or_fileobj, "wb") as stream:
            fastavro.writer(stream, parsed, records)
    else:
        fastavro.writer(path_or_fileobj, parsed, records)


# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------


def _ztf_magnitudes(exposure: _Exposure) -> tuple[float, float, str]:
    amplitude = abs(exposure.flux)
    magpsf = -2.5 * math.log10(amplitude) + ZP_UJY
    sigmapsf = 2.5 / math.log(10) * exposure.fluxerr / amplitude
    return magpsf, sigmapsf, "t" if exposure.flux > 0 else "f"


def _ztf_prv(obj: _Object, exposure: _Exposure) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "jd": mjd_to_jd(exposure.mjd),
        "fid": ZTF_FIDS["ztf" + exposure.band],
        "pid": exposure.image_id,
        "diffmaglim": exposure.limiting_mag,
        "programid": 1,
        "field": 400 + obj.index % 300,
        "rcid": obj.index % 64,
    }
    if exposure.detected:
        magpsf, sigmapsf, isdiffpos = _ztf_magnitudes(exposure)
        entry.update(
            candid=exposure.source_id,
            isdiffpos=isdiffpos,
            ra=obj.ra,
            dec=obj.dec,
            magpsf=magpsf,
            sigmapsf=sigmapsf,
            rb=0.85,
            drb=0.97,
        )
    return entry


def _ztf_scores(obj: _Object, n_detections: int, rising: bool, rng: random.Random):
    scores: dict[str, Any] = {
        "cdsxmatch": "Unknown",
        "roid": 0,
        "mulens": 0.0,
        "rf_snia_vs_nonia": 0.0,
        "snn_snia_vs_nonia": rng.uniform(0.0, 0.3),
        "snn_sn_vs_all": rng.uniform(0.0, 0.3),
        "rf_kn_vs_nonkn": rng.uniform(0.0, 0.1),
        "tnsclass": "Unknown",
        "tns": "",
        "finkclass": "Unknown",
    }
    if obj.kind in ("sn_ia", "sn_ii"):
        scores["snn_sn_vs_all"] = rng.uniform(0.6, 0.98)
        scores["snn_snia_vs_nonia"] = rng.uniform(0.6, 0.95) if obj.kind == "sn_ia" else 0.2
        early = obj.kind == "sn_ia" and rising and n_detections <= 4
        scores["rf_snia_vs_nonia"] = rng.uniform(0.6, 0.9) if early else 0.0
        scores["finkclass"] = "Early SN Ia candidate" if early else "SN candidate"
    elif obj.kind == "kilonova":
        scores["rf_kn_vs_nonkn"] = rng.uniform(0.7, 0.97)
        scores["finkclass"] = "Kilonova candidate"
    elif obj.kind == "variable":
        scores["cdsxmatch"] = scores["finkclass"] = obj.subtype
        scores["vsx"] = obj.subtype
    elif obj.kind == "agn":
        scores["cdsxmatch"] = scores["finkclass"] = "QSO"
    return scores


def _ztf_alert(obj: _Object, index: int, rng: random.Random, cutouts: bool) -> dict[str, Any]:
    exposure = obj.exposures[index]
    magpsf, sigmapsf, isdiffpos = _ztf_magnitudes(exposure)
    history = [e for e in obj.exposures[:index] if exposure.mjd - e.mjd <= ZTF_HISTORY_DAYS]
    detections = [e for e in obj.exposures[: index + 1] if e.detected]
    candidate = _ztf_prv(obj, exposure) | {
        "magnr": 19.5 if obj.kind in ("variable", "agn") else None,
        "distnr": 0.3 if obj.kind in ("variable", "agn") else 2.5,
        "classtar": 0.98 if obj.kind == "variable" else 0.4,
        "sgscore1": 0.97 if obj.kind == "variable" else 0.1,
        "distpsnr1": 0.4 if obj.kind == "variable" else 3.0,
        "ndethist": len(detections),
        "ncovhist": index + 1,
        "jdstarthist": mjd_to_jd(detections[0].mjd),
        "ssnamenr": None,
        "isdiffpos": isdiffpos,
        "magpsf": magpsf,
        "sigmapsf": sigmapsf,
    }
    rising = len(detections) < 2 or detections[-1].flux > detections[-2].flux
    record: dict[str, Any] = {
        "schemavsn": "4.02",
        "publisher": "ICARE-TOM simulator",
        "objectId": obj.name,
        "candid": exposure.source_id,
        "candidate": candidate,
        "prv_candidates": [_ztf_prv(obj, e) for e in history],
        "nalerthist": len(detections),
        "tracklet": None,
        "brokerIngestTimestamp": None,
        "fink_broker_version": "sim",
        "fink_science_version": "sim",
    }
    record.update(_ztf_scores(obj, len(detections), rising, rng))
    if cutouts:
        for kind, data in _cutouts(obj, exposure, 63, gzipped=True).items():
            record[f"cutout{kind}"] = {
                "fileName": f"candid{exposure.source_id}_{kind.lower()}.fits.gz",
                "stampData": data,
            }
    return record


def _lsst_source(obj: _Object, exposure: _Exposure) -> dict[str, Any]:
    flux_njy = exposure.flux * 1000.0
    asteroid = obj.kind == "asteroid"
    return {
        "diaSourceId": exposure.source_id,
        "visit": exposure.image_id,
        "detector": obj.index % 189,
        "diaObjectId": 0 if asteroid else obj.numeric_id,
        "ssObjectId": 21_000_000_000_000_000 + obj.index if asteroid else 0,
        "midpointMjdTai": exposure.mjd,
        "ra": obj.ra,
        "raErr": 1e-5,
        "dec": obj.dec,
        "decErr": 1e-5,
        "psfFlux": flux_njy,
        "psfFluxErr": exposure.fluxerr * 1000.0,
        "snr": abs(exposure.flux) / exposure.fluxerr,
        "band": exposure.band,
        "reliability": 0.9,
        "extendedness": 0.1 if obj.kind == "variable" else 0.6,
        "isDipole": False,
        "isNegative": flux_njy < 0,
    }


def _lsst_alert(obj: _Object, index: int, rng: random.Random, cutouts: bool) -> dict[str, Any]:
    exposure = obj.exposures[index]
    earlier = [e for e in obj.exposures[:index] if exposure.mjd - e.mjd <= LSST_HISTORY_DAYS]
    detections = [e for e in obj.exposures[: index + 1] if e.detected]
    asteroid = obj.kind == "asteroid"
    cats_class = CATS_CLASS.get(obj.kind, -1)
    record: dict[str, Any] = {
        "diaSourceId": exposure.source_id,
        "observation_reason": "wfd",
        "diaSource": _lsst_source(obj, exposure),
        "prvDiaSources": [_lsst_source(obj, e) for e in earlier if e.detected],
        "prvDiaForcedSources": [
            {
                "diaForcedSourceId": e.forced_id,
                "diaObjectId": obj.numeric_id,
                "ra": obj.ra,
                "dec": obj.dec,
                "visit": e.image_id,
                "detector": obj.index % 189,
                "psfFlux": e.forced_flux * 1000.0,
                "psfFluxErr": e.fluxerr * 1000.0,
                "midpointMjdTai": e.mjd,
                "band": e.band,
            }
            for e in earlier
        ],
        "diaObject": None
        if asteroid
        else {
            "diaObjectId": obj.numeric_id,
            "ra": obj.ra,
            "dec": obj.dec,
            "nDiaSources": len(detections),
            "firstDiaSourceMjdTai": detections[0].mjd,
            "lastDiaSourceMjdTai": exposure.mjd,
        },
        "ssSource": None,
        "mpc_orbits": None,
        "brokerIngestMjd": exposure.mjd + 0.002,
        "lsst_schema_version": "lsst.v10_0",
        "fink_broker_version": "sim",
        "fink_science_version": "sim",
        "publisher": "ICARE-TOM simulator",
        "clf": {
            "snnSnVsOthers_score": rng.uniform(0.6, 0.95)
            if obj.kind.startswith("sn")
            else rng.uniform(0.0, 0.4),
            "cats_class": cats_class,
            "cats_score": rng.uniform(0.6, 0.99) if cats_class > 0 else 0.0,
            "earlySNIa_score": -1.0,
        },
        "xm": {
            "simbad_otype": obj.subtype if obj.kind == "variable" else None,
            "gaiadr3_DR3Name": None,
            "tns_fullname": None,
            "tns_type": None,
            "vsx_Type": obj.subtype if obj.kind == "variable" else None,
            "legacydr8_zphot": None,
        },
        "pred": {
            "is_sso": asteroid,
            "is_first": len(detections) == 1,
            "is_cataloged": obj.kind == "variable",
            "main_label_classifier": cats_class,
            "main_label_crossmatch": obj.subtype if obj.kind == "variable" else None,
        },
        "misc": {"firstDiaSourceMjdTaiFink": detections[0].mjd},
        "tns_type_recomputed": "Unknown",
    }
    if asteroid:
        letters = chr(65 + obj.index % 24) + chr(66 + obj.index % 23)
        designation = f"20{10 + obj.index % 15} {letters}{obj.index % 200}"
        ss_object_id = record["diaSource"]["ssObjectId"]
        record["ssSource"] = {
            "diaSourceId": exposure.source_id,
            "ssObjectId": ss_object_id,
            "designation": designation,
            "ephRa": obj.ra,
            "ephDec": obj.dec,
        }
        record["mpc_orbits"] = {
            "designation": designation,
            "a": 2.2 + (obj.index % 10) / 10,
            "e": 0.1,
            "i": 5.0,
            "h": 16.0,
        }
    if cutouts:
        for kind, data in _cutouts(obj, exposure, 30, gzipped=False).items():
            record[f"cutout{kind}"] = data
    return record


def generate_alerts(
    survey: Survey,
    n: int | None,
    seed: int = 0,
    *,
    start_mjd: float = 61100.0,
    objects_per_cohort: int = 24,
    cutouts: bool = True,
) -> Iterator[dict[str, Any]]:
    """Yield ``n`` simulated Fink alerts of ``survey`` (``None``: forever).

    Objects are born in cohorts of ``objects_per_cohort``; alerts are time-ordered
    within a cohort and cohorts follow each other in time.

    Deterministic for a given ``seed``. ``cutouts=False`` skips the FITS stamps
    (about 1 ms per alert with astropy) for bulk benchmarks.
    """
    if survey not in SCHEMA_FILES:
        raise ValueError(f"unknown survey {survey!r}")
    sky = _Sky(survey, seed, start_mjd, objects_per_cohort)
    rng = random.Random(seed * 7919 + 1)  # Fink scores: independent of the sky's draws
    build = _ztf_alert if survey == "ztf" else _lsst_alert
    produced = 0
    cohort = 0
    while n is None or produced < n:
        for _, obj, index in sky.cohort(cohort):
            yield build(obj, index, rng, cutouts)
            produced += 1
            if n is not None and produced >= n:
                return
        cohort += 1
