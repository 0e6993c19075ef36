"""The simulated sky behind :mod:`brokers.fink.simulator`: a population of objects (SNe
Ia and II, kilonova-like fast faders, periodic and AGN-like variables, asteroids), their
light curves (µJy, AB zero point 23.9), the survey cadence that observes them, and the
cutout stamps of an exposure. Everything derives from the seed."""

from __future__ import annotations

import gzip
import io
import math
import random
from dataclasses import dataclass, field
from typing import Any, Literal

Survey = Literal["ztf", "lsst"]

ZP_UJY = 23.9
DETECTION_SNR = 5.0
COHORT_DAYS = 40.0  # objects are born in cohorts spanning this many days
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
