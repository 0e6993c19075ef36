"""Normalization of Fink ZTF and LSST alerts into one survey-independent form.

This module is the Django-free core of the Fink pipeline: it turns decoded Avro
records (``dict``), a batch at a time (:func:`parse_alerts`), into the
:class:`NormalizedAlert` objects that the ingest service writes in bulk. It must stay
cheap (the ingest budget is >= 1,000 ZTF and >= 250 LSST alerts/s on two cores), so it
imports nothing heavy, builds only slotted dataclasses and computes the photometry of
a whole batch with one numpy pass.

Photometric conventions (DESIGN.md section 3)
---------------------------------------------
* Fluxes are difference-image fluxes in microjansky (µJy), AB system, so that
  ``m = -2.5 log10(f / µJy) + 23.9``.
* ZTF: ``flux = ±10^(-0.4 (magpsf - 23.9))`` with the sign from ``isdiffpos``
  (``'t'``/``'1'`` positive, ``'f'``/``'0'`` negative) and
  ``fluxerr = |flux| ln(10)/2.5 sigmapsf``. ``mag = magpsf``, ``magerr = sigmapsf``
  for positive-flux detections only. Non-detections (``prv_candidates`` entries
  without ``candid``/``magpsf``) have no flux and ``limiting_mag = diffmaglim``.
* LSST: ``flux = psfFlux / 1000`` and ``fluxerr = psfFluxErr / 1000`` (nJy → µJy);
  zero and negative fluxes are kept; where flux > 0,
  ``mag = -2.5 log10(psfFlux / nJy) + 31.4`` and ``magerr = 2.5/ln(10) · err/flux``.
* Times are MJD (days): ZTF ``jd - 2400000.5``; LSST ``midpointMjdTai``.
* Bands are sncosmo names: ZTF fid 1/2/3 → ztfg/ztfr/ztfi, LSST u..y → lsstu..lssty.

Deduplication (``PhotometryPoint.measurement_key``)
--------------------------------------------------
The same measurement reaches us several times: as an alert's own candidate, then
inside the ``prv_candidates``/``prvDiaSources`` of every later alert of the object,
and again whenever a stream or a file is replayed. The key identifies the physical
measurement, not the message that carried it. It is one signed 64-bit integer
(a ``BIGINT`` column, cheap to index and to compare in ``ON CONFLICT``)::

    measurement_key = round(mjd * 1e6) * 64 + channel

where ``channel`` (< 64) encodes instrument, band and kind: ``kind`` is ``det``
(difference-image detection), ``lim`` (ZTF upper limit) or ``fp`` (LSST forced
photometry); see :data:`MEASUREMENT_CHANNELS` and :func:`describe_measurement_key`.
Why these parts:

* the MJD comes straight from the survey's own exposure time (ZTF ``jd``, LSST
  ``midpointMjdTai``), which is copied bit for bit into later alerts' histories, so
  the same double always produces the same integer; 1e-6 d (0.09 s) is far below
  the shortest gap between two exposures (~30 s) and far above float noise;
* one object cannot be detected twice in one exposure, so (band, time) is unique
  per target for detections; ``kind`` keeps the forced measurement of an exposure
  apart from the detection in the same exposure, and a ZTF upper limit apart from
  a detection;
* alert ids are *not* used: upper limits and forced points have none.

The key is unique *per target*: the database constraint must be
``UNIQUE (target, measurement_key)``. Within one alert the first occurrence wins
(alert, then history, then forced); across alerts the ingest decides (e.g. upgrade
``origin`` to ``alert`` on conflict).
"""

from __future__ import annotations

import io
import math
import zlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path
from typing import IO, Any, Literal, NamedTuple

import numpy as np

from brokers.fink.columns import ColumnKind, HistoryColumns

__all__ = [
    "FINK_TAXONOMY",
    "FINK_TAXONOMY_VERSION",
    "HISTORY_COLUMNS",
    "ORIGINS",
    "AlertRejected",
    "Cutouts",
    "NormalizedAlert",
    "PhotometryPoint",
    "PhotometryTable",
    "classification_from_topic",
    "describe_measurement_key",
    "detect_survey",
    "iter_taxonomy",
    "parse_alert",
    "parse_alerts",
    "read_avro_file",
    "read_avro_file_with_bytes",
]

Survey = Literal["ztf", "lsst"]
Origin = Literal["alert", "history", "forced"]

JD_TO_MJD = 2400000.5
AB_ZERO_POINT_UJY = 23.9
AB_ZERO_POINT_NJY = 31.4
# d(mag) = 2.5/ln(10) · d(flux)/flux; its inverse converts a magnitude error to a flux error.
MAG_ERR_PER_REL_FLUX = 2.5 / math.log(10.0)
REL_FLUX_PER_MAG_ERR = math.log(10.0) / 2.5
MICRODAYS_PER_DAY = 1e6

# measurement_key = round(mjd * 1e6) * CHANNELS_PER_MICRODAY + channel
CHANNELS_PER_MICRODAY = 64
MEASUREMENT_KINDS = ("det", "lim", "fp")
_BAND_CODES = {"ztfg": 1, "ztfr": 2, "ztfi": 3}
_BAND_CODES.update({"lsst" + b: 8 + n for n, b in enumerate("ugrizy")})
MEASUREMENT_CHANNELS: dict[tuple[str, str], int] = {
    (band, kind): code * 4 + k
    for band, code in _BAND_CODES.items()
    for k, kind in enumerate(MEASUREMENT_KINDS)
}

ZTF_BANDS = {1: "ztfg", 2: "ztfr", 3: "ztfi"}
LSST_BANDS = {b: "lsst" + b for b in "ugrizy"}
POSITIVE_ISDIFFPOS = frozenset({"t", "1", "T", "true", True})
NEGATIVE_ISDIFFPOS = frozenset({"f", "0", "F", "false", False})


