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

import gzip
import io
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import IO, Any, Literal

import fastavro

from brokers.fink.wire import Headers, MessageEncoder
from icare_tom.times import mjd_to_jd

__all__ = [
    "SCHEMA_DIR",
    "encode_alert",
    "generate_alerts",
    "load_schema",
    "write_avro_file",
]

Survey = Literal["ztf", "lsst"]
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILES = {"ztf": "ztf_alert.avsc", "lsst": "lsst_alert.avsc"}

ZP_UJY = 23.9
DETECTION_SNR = 5.0
ZTF_HISTORY_DAYS = 30.0  # ZTF alerts carry 30 days of history
LSST_HISTORY_DAYS = 365.0
COHORT_DAYS = 40.0  # objects are born in cohorts spanning this many days
ZTF_FIDS = {"ztfg": 1, "ztfr": 2, "ztfi": 3}
LSST_BANDS = "ugrizy"

# kind → (weight ZTF, weight LSST)
KINDS = {
    "sn_ia": (0.32, 0.30),
    "sn_ii": (0.20, 0.20),
    "kilonova": (0.10, 0.08),
    "variable": (0.25, 0.22),
    "agn": (0.13, 0.12),
    "asteroid": (0.0, 0.08),
}
VARIABLE_TYPES = ("RRLyr", "EB*", "delSctV*", "Mira")
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
# Light curves
# ---------------------------------------------------------------------------

BAND_COLOR = {  # mag offset from the reference band, crude SED shapes
    "sn": {"g": 0.0, "r": -0.1, "i": 0.1, "u": 0.6, "z": 0.2, "y": 0.3},
    "kn": {"g": 0.6, "r": 0.0, "i": -0.2, "u": 1.2, "z": -0.3, "y": -0.3},
    "flat": {"g": 0.0, "r": -0.3, "i": -0.5, "u": 0.5, "z": -0.6, "y": -0.7},
}
KN_FADE_RATE = {"u": 1.5, "g": 1.0, "r": 0.6, "i": 0.4, "z": 0.35, "y": 0.3}  # mag/day


@dataclass(slots=True)
class _Exposure:
    mjd: float
    band: str  # one letter: g r i (ZTF) or u..y (LSST)
    limiting_mag: float
    flux: float  # measured difference flux, µJy
    fluxerr: float  # µJy
    forced_flux: float  # independent forced-photometry measurement, µJy
    detected: bool
    source_id: int  # candid / diaSourceId (meaningful if detected)
    image_id: int  # ZTF pid / LSST visit
    forced_id: int


@dataclass(slots=True)
class _Object:
    index: int
    kind: str
    name: str
    numeric_id: int
    ra: float
    dec: float
    t0: float
    peak_mag: float
    period: float
    phase: float
    amplitude: float
    subtype: str
    exposures: list[_Exposure] = field(default_factory=list)
    template_cache: dict[str, Any] = field(default_factory=dict)

    def difference_flux(self, mjd: float, band: str) -> float:
        """True difference flux (µJy) at ``mjd`` in ``band`` (one letter)."""
        dt = mjd - self.t0
        if self.kind == "sn_ia":
            if dt < -20.0:
                return 0.0
            mag = self.peak_mag + (2.5 * (dt / 12.0) ** 2 if dt < 0 else 0.06 * dt)
            mag += BAND_COLOR["sn"][band]
        elif self.kind == "sn_ii":
            if dt < -8.0:
                return 0.0
            if dt < 0:
                mag = self.peak_mag + 2.0 * (dt / 8.0) ** 2
            elif dt < 90.0:
                mag = self.peak_mag + 0.01 * dt
            else:
                mag = self.peak_mag + 0.9 + 0.08 * (dt - 90.0)
            mag += BAND_COLOR["sn"][band]
        elif self.kind == "kilonova":
            if dt < 0:
                return 0.0
            mag = self.peak_mag + KN_FADE_RATE[band] * dt + BAND_COLOR["kn"][band]
        elif self.kind in ("variable", "agn"):
            reference = 10 ** (-0.4 * (self.peak_mag + BAND_COLOR["flat"][band] - ZP_UJY))
            if self.kind == "variable":
                wave = math.sin(2 * math.pi * (mjd / self.period + self.phase))
            else:  # two incommensurate slow waves: stochastic-looking
                wave = 0.6 * math.sin(2 * math.pi * (mjd / self.period + self.phase)) + 0.4 * (
                    math.sin(2 * math.pi * (mjd / (self.period * 0.37) + 2 * self.phase))
                )
            return reference * self.amplitude * wave
        else:  # asteroid: only ever seen once
            mag = self.peak_mag + BAND_COLOR["flat"][band]
        return 10 ** (-0.4 * (mag - ZP_UJY))