class AlertRejected(Exception):
    """A record that cannot become a :class:`NormalizedAlert`.

    ``reason`` is a short machine-readable code, stable across releases so that
    quarantine rows can be grouped by it:

    * ``undecodable`` - bytes that are not Avro (or not decodable with the schema);
    * ``truncated`` - an Avro container or message that ends before its data;
    * ``unknown_schema`` - a Kafka message whose schema we cannot find;
    * ``wrong_schema`` - a decoded record that is not an alert of the expected survey;
    * ``missing_field:<path>`` - a required field is absent or null;
    * ``bad_value:<path>`` - a required field has an unusable value (e.g. unknown band);
    * ``nan_coordinates`` - RA/Dec are NaN or infinite.

    ``detail`` is free text for humans (exception message, offending value).
    """

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(reason if not detail else f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class PhotometryPoint(NamedTuple):
    """One photometric measurement of a target (immutable).

    The ingest itself keeps points by column (:class:`PhotometryTable`); this is how
    one point reads, e.g. when a :class:`PhotometryTable` is iterated.

    Attributes:
        mjd: time of the exposure, Modified Julian Date (days; ZTF ``jd - 2400000.5``,
            LSST ``midpointMjdTai``, TAI).
        band: sncosmo band name (``ztfg``, ``ztfr``, ``ztfi``, ``lsstu`` … ``lssty``).
        instrument: ``"ZTF"`` or ``"LSSTCam"``.
        flux: difference flux in µJy (AB, zero point 23.9); may be zero or negative;
            ``None`` for upper limits.
        fluxerr: 1-sigma error of ``flux`` in µJy, ``None`` when unknown.
        mag: AB magnitude, only where ``flux > 0``.
        magerr: 1-sigma error of ``mag`` (mag), only where ``flux > 0``.
        limiting_mag: 5-sigma limiting AB magnitude of a ZTF non-detection
            (``diffmaglim``); ``None`` for every measured point.
        origin: ``"alert"`` (the alert's own source), ``"history"`` (previous
            detections / upper limits carried by the alert) or ``"forced"``.
        alert_id: ``candid`` (ZTF) or ``diaSourceId`` (LSST) of the detection;
            ``None`` for upper limits and forced photometry.
        measurement_key: identity of the physical measurement (int64), see the
            module doc and :func:`describe_measurement_key`.
    """

    mjd: float
    band: str
    instrument: str
    flux: float | None
    fluxerr: float | None
    mag: float | None
    magerr: float | None
    limiting_mag: float | None
    origin: Origin
    alert_id: int | None
    measurement_key: int


_INSTRUMENTS = {"z": "ZTF", "l": "LSSTCam"}
_CHANNEL_NAMES = {code: key for key, code in MEASUREMENT_CHANNELS.items()}
# Per channel (index): band and instrument names, None for unused channels.
CHANNEL_BANDS: tuple[str | None, ...] = tuple(
    _CHANNEL_NAMES[c][0] if c in _CHANNEL_NAMES else None for c in range(CHANNELS_PER_MICRODAY)
)
CHANNEL_INSTRUMENTS: tuple[str | None, ...] = tuple(
    _INSTRUMENTS[band[0]] if band else None for band in CHANNEL_BANDS
)
# Origin codes are precedence ranks: where one measurement arrives twice, the lower wins.
ORIGINS: tuple[Origin, ...] = ("alert", "history", "forced")
ORIGIN_CODES: dict[str, int] = {origin: code for code, origin in enumerate(ORIGINS)}


def describe_measurement_key(key: int) -> tuple[str, str, str, float]:
    """Decode a measurement key into ``(instrument, band, kind, mjd)`` (mjd in days)."""
    microdays, channel = divmod(key, CHANNELS_PER_MICRODAY)
    band, kind = _CHANNEL_NAMES[channel]
    return _INSTRUMENTS[band[0]], band, kind, microdays / MICRODAYS_PER_DAY


GZIP_MAGIC = b"\x1f\x8b"


class Cutouts(Mapping[str, bytes]):
    """``science``/``template``/``difference`` → FITS bytes, inflated on first access.

    ZTF ships gzipped FITS stamps; inflating three of them costs ~0.4 ms, more
    than the rest of the parse, and storage usually wants the compressed bytes
    anyway, so both forms are offered: ``cutouts[kind]`` is plain FITS,
    :meth:`stored` the bytes as received (gzip for ZTF, plain FITS for LSST).
    """

    __slots__ = ("_inflated", "_stored")

    def __init__(self, stored: dict[str, bytes]) -> None:
        self._stored = stored
        self._inflated: dict[str, bytes] = {}

    def __getitem__(self, kind: str) -> bytes:
        data = self._inflated.get(kind)
        if data is None:
            raw = self._stored[kind]
            # wbits=31: gzip container (the gzip module's header handling costs more).
            data = zlib.decompress(raw, 31) if raw[:2] == GZIP_MAGIC else raw
            self._inflated[kind] = data
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(self._stored)

    def __len__(self) -> int:
        return len(self._stored)

    def __repr__(self) -> str:
        return f"Cutouts({sorted(self._stored)})"

    def stored(self, kind: str) -> bytes:
        """Bytes of ``kind`` exactly as the alert carried them."""
        return self._stored[kind]

    def is_gzipped(self, kind: str) -> bool:
        """Whether :meth:`stored` returns gzip-compressed bytes."""
        return self._stored[kind][:2] == GZIP_MAGIC


_FLOAT_FIELDS = ("mjd", "flux", "fluxerr", "mag", "magerr", "limiting_mag")
_CHANNEL_MASK = CHANNELS_PER_MICRODAY - 1


class PhotometryTable(Sequence[PhotometryPoint]):
    """Photometric points by column: an alert's, or a whole batch's (numpy arrays of
    equal length). The ingest copies it to the database as it is; as a sequence it
    reads as :class:`PhotometryPoint` tuples (``None`` for nulls).

    Columns (units as in :class:`PhotometryPoint`):

    * ``mjd``, ``flux``, ``fluxerr``, ``mag``, ``magerr``, ``limiting_mag``: float64,
      NaN where null (no stored value is NaN: the parser drops points whose time or
      flux is not finite and nulls any other non-finite value);
    * ``origin``: int8 code into :data:`ORIGINS`;
    * ``alert_id``: int64, with ``alert_id_null`` (bool) where there is none;
    * ``measurement_key``: int64; band and instrument are read off its channel.
    """

    FIELDS = (*_FLOAT_FIELDS, "origin", "alert_id", "alert_id_null", "measurement_key")
    __slots__ = FIELDS

    def __init__(self, **columns: np.ndarray) -> None:
        for name in self.FIELDS:
            setattr(self, name, columns[name])

    @classmethod
    def concatenate(cls, tables: Sequence[PhotometryTable]) -> PhotometryTable:
        if len(tables) == 1:
            return tables[0]
        return cls(**{n: np.concatenate([getattr(t, n) for t in tables]) for n in cls.FIELDS})

    def take(self, rows: np.ndarray) -> PhotometryTable:
        """The points at ``rows`` (indices or a boolean mask), in that order."""
        return PhotometryTable(**{name: getattr(self, name)[rows] for name in self.FIELDS})

    @property
    def channel(self) -> np.ndarray:
        return self.measurement_key & _CHANNEL_MASK

    def __len__(self) -> int:
        return len(self.measurement_key)

    def __iter__(self) -> Iterator[PhotometryPoint]:
        floats = [[None if v != v else v for v in getattr(self, n).tolist()] for n in _FLOAT_FIELDS]
        mjd, flux, fluxerr, mag, magerr, limiting_mag = floats
        alert_ids = [
            None if null else value
            for value, null in zip(self.alert_id.tolist(), self.alert_id_null.tolist(), strict=True)
        ]
        for i, (key, origin) in enumerate(
            zip(self.measurement_key.tolist(), self.origin.tolist(), strict=True)
        ):
            channel = key & _CHANNEL_MASK
            yield PhotometryPoint(
                mjd[i], CHANNEL_BANDS[channel], CHANNEL_INSTRUMENTS[channel], flux[i],
                fluxerr[i], mag[i], magerr[i], limiting_mag[i], ORIGINS[origin],
                alert_ids[i], key,
            )  # fmt: skip

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return self.take(np.arange(len(self))[index])
        return next(iter(self.take(np.array([range(len(self))[index]]))))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence):
            return NotImplemented
        return tuple(self) == tuple(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"PhotometryTable({tuple(self)!r})"


@dataclass(frozen=True, slots=True)
class NormalizedAlert:
    """A Fink alert of either survey, in the form the ingest service writes.

    Attributes:
        survey: ``"ztf"`` or ``"lsst"``.
        topic: Kafka topic (or the name given to a file ingest), ``None`` if unknown.
        alert_id: ``candid`` (ZTF) or ``diaSourceId`` (LSST).
        object_name: target name: ZTF ``objectId``; LSST ``diaObjectId`` as a string,
            or the MPC designation for solar-system alerts.
        ra, dec: position of the alert's source, ICRS degrees.
        mjd: time of the alert's own exposure (MJD, days).
        is_solar_system: the source is a known or candidate solar-system object.
        classification: ``(label, probability)`` in :data:`FINK_TAXONOMY`, the
            probability in [0, 1] or ``None`` when Fink gives none; ``None`` if no class.
        annotations: JSON-safe Fink scores and crossmatches (NaN mapped to ``None``).
        photometry: the alert's own point, its history, ZTF upper limits and LSST
            forced photometry; one entry per ``measurement_key``; the own point first,
            then history in the alert's order, then forced photometry.
        cutouts: ``science``/``template``/``difference`` → FITS bytes (see :class:`Cutouts`).
        raw: the decoded record exactly as received, unknown fields included.
    """

    survey: Survey
    topic: str | None
    alert_id: int
    object_name: str
    ra: float
    dec: float
    mjd: float
    is_solar_system: bool
    classification: tuple[str, float | None] | None
    annotations: dict[str, Any]
    photometry: PhotometryTable
    cutouts: Cutouts = field(repr=False)
    raw: dict[str, Any] = field(repr=False)


# ---------------------------------------------------------------------------
# Fink taxonomy
# ---------------------------------------------------------------------------

FINK_TAXONOMY_VERSION = "2026.03-1"

# SIMBAD object types as they appear in ZTF ``cdsxmatch``/``finkclass`` (Fink copies
# the SIMBAD short otype of the closest counterpart), grouped the way SIMBAD does.
_SIMBAD_TYPES: dict[str, dict[str, Any]] = {
    "Stars": {
        "Star": {},
        "Blue": {},
        "HotSubdwarf": {},
        "WhiteDwarf": {},
        "WD*": {},
        "low-mass*": {},
        "BrownD*": {},
        "Candidate_YSO": {},
        "YSO": {},
        "TTau*": {},
        "Candidate_TTau*": {},
        "Orion_V*": {},
        "Be*": {},
        "Em*": {},
        "HB*": {},
        "RGB*": {},
        "AGB*": {},
        "C*": {},
        "S*": {},
        "post-AGB*": {},
        "HighPM*": {},
        "EB*": {},
        "Candidate_EB*": {},
        "SB*": {},
        "XB": {},
        "LMXB": {},
        "HMXB": {},
        "CataclyV*": {},
        "Candidate_CV*": {},
        "Nova": {},
        "Symbiotic*": {},
    },
    "Variable stars": {
        "V*": {},
        "Candidate_V*": {},
        "RRLyr": {},
        "Candidate_RRLyr": {},
        "Cepheid": {},
        "delSctV*": {},
        "gammaDor": {},
        "Mira": {},
        "LPV*": {},
        "Candidate_LP*": {},
        "semi-regV*": {},
        "RSCVnV*": {},
        "BYDraV*": {},
        "Eruptive*": {},
        "Irregular_V*": {},
        "PulsV*": {},
        "Flare*": {},
        "RCrBV*": {},
        "Ae*": {},
    },
    "Galaxies": {
        "Galaxy": {},
        "GinCl": {},
        "GinGroup": {},
        "GinPair": {},
        "EmG": {},
        "StarburstG": {},
        "HII_G": {},
        "LSB_G": {},
        "RadioG": {},
        "AGN": {},
        "Candidate_AGN": {},
        "QSO": {},
        "Candidate_QSO": {},
        "Seyfert": {},
        "Seyfert_1": {},
        "Seyfert_2": {},
        "Blazar": {},
        "BLLac": {},
        "LINER": {},
        "GravLensSystem": {},
    },
    "Other SIMBAD": {
        "Radio": {},
        "X": {},
        "IR": {},
        "UV": {},
        "Unknown_Candidate": {},
        "Transient": {},
        "SN": {},
        "Planet": {},
        "Cluster*": {},
        "OpenCluster": {},
        "GlobCluster": {},
        "HII": {},
        "PN": {},
        "ISM": {},
    },
}

# TNS object types (as in LSST ``xm.tns_type``; ZTF ``tnsclass`` prefixes them with "(TNS) ").
_TNS_TYPES: dict[str, dict[str, Any]] = {
    "Supernova (TNS)": {
        "SN Ia": {
            "SN Ia-91T-like": {},
            "SN Ia-91bg-like": {},
            "SN Ia-CSM": {},
            "SN Ia-pec": {},
            "SN Iax[02cx-like]": {},
            "SN Ia-SC": {},
        },
        "SN Ib": {},
        "SN Ic": {},
        "SN Ic-BL": {},
        "SN Ib/c": {},
        "SN Ibn": {},
        "SN Icn": {},
        "SN II": {},
        "SN IIP": {},
        "SN IIL": {},
        "SN IIn": {},
        "SN IIb": {},
        "SN I": {},
        "SLSN-I": {},
        "SLSN-II": {},
        "SLSN-R": {},
    },
    "TDE": {"TDE-H": {}, "TDE-He": {}, "TDE-H-He": {}, "TDE-featureless": {}},
    "Kilonova": {},
    "FBOT": {},
    "LBV": {},
    "ILRT": {},
    "LRN": {},
    "Nova (TNS)": {},
    "CV": {},
    "Varstar": {},
    "AGN (TNS)": {},
    "Galaxy (TNS)": {},
    "Other (TNS)": {},
}

# LSST CATS broad classes: ``clf.cats_class`` / ``pred.main_label_classifier`` codes.
LSST_CATS_CLASSES = {
    11: "SN-like",
    12: "Fast",
    13: "Long",
    21: "Periodic",
    22: "Non-periodic",
}

# The hierarchy the bootstrap creates: label → children. Labels are unique over the
# whole tree, so a label alone identifies a node.
FINK_TAXONOMY: dict[str, Any] = {
    "Fink": {
        "Fink classifiers": {
            "SN candidate": {},
            "Early SN Ia candidate": {},
            "Kilonova candidate": {},
            "Microlensing candidate": {},
            "Solar System": {"Solar System MPC": {}, "Solar System candidate": {}},
            "Tracklet": {},
            "Anomaly": {},
            "Ambiguous": {},
            "Unknown": {},
        },
        "LSST classifier (CATS)": {
            "SN-like": {},
            "Fast": {},
            "Long": {},
            "Periodic": {},
            "Non-periodic": {},
        },
        "TNS": _TNS_TYPES,
        "SIMBAD": _SIMBAD_TYPES,
    }
}


def iter_taxonomy(tree: dict[str, Any] | None = None) -> Iterator[tuple[str, str | None]]:
    """Yield ``(label, parent_label)`` for every node of :data:`FINK_TAXONOMY`.

    Parents come before their children, so a bootstrap can create nodes in this
    order with ``get_or_create``-style upserts keyed on the label.
    """
    stack: list[tuple[str | None, dict[str, Any]]] = [(None, tree or FINK_TAXONOMY)]
    while stack:
        parent, children = stack.pop(0)
        for label, grandchildren in children.items():
            yield label, parent
            if grandchildren:
                stack.append((label, grandchildren))


TAXONOMY_LABELS = frozenset(label for label, _ in iter_taxonomy())

# Substrings of Fink topic names → the class the topic selects. Order matters:
# the most specific pattern comes first.
TOPIC_CLASSES: tuple[tuple[str, str], ...] = (
    ("early_kn", "Kilonova candidate"),
    ("rate_based_kn", "Kilonova candidate"),
    ("kn_candidates", "Kilonova candidate"),
    ("kilonova", "Kilonova candidate"),
    ("early_sn", "Early SN Ia candidate"),
    ("early_snia", "Early SN Ia candidate"),
    ("sn_candidates", "SN candidate"),
    ("most_likely_sn", "SN candidate"),
    ("microlensing", "Microlensing candidate"),
    ("sso_ztf", "Solar System MPC"),
    ("sso_fink", "Solar System candidate"),
    ("solar_system", "Solar System candidate"),
    ("tracklet", "Tracklet"),
    ("anomaly", "Anomaly"),
)


def classification_from_topic(topic: str | None) -> str | None:
    """Return the Fink class a topic selects (``fink_kn_candidates_ztf`` → Kilonova)."""
    if not topic:
        return None
    lowered = topic.lower()
    for pattern, label in TOPIC_CLASSES:
        if pattern in lowered:
            return label
    return None


# ZTF class → the Fink score that is its probability.
ZTF_CLASS_PROBABILITY_FIELD = {
    "Kilonova candidate": "rf_kn_vs_nonkn",
    "Early SN Ia candidate": "rf_snia_vs_nonia",
    "SN candidate": "snn_sn_vs_all",
    "Microlensing candidate": "mulens",
}


# ---------------------------------------------------------------------------
# Small helpers (hot path: keep them trivial)
# ---------------------------------------------------------------------------


def _is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def _finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        return None
    return value


def _require(container: dict[str, Any], name: str, path: str) -> Any:
    value = container.get(name)
    if value is None:
        raise AlertRejected(f"missing_field:{path}")
    return value


def _check_coordinates(ra: Any, dec: Any) -> tuple[float, float]:
    try:
        ra_f, dec_f = float(ra), float(dec)
    except (TypeError, ValueError) as exc:
        raise AlertRejected("nan_coordinates", repr((ra, dec))) from exc
    if not (math.isfinite(ra_f) and math.isfinite(dec_f)):
        raise AlertRejected("nan_coordinates", repr((ra, dec)))
    if not (-90.0 <= dec_f <= 90.0):
        raise AlertRejected("bad_value:dec", repr(dec))
    return ra_f % 360.0, dec_f


# The fields of each history entry the parser reads, by column (see brokers.fink.columns).
HISTORY_COLUMNS: dict[str, dict[str, ColumnKind]] = {
    "prv_candidates": {
        "jd": "float", "fid": "int", "magpsf": "float", "sigmapsf": "float",
        "isdiffpos": "text", "diffmaglim": "float", "candid": "int",
    },
    "prvDiaSources": {
        "midpointMjdTai": "float", "psfFlux": "float", "psfFluxErr": "float", "band": "text",
        "diaSourceId": "int",
    },
    "prvDiaForcedSources": {
        "midpointMjdTai": "float", "psfFlux": "float", "psfFluxErr": "float", "band": "text",
    },
}  # fmt: skip


def _history(record: dict[str, Any], name: str) -> HistoryColumns:
    """The history array ``name`` of a record, by column (empty when absent or null)."""
    entries = record.get(name)
    if isinstance(entries, HistoryColumns):
        return entries
    return HistoryColumns.from_entries(entries or (), HISTORY_COLUMNS[name])


class _OwnSource(NamedTuple):
    """What the photometry of one alert is computed from: the decoded record, the
    alert's own source (ZTF ``candidate``, LSST ``diaSource``) and its alert id."""

    record: dict[str, Any]
    source: dict[str, Any]
    alert_id: int


def _stack(
    alerts: Sequence[_OwnSource], histories: Sequence[str]
) -> tuple[HistoryColumns, np.ndarray, np.ndarray]:
    """The rows of a batch of alerts by column: every alert's own source (read like an
    entry of ``histories[0]``), then each alert's ``histories[0]``, then each alert's
    ``histories[1]``, and so on; with each row's alert (index into ``alerts``) and origin
    code (0, ``alert``, for own sources; k for ``histories[k - 1]``)."""
    kinds = HISTORY_COLUMNS[histories[0]]
    n_alerts = len(alerts)
    everyone = np.arange(n_alerts)
    parts = [HistoryColumns.from_entries([alert.source for alert in alerts], kinds)]
    alert_of_row, origin = [everyone], [np.zeros(n_alerts, dtype=np.int8)]
    for code, name in enumerate(histories, start=1):
        arrays = [_history(alert.record, name) for alert in alerts]
        lengths = [len(array) for array in arrays]
        parts += arrays
        alert_of_row.append(np.repeat(everyone, lengths))
        origin.append(np.full(sum(lengths), code, dtype=np.int8))
    columns = HistoryColumns.concatenate(parts, kinds)
    return columns, np.concatenate(alert_of_row), np.concatenate(origin)


def _per_alert(
    points: PhotometryTable, alert_of_row: np.ndarray, n_alerts: int
) -> list[PhotometryTable]:
    """One table per alert of a batch's points: the alert's rows in batch order (its own
    point, then history, then forced points, as :func:`_stack` lays them out), each
    measurement key once, the first."""
    by_alert_and_key = np.lexsort((points.measurement_key, alert_of_row))  # stable
    alerts, keys = alert_of_row[by_alert_and_key], points.measurement_key[by_alert_and_key]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = (alerts[1:] != alerts[:-1]) | (keys[1:] != keys[:-1])
    rows = by_alert_and_key[first]
    rows = rows[np.lexsort((rows, alert_of_row[rows]))]
    kept = points.take(rows)
    bounds = np.searchsorted(alert_of_row[rows], np.arange(n_alerts + 1)).tolist()
    return [kept.take(slice(start, stop)) for start, stop in pairwise(bounds)]


def _finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def _point_table(
    *,
    mjd: np.ndarray,
    channel: np.ndarray,
    flux: np.ndarray,
    fluxerr: np.ndarray,
    mag: np.ndarray,
    magerr: np.ndarray,
    limiting_mag: np.ndarray,
    origin: np.ndarray,
    alert_id: np.ndarray,
    alert_id_null: np.ndarray,
) -> PhotometryTable:
    """Points with their measurement keys (``round(mjd * 1e6) * 64 + channel``)."""
    key = np.rint(mjd * MICRODAYS_PER_DAY).astype(np.int64) * CHANNELS_PER_MICRODAY + channel
    return PhotometryTable(
        mjd=mjd, flux=flux, fluxerr=fluxerr, mag=mag, magerr=magerr,
        limiting_mag=limiting_mag, origin=origin.astype(np.int8), alert_id=alert_id,
        alert_id_null=alert_id_null, measurement_key=key,
    )  # fmt: skip


def _lookup_codes(
    codes: np.ndarray,
    distinct: Sequence[Any],
    mapping: Mapping[Any, int],
    used: np.ndarray,
    reason: Callable[[int], str],
) -> np.ndarray:
    """``mapping`` of each entry's value (``codes`` into ``distinct``, -1 for null), as
    int64 (-1 where unmapped); an entry in ``used`` whose value is not mapped rejects
    the alert with ``reason(entry index)``."""
    lookup = np.array([mapping.get(value, -1) for value in distinct] + [-1], dtype=np.int64)
    mapped = lookup[codes]  # code -1 (null) takes the final -1
    unmapped = used & (mapped < 0)
    if unmapped.any():
        row = int(np.argmax(unmapped))
        code = int(codes[row])
        raise AlertRejected(reason(row), repr(None if code < 0 else distinct[code]))
    return mapped


def _lookup_small_ints(
    values: np.ndarray,
    nulls: np.ndarray,
    table: np.ndarray,
    used: np.ndarray,
    reason: Callable[[int], str],
) -> np.ndarray:
    """``table[value]`` of each entry's small non-negative integer (-1 where the value is
    null or outside the table); an entry in ``used`` without one rejects the alert."""
    inside = ~nulls & (values >= 0) & (values < len(table))
    mapped = np.where(inside, table[np.where(inside, values, 0)], -1)
    unmapped = used & (mapped < 0)
    if unmapped.any():
        row = int(np.argmax(unmapped))
        raise AlertRejected(reason(row), repr(None if nulls[row] else int(values[row])))
    return mapped


def _flatten_into(target: dict[str, Any], prefix: str, block: Any) -> None:
    """Copy a Fink block into ``target`` as ``prefix_key`` entries, JSON-safe."""
    if not isinstance(block, dict):
        return
    for key, value in block.items():
        if isinstance(value, dict):
            _flatten_into(target, f"{prefix}_{key}", value)
        elif not isinstance(value, (list, bytes)):
            target[f"{prefix}_{key}"] = _json_safe(value)


# ---------------------------------------------------------------------------
# ZTF
# ---------------------------------------------------------------------------

ZTF_CORE_FIELDS = frozenset(
    {
        "candid",
        "objectId",
        "candidate",
        "prv_candidates",
        "cutoutScience",
        "cutoutTemplate",
        "cutoutDifference",
        "schemavsn",
        "publisher",
        "year",
        "month",
        "day",
    }
)
# Large per-band feature vectors: stay in the raw record, not in annotations.
ZTF_SKIPPED_ANNOTATIONS = frozenset({"lc_features_g", "lc_features_r"})
# Candidate fields a scanner looks at (real/bogus, host, history depth).
ZTF_CANDIDATE_ANNOTATIONS = (
    "drb",
    "rb",
    "classtar",
    "ndethist",
    "ncovhist",
    "jdstarthist",
    "magnr",
    "distnr",
    "sgscore1",
    "distpsnr1",
    "ssnamenr",
    "ssdistnr",
    "isdiffpos",
    "programid",
    "field",
)
ZTF_CUTOUTS = (
    ("science", "cutoutScience"),
    ("template", "cutoutTemplate"),
    ("difference", "cutoutDifference"),
)


# fid → measurement channel of a detection / an upper limit (-1: not a ZTF band).
_ZTF_CHANNELS = {
    kind: np.array(
        [MEASUREMENT_CHANNELS[ZTF_BANDS[fid], kind] if fid in ZTF_BANDS else -1 for fid in range(4)]
    )
    for kind in ("det", "lim")
}
_ISDIFFPOS_IS_POSITIVE = {
    **dict.fromkeys(POSITIVE_ISDIFFPOS, 1),
    **dict.fromkeys(NEGATIVE_ISDIFFPOS, 0),
}


def _ztf_photometry(alerts: Sequence[_OwnSource]) -> list[PhotometryTable]:
    """Per alert of a batch: its own detection, then ``prv_candidates`` in the alert's
    order. Entries with ``magpsf`` are detections (flux in µJy from ``magpsf`` and the
    sign of ``isdiffpos``), entries without are upper limits (``limiting_mag =
    diffmaglim``, kept when they have a time and a depth); a NaN ``magpsf`` is neither
    and is dropped. Raises :class:`AlertRejected` for the first alert with a bad value.

    The caller has checked the candidates' own fields.
    """
    columns, alert_of_row, origin = _stack(alerts, ("prv_candidates",))
    jd = columns.floats("jd")
    magpsf = columns.floats("magpsf")
    magpsf_null = columns.is_null("magpsf")
    diffmaglim = columns.floats("diffmaglim")
    detection = ~magpsf_null & np.isfinite(magpsf)
    if (detection & columns.is_null("jd")).any():
        raise AlertRejected("missing_field:prv_candidates.jd")
    if (detection & ~np.isfinite(jd)).any():
        raise AlertRejected("bad_value:prv_candidates.jd")
    limit = magpsf_null & np.isfinite(jd) & np.isfinite(diffmaglim)
    kept = np.flatnonzero(detection | limit)  # every own row: candidates are detections
    detection, own = detection[kept], origin[kept] == ORIGIN_CODES["alert"]

    def reason(field: str) -> Callable[[int], str]:  # of a row of the kept ones
        return lambda row: f"bad_value:{'candidate' if own[row] else 'prv_candidates'}.{field}"

    fid, fid_null = columns.ints("fid")[kept], columns.is_null("fid")[kept]
    channel = np.where(
        detection,
        _lookup_small_ints(fid, fid_null, _ZTF_CHANNELS["det"], detection, reason("fid")),
        _lookup_small_ints(fid, fid_null, _ZTF_CHANNELS["lim"], ~detection, reason("fid")),
    )
    codes, distinct = columns.texts("isdiffpos")
    is_positive = _lookup_codes(
        codes[kept], distinct, _ISDIFFPOS_IS_POSITIVE, detection, reason("isdiffpos")
    )
    positive = detection & (is_positive == 1)
    magpsf = magpsf[kept]
    sigmapsf = _finite_or_nan(columns.floats("sigmapsf")[kept])
    amplitude = 10.0 ** (-0.4 * (magpsf - AB_ZERO_POINT_UJY))  # NaN for upper limits
    nan = np.full(len(kept), np.nan)
    alert_of_row = alert_of_row[kept]
    own_ids = np.array([alert.alert_id for alert in alerts], dtype=np.int64)
    alert_id_null = ~own & (~detection | columns.is_null("candid")[kept])
    alert_id = np.where(own, own_ids[alert_of_row], columns.ints("candid")[kept])
    points = _point_table(
        mjd=jd[kept] - JD_TO_MJD,
        channel=channel,
        flux=np.where(positive, amplitude, -amplitude),
        fluxerr=amplitude * REL_FLUX_PER_MAG_ERR * sigmapsf,
        mag=np.where(positive, magpsf, nan),
        magerr=np.where(positive, sigmapsf, nan),
        limiting_mag=np.where(detection, nan, diffmaglim[kept]),
        origin=origin[kept],
        alert_id=np.where(alert_id_null, 0, alert_id),
        alert_id_null=alert_id_null,
    )
    return _per_alert(points, alert_of_row, len(alerts))


def _ztf_cutouts(record: dict[str, Any]) -> Cutouts:
    stored: dict[str, bytes] = {}
    for kind, name in ZTF_CUTOUTS:
        block = record.get(name)
        data = block.get("stampData") if isinstance(block, dict) else block
        if data:
            stored[kind] = data
    return Cutouts(stored)


def _ztf_annotations(record: dict[str, Any], candidate: dict[str, Any]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for key, value in record.items():
        if key in ZTF_CORE_FIELDS or key in ZTF_SKIPPED_ANNOTATIONS:
            continue
        if isinstance(value, dict):
            _flatten_into(annotations, key, value)
        elif not isinstance(value, (list, bytes)):
            annotations[key] = _json_safe(value)
    for key in ZTF_CANDIDATE_ANNOTATIONS:
        if key in candidate:
            annotations[f"candidate_{key}"] = _json_safe(candidate[key])
    return annotations


def _ztf_classification(
    record: dict[str, Any], topic: str | None
) -> tuple[str, float | None] | None:
    label = record.get("finkclass") or classification_from_topic(topic)
    if not label:
        return None
    topic_label = classification_from_topic(topic)
    score_field = ZTF_CLASS_PROBABILITY_FIELD.get(label)
    if topic_label == "Kilonova candidate" and label in ("Kilonova candidate", "Unknown"):
        # Kilonova topics are the reason we carry rf_kn_vs_nonkn at all.
        score_field = "rf_kn_vs_nonkn"
    probability = _finite_or_none(record.get(score_field)) if score_field else None
    if probability is not None and not 0.0 <= probability <= 1.0:
        probability = None
    return label, probability


def _ztf_fields(record: Any, topic: str | None) -> tuple[dict[str, Any], _OwnSource]:
    """A Fink ZTF alert (schema 4.x) checked and normalized but for its photometry: the
    other :class:`NormalizedAlert` fields, and what :func:`_ztf_photometry` reads.

    Raises :class:`AlertRejected` when the record is not usable.
    """
    if not isinstance(record, dict) or ("candidate" not in record and "objectId" not in record):
        raise AlertRejected("wrong_schema", "not a ZTF alert (no candidate/objectId)")
    object_id = _require(record, "objectId", "objectId")
    candidate = _require(record, "candidate", "candidate")
    if not isinstance(candidate, dict):
        raise AlertRejected("wrong_schema", "candidate is not a record")
    candid = record.get("candid")
    if candid is None:
        candid = _require(candidate, "candid", "candidate.candid")
    for name in ("jd", "fid", "ra", "dec", "magpsf", "isdiffpos"):
        _require(candidate, name, f"candidate.{name}")
    ra, dec = _check_coordinates(candidate["ra"], candidate["dec"])
    if not _is_finite(candidate["magpsf"]):
        raise AlertRejected("bad_value:candidate.magpsf", repr(candidate["magpsf"]))
    roid = record.get("roid")
    fields = {
        "survey": "ztf",
        "topic": topic,
        "alert_id": int(candid),
        "object_name": str(object_id),
        "ra": ra,
        "dec": dec,
        "mjd": candidate["jd"] - JD_TO_MJD,
        # roid: 2 = Fink solar-system candidate, 3 = known MPC object (ssnamenr).
        "is_solar_system": roid in (2, 3),
        "classification": _ztf_classification(record, topic),
        "annotations": _ztf_annotations(record, candidate),
        "cutouts": _ztf_cutouts(record),
        "raw": record,
    }
    return fields, _OwnSource(record, candidate, int(candid))


# ---------------------------------------------------------------------------
# LSST
# ---------------------------------------------------------------------------

LSST_ANNOTATED_BLOCKS = ("clf", "xm", "pred", "misc")
LSST_TOP_ANNOTATIONS = (
    "observation_reason",
    "target_name",
    "tns_type_recomputed",
    "brokerIngestMjd",
    "lsst_schema_version",
    "fink_broker_version",
    "fink_science_version",
    "brokerStartProcessTimestamp",
    "brokerEndProcessTimestamp",
    "timestamp",
)
LSST_SOURCE_ANNOTATIONS = (
    "reliability",
    "snr",
    "extendedness",
    "isDipole",
    "isNegative",
    "visit",
    "detector",
)
LSST_CUTOUTS = (
    ("science", "cutoutScience"),
    ("template", "cutoutTemplate"),
    ("difference", "cutoutDifference"),
)
NULL_DESIGNATIONS = frozenset({"", "null", "None", "nan"})


_LSST_CHANNELS = {
    kind: {letter: MEASUREMENT_CHANNELS[band, kind] for letter, band in LSST_BANDS.items()}
    for kind in ("det", "fp")
}


def _lsst_photometry(alerts: Sequence[_OwnSource]) -> list[PhotometryTable]:
    """Per alert of a batch: its own source, ``prvDiaSources`` (history) and
    ``prvDiaForcedSources``, in that order, skipping entries without a finite
    ``psfFlux`` or time: flux and error nJy → µJy, zero and negative fluxes kept, AB
    magnitude (zero point 31.4 in nJy) where the flux is positive. Raises
    :class:`AlertRejected` for the first alert with a bad value."""
    columns, alert_of_row, origin = _stack(alerts, ("prvDiaSources", "prvDiaForcedSources"))
    own = origin == ORIGIN_CODES["alert"]
    forced = origin == ORIGIN_CODES["forced"]
    paths = ("diaSource", "prvDiaSources", "prvDiaForcedSources")

    def reason(row: int) -> str:
        return f"bad_value:{paths[origin[row]]}.band"

    mjd = columns.floats("midpointMjdTai")
    flux_njy = columns.floats("psfFlux")
    kept = np.isfinite(mjd) & np.isfinite(flux_njy)
    own_dropped = own & ~kept
    if own_dropped.any():
        row = int(np.argmax(own_dropped))
        if not np.isfinite(mjd[row]):
            raise AlertRejected("bad_value:diaSource.midpointMjdTai", repr(float(mjd[row])))
        raise AlertRejected("missing_field:diaSource.psfFlux")
    codes, distinct = columns.texts("band")
    channel = np.where(
        forced,
        _lookup_codes(codes, distinct, _LSST_CHANNELS["fp"], kept & forced, reason),
        _lookup_codes(codes, distinct, _LSST_CHANNELS["det"], kept & ~forced, reason),
    )
    kept = np.flatnonzero(kept)
    mjd, flux_njy, own = mjd[kept], flux_njy[kept], own[kept]
    err_njy = _finite_or_nan(columns.floats("psfFluxErr")[kept])
    positive = flux_njy > 0.0
    nan = np.full(len(kept), np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        mag = np.where(positive, AB_ZERO_POINT_NJY - 2.5 * np.log10(flux_njy), nan)
        magerr = np.where(positive, MAG_ERR_PER_REL_FLUX * err_njy / flux_njy, nan)
    alert_of_row = alert_of_row[kept]
    own_ids = np.array([alert.alert_id for alert in alerts], dtype=np.int64)
    alert_ids = np.where(own, own_ids[alert_of_row], columns.ints("diaSourceId")[kept])
    alert_id_null = ~own & (columns.is_null("diaSourceId")[kept] | forced[kept])
    points = _point_table(
        mjd=mjd, channel=channel[kept], flux=flux_njy / 1000.0, fluxerr=err_njy / 1000.0,
        mag=mag, magerr=magerr, limiting_mag=nan, origin=origin[kept], alert_id=alert_ids,
        alert_id_null=alert_id_null,
    )  # fmt: skip
    return _per_alert(points, alert_of_row, len(alerts))


def _lsst_designation(record: dict[str, Any]) -> str | None:
    for block_name in ("mpc_orbits", "ssSource"):
        block = record.get(block_name)
        if isinstance(block, dict):
            designation = block.get("designation")
            if designation and str(designation).strip() not in NULL_DESIGNATIONS:
                return str(designation).strip()
    return None


def _lsst_is_solar_system(record: dict[str, Any], source: dict[str, Any]) -> bool:
    pred = record.get("pred")
    if isinstance(pred, dict) and pred.get("is_sso"):
        return True
    if source.get("ssObjectId"):
        return True
    ss_source = record.get("ssSource")
    return isinstance(ss_source, dict) and bool(ss_source.get("ssObjectId"))


def _lsst_classification(
    record: dict[str, Any], topic: str | None, is_solar_system: bool, designation: str | None
) -> tuple[str, float | None] | None:
    if is_solar_system:
        return ("Solar System MPC" if designation else "Solar System candidate"), None
    clf = record.get("clf") if isinstance(record.get("clf"), dict) else {}
    pred = record.get("pred") if isinstance(record.get("pred"), dict) else {}
    code = pred.get("main_label_classifier")
    if code is None:
        code = clf.get("cats_class")
    label = LSST_CATS_CLASSES.get(code)
    if label is not None:
        probability = _finite_or_none(clf.get("cats_score"))
        if probability is not None and not 0.0 <= probability <= 1.0:
            probability = None
        return label, probability
    topic_label = classification_from_topic(topic)
    if topic_label is not None:
        return topic_label, None
    return "Unknown", None


def _lsst_annotations(record: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    annotations: dict[str, Any] = {}
    for block in LSST_ANNOTATED_BLOCKS:
        _flatten_into(annotations, block, record.get(block))
    for key in LSST_TOP_ANNOTATIONS:
        if key in record:
            annotations[key] = _json_safe(record[key])
    for key in LSST_SOURCE_ANNOTATIONS:
        if key in source:
            annotations[f"diaSource_{key}"] = _json_safe(source[key])
    dia_object = record.get("diaObject")
    if isinstance(dia_object, dict) and dia_object.get("nDiaSources") is not None:
        annotations["diaObject_nDiaSources"] = dia_object["nDiaSources"]
    ss_source = record.get("ssSource")
    if isinstance(ss_source, dict) and ss_source.get("ssObjectId") is not None:
        annotations["ssSource_ssObjectId"] = ss_source["ssObjectId"]
        annotations["ssSource_designation"] = ss_source.get("designation")
    return annotations


def _lsst_cutouts(record: dict[str, Any]) -> Cutouts:
    stored: dict[str, bytes] = {}
    for kind, name in LSST_CUTOUTS:
        data = record.get(name)
        if isinstance(data, dict):
            data = data.get("stampData")
        if data:
            stored[kind] = data
    return Cutouts(stored)


def _lsst_fields(record: Any, topic: str | None) -> tuple[dict[str, Any], _OwnSource]:
    """A Fink LSST alert (lsst.v10 + Fink blocks) checked and normalized but for its
    photometry: the other :class:`NormalizedAlert` fields, and what
    :func:`_lsst_photometry` reads.

    Raises :class:`AlertRejected` when the record is not usable.
    """
    if not isinstance(record, dict) or ("diaSource" not in record and "diaSourceId" not in record):
        raise AlertRejected("wrong_schema", "not an LSST alert (no diaSource/diaSourceId)")
    source = _require(record, "diaSource", "diaSource")
    if not isinstance(source, dict):
        raise AlertRejected("wrong_schema", "diaSource is not a record")
    alert_id = record.get("diaSourceId")
    if alert_id is None:
        alert_id = _require(source, "diaSourceId", "diaSource.diaSourceId")
    for name in ("midpointMjdTai", "ra", "dec", "band"):
        _require(source, name, f"diaSource.{name}")
    ra, dec = _check_coordinates(source["ra"], source["dec"])
    is_solar_system = _lsst_is_solar_system(record, source)
    designation = _lsst_designation(record)
    if is_solar_system and designation:
        object_name = designation
    else:
        dia_object_id = source.get("diaObjectId")
        if not dia_object_id:
            dia_object = record.get("diaObject")
            if isinstance(dia_object, dict):
                dia_object_id = dia_object.get("diaObjectId")
        if not dia_object_id:
            ss_object_id = source.get("ssObjectId")
            if not (is_solar_system and ss_object_id):
                raise AlertRejected("missing_field:diaSource.diaObjectId")
            # A solar-system source without a designation: Rubin's own SSO id.
            dia_object_id = f"ssObjectId:{ss_object_id}"
        object_name = str(dia_object_id)
    fields = {
        "survey": "lsst",
        "topic": topic,
        "alert_id": int(alert_id),
        "object_name": object_name,
        "ra": ra,
        "dec": dec,
        "mjd": float(source["midpointMjdTai"]),
        "is_solar_system": is_solar_system,
        "classification": _lsst_classification(record, topic, is_solar_system, designation),
        "annotations": _lsst_annotations(record, source),
        "cutouts": _lsst_cutouts(record),
        "raw": record,
    }
    return fields, _OwnSource(record, source, int(alert_id))


# ---------------------------------------------------------------------------
# Dispatch and files
# ---------------------------------------------------------------------------


def detect_survey(record: Any) -> Survey | None:
    """Guess the survey of a decoded record from its shape (``None`` if neither)."""
    if not isinstance(record, dict):
        return None
    if "candidate" in record or "objectId" in record:
        return "ztf"
    if "diaSource" in record or "diaSourceId" in record:
        return "lsst"
    return None


_PARSERS: dict[Survey, tuple[Callable[..., Any], Callable[..., Any]]] = {
    "ztf": (_ztf_fields, _ztf_photometry),
    "lsst": (_lsst_fields, _lsst_photometry),
}
# What a parser bug on a strange record raises; reported as ``bad_value:<exception>``.
_PARSER_ERRORS = (TypeError, ValueError, KeyError, AttributeError, OverflowError)


def _as_rejection(exc: Exception) -> AlertRejected:
    if isinstance(exc, AlertRejected):
        return exc
    return AlertRejected(f"bad_value:{type(exc).__name__}", str(exc))


def _photometry_each(
    photometry: Callable[[Sequence[_OwnSource]], list[PhotometryTable]],
    alerts: Sequence[_OwnSource],
) -> list[PhotometryTable | AlertRejected]:
    """``photometry`` of each alert, computed for the whole batch at once; where that
    fails, for each half in turn, down to the alert that fails (its rejection)."""
    try:
        return photometry(alerts)
    except (AlertRejected, *_PARSER_ERRORS) as exc:
        if len(alerts) == 1:
            return [_as_rejection(exc)]
    half = len(alerts) // 2
    return _photometry_each(photometry, alerts[:half]) + _photometry_each(photometry, alerts[half:])


def parse_alerts(
    records: Sequence[Any], survey: Survey | None, topics: Sequence[str | None]
) -> list[NormalizedAlert | AlertRejected]:
    """Normalize decoded Fink alerts of ``survey`` (each guessed from its shape if
    ``None``), ``topics[i]`` being the topic of ``records[i]``: for each record, its
    :class:`NormalizedAlert` or the :class:`AlertRejected` saying why it is not one.

    The photometry of the whole batch is computed at once (numpy's cost per call would
    otherwise exceed the arithmetic). A record of the other survey, or of neither, is
    rejected as ``wrong_schema``; an unexpected error inside the parser is reported as
    ``bad_value:<exception>``, so that one strange record is quarantined rather than
    stopping a stream.
    """
    results: list[NormalizedAlert | AlertRejected | None] = [None] * len(records)
    pending: dict[Survey, list[tuple[int, dict[str, Any], _OwnSource]]] = {}
    for index, (record, topic) in enumerate(zip(records, topics, strict=True)):
        record_survey = survey or detect_survey(record)
        if record_survey not in _PARSERS:
            results[index] = AlertRejected(
                "wrong_schema", f"unrecognized alert (survey={record_survey!r})"
            )
            continue
        try:
            fields, own_source = _PARSERS[record_survey][0](record, topic)
        except (AlertRejected, *_PARSER_ERRORS) as exc:
            results[index] = _as_rejection(exc)
        else:
            pending.setdefault(record_survey, []).append((index, fields, own_source))
    for record_survey, parsed in pending.items():
        photometry = _photometry_each(_PARSERS[record_survey][1], [p[2] for p in parsed])
        for (index, fields, _), table in zip(parsed, photometry, strict=True):
            if isinstance(table, AlertRejected):
                results[index] = table
            else:
                results[index] = NormalizedAlert(**fields, photometry=table)
    return results  # type: ignore[return-value]


def parse_alert(
    record: dict[str, Any], survey: Survey | None = None, topic: str | None = None
) -> NormalizedAlert:
    """Normalize one decoded Fink alert (see :func:`parse_alerts`); raises
    :class:`AlertRejected` when the record is not usable."""
    (result,) = parse_alerts([record], survey, [topic])
    if isinstance(result, AlertRejected):
        raise result
    return result


AVRO_MAGIC = b"Obj\x01"


def _at_end(stream: IO[bytes]) -> bool:
    try:
        return stream.read(1) == b""
    except (OSError, ValueError):
        return True


def read_avro_file(path_or_fileobj: str | Path | IO[bytes]) -> Iterator[dict | AlertRejected]:
    """Yield the records of an Avro container file (every field), then a rejection if it
    is damaged; see :func:`read_avro_file_with_bytes`."""
    for item in read_avro_file_with_bytes(path_or_fileobj, complete=True):
        yield item if isinstance(item, AlertRejected) else item[0]


def read_avro_file_with_bytes(
    path_or_fileobj: str | Path | IO[bytes], *, complete: bool = True
) -> Iterator[tuple[dict, bytes] | AlertRejected]:
    """Yield ``(record, raw)`` for each record of an Avro container file, where ``raw``
    is the record's own schemaless Avro encoding (what Fink sends as a Kafka message
    value), sliced from the container block without re-encoding: the ingest archives it.

    ``complete=False`` decodes history entries to the fields the ingest reads only
    (:class:`brokers.fink.avrodecode.AlertDecoder`). Records decoded before any damage
    are yielded; a truncated file ends with ``AlertRejected('truncated')``, bytes that
    are not Avro with ``AlertRejected('undecodable')``. Never raises for bad content
    (an unreadable path still raises ``OSError``).
    """
    import fastavro  # local: keeps this module importable where fastavro is absent

    from brokers.fink.avrodecode import AlertDecoder  # local: it imports this module

    if isinstance(path_or_fileobj, (str, Path)):
        with open(path_or_fileobj, "rb") as stream:
            yield from read_avro_file_with_bytes(stream, complete=complete)
        return
    stream = path_or_fileobj
    magic = stream.read(len(AVRO_MAGIC))
    if len(magic) < len(AVRO_MAGIC):
        yield AlertRejected("truncated" if magic else "undecodable", "file shorter than a header")
        return
    if magic != AVRO_MAGIC:
        yield AlertRejected("undecodable", "not an Avro container (bad magic)")
        return
    if stream.seekable():
        stream.seek(stream.tell() - len(AVRO_MAGIC))
    else:  # sockets, pipes: fastavro needs the magic again
        stream = io.BytesIO(magic + stream.read())
    try:
        blocks = fastavro.block_reader(stream)
        decoder = AlertDecoder(blocks.writer_schema)
    except Exception as exc:  # fastavro raises many types on bad headers
        yield AlertRejected("truncated" if _at_end(stream) else "undecodable", str(exc))
        return
    block_iter = iter(blocks)
    while True:
        try:
            block = next(block_iter)
            data = block.bytes_.getvalue()
            decoded, start = [], 0
            for _ in range(block.num_records):
                record, end = decoder.decode_at(data, start, complete=complete)
                decoded.append((record, data[start:end]))
                start = end
        except StopIteration:
            return
        except EOFError as exc:
            yield AlertRejected("truncated", str(exc))
            return
        except AlertRejected as exc:
            truncated = exc.reason == "truncated" or _at_end(stream)
            yield AlertRejected("truncated" if truncated else exc.reason, exc.detail)
            return
        except Exception as exc:  # corrupted blocks raise arbitrary errors
            yield AlertRejected("truncated" if _at_end(stream) else "undecodable", str(exc))
            return
        yield from decoded