# ---------------------------------------------------------------------------
# Population and cadence
# ---------------------------------------------------------------------------


class _Sky:
    """Objects and their exposures, generated cohort by cohort (unbounded)."""

    def __init__(self, survey: Survey, seed: int, start_mjd: float, objects_per_cohort: int):
        self.survey = survey
        self.seed = seed
        self.rng = random.Random(seed)
        self.start_mjd = start_mjd
        self.objects_per_cohort = objects_per_cohort
        self.object_count = 0
        self.serial = 0
        salt = seed % 997
        if survey == "ztf":
            self.source_base = 3_000_000_000_000_000_000 + salt * 10**15
        else:
            self.source_base = 180_000_000_000_000_000 + salt * 10**13
            self.object_base = 170_000_000_000_000_000 + salt * 10**13

    def _next_serial(self) -> int:
        self.serial += 1
        return self.serial

    def _name(self, index: int) -> tuple[str, int]:
        if self.survey == "ztf":
            letters = "".join(self.rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(7))
            return f"ZTF26{letters}", 0
        numeric = self.object_base + index * 1000
        return str(numeric), numeric

    def cohort(self, number: int) -> list[tuple[float, _Object, int]]:
        """Alerts (mjd, object, exposure index) of the ``number``-th cohort, time-sorted."""
        rng = self.rng
        window_start = self.start_mjd + number * COHORT_DAYS
        weights = [w[0] if self.survey == "ztf" else w[1] for w in KINDS.values()]
        alerts: list[tuple[float, _Object, int]] = []
        for _ in range(self.objects_per_cohort):
            index = self.object_count
            self.object_count += 1
            kind = rng.choices(list(KINDS), weights)[0]
            name, numeric = self._name(index)
            obj = _Object(
                index=index,
                kind=kind,
                name=name,
                numeric_id=numeric,
                ra=rng.uniform(0.0, 360.0),
                dec=math.degrees(math.asin(rng.uniform(-0.95, 0.6))),
                t0=window_start + rng.uniform(5.0, COHORT_DAYS),
                peak_mag=self._peak_mag(kind),
                period=rng.uniform(0.3, 2.0) if kind == "variable" else rng.uniform(30, 200),
                phase=rng.random(),
                amplitude=rng.uniform(0.03, 0.4),
                subtype=rng.choice(VARIABLE_TYPES),
            )
            self._observe(obj, window_start)
            alerts.extend(
                (exposure.mjd, obj, i)
                for i, exposure in enumerate(obj.exposures)
                if exposure.detected
            )
        alerts.sort(key=lambda item: item[0])
        return alerts

    def _peak_mag(self, kind: str) -> float:
        deep = 0.0 if self.survey == "ztf" else 3.5
        low, high = {
            "sn_ia": (17.5, 19.3),
            "sn_ii": (17.8, 19.5),
            "kilonova": (17.5, 18.8),
            "variable": (15.5, 18.0),
            "agn": (17.0, 19.0),
            "asteroid": (17.0, 19.5),
        }[kind]
        return self.rng.uniform(low + deep, high + deep)

    def _observe(self, obj: _Object, window_start: float) -> None:
        rng = self.rng
        ztf = self.survey == "ztf"
        if obj.kind == "asteroid":
            epochs = [obj.t0]
        else:
            first = min(obj.t0 - 25.0, window_start) if obj.kind != "kilonova" else obj.t0 - 6
            epochs, t = [], first + rng.uniform(0.0, 1.5)
            end = obj.t0 + (8.0 if obj.kind == "kilonova" else 60.0)
            while t < end:
                epochs.append(t)
                if obj.kind == "kilonova":  # follow-up cadence: fast faders are watched
                    t += rng.uniform(0.3, 0.8)
                else:
                    t += rng.uniform(0.6, 2.5) if ztf else rng.uniform(1.5, 4.0)
        for mjd in epochs:
            mjd = round(mjd, 7)  # exposure times are published with 1e-7 d resolution
            band = (
                rng.choice("gr" if rng.random() < 0.9 else "i") if ztf else rng.choice(LSST_BANDS)
            )
            limiting_mag = rng.gauss(20.4, 0.4) if ztf else rng.gauss(24.3, 0.4)
            sigma = 10 ** (-0.4 * (limiting_mag - ZP_UJY)) / DETECTION_SNR
            true_flux = obj.difference_flux(mjd, band)
            flux = true_flux + rng.gauss(0.0, sigma)
            forced_flux = true_flux + rng.gauss(0.0, sigma)
            obj.exposures.append(
                _Exposure(
                    mjd=mjd,
                    band=band,
                    limiting_mag=limiting_mag,
                    flux=flux,
                    fluxerr=sigma,
                    forced_flux=forced_flux,
                    detected=true_flux != 0.0 and abs(flux) >= DETECTION_SNR * sigma,
                    source_id=self.source_base + self._next_serial(),
                    image_id=int(mjd * 1e5),
                    forced_id=self.source_base + 5 * 10**11 + self.serial,
                )
            )


# ---------------------------------------------------------------------------
# Cutouts
# ---------------------------------------------------------------------------


def _cutouts(obj: _Object, exposure: _Exposure, size: int, gzipped: bool) -> dict[str, bytes]:
    """Science, template and difference stamps as FITS bytes (astropy), optionally gzipped."""
    import numpy as np
    from astropy.io import fits

    rng = np.random.default_rng([obj.index, int(exposure.mjd * 1e5) % 2**31])
    template = obj.template_cache.get("template")
    y, x = np.mgrid[0:size, 0:size] - (size - 1) / 2.0
    if template is None:
        host = np.random.default_rng(obj.index).uniform(50, 400)
        template = host * np.exp(-((x - 2.0) ** 2 + (y + 1.5) ** 2) / (2 * 3.0**2)) + 100.0
        obj.template_cache["template"] = template
    psf = np.exp(-(x**2 + y**2) / (2 * 1.4**2))
    psf /= psf.sum()
    counts_per_ujy = 30.0
    point_source = exposure.flux * counts_per_ujy * psf
    noise = rng.normal(0.0, 3.0, (size, size))
    science = (template + point_source + noise).astype(np.float32)
    difference = (science - template).astype(np.float32)
    stamps = {}
    for kind, image in (
        ("Science", science),
        ("Template", template.astype(np.float32)),
        ("Difference", difference),
    ):
        header = fits.Header()
        header["OBJECT"] = obj.name
        header["MJD-OBS"] = exposure.mjd
        header["FILTER"] = exposure.band
        header["IMAGETYP"] = kind.lower()
        buffer = io.BytesIO()
        fits.PrimaryHDU(image, header=header).writeto(buffer)
        data = buffer.getvalue()
        stamps[kind] = gzip.compress(data, compresslevel=1) if gzipped else data
    return stamps


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
