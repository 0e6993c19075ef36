"""Photometric points of Fink alerts: units, bands, the measurement key, and the batch
arrays (:class:`PhotometryTable`) the survey parsers build with one numpy pass.

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

Deduplication (``PhotometryPoint.measurement_key`` and ``detection_id``)
-------------------------------------------------------------------------
The same measurement reaches us several times: as an alert's own candidate, then
inside the ``prv_candidates``/``prvDiaSources`` of every later alert of the object,
and again whenever a stream or a file is replayed. A point's identity names the
physical measurement, not the message that carried it: two signed 64-bit integers
(``BIGINT`` columns, cheap to index and to compare)::

    measurement_key = round(mjd * 1e6) * 64 + channel
    detection_id    = the survey's id of a detection (ZTF candid, LSST diaSourceId), else 0

where ``channel`` (< 64) encodes instrument, band and kind: ``kind`` is ``det``
(difference-image detection), ``lim`` (ZTF upper limit) or ``fp`` (LSST forced
photometry); see :data:`MEASUREMENT_CHANNELS` and :func:`describe_measurement_key`.
So detections are keyed by the survey's own id, upper limits by (time, band) and
forced photometry by (visit, band) (the visit's midpoint time stands for the visit).
Why these parts:

* the MJD comes straight from the survey's own exposure time (ZTF ``jd``, LSST
  ``midpointMjdTai``), which is copied bit for bit into later alerts' histories, so
  the same double always produces the same integer; 1e-6 d (0.09 s) is far below
  the shortest gap between two exposures (~30 s) and far above float noise. Keys grow
  with time within a band, so ordering by key is ordering by time;
* one exposure can detect an object twice (two sources of one difference image within
  the association radius: same ``jd`` and ``fid``, two ``candid``): both are
  measurements, told apart by their survey ids, which later histories repeat;
* ``kind`` keeps the forced measurement of an exposure apart from the detection in the
  same exposure, and a ZTF upper limit apart from a detection; upper limits and forced
  points have no survey id (``detection_id = 0``): one per exposure and band.

The identity is unique *per target*: the database key is
``(target, measurement_key, detection_id)``. Within one alert the first occurrence
wins (alert, then history, then forced); across alerts the ingest decides (e.g.
upgrade ``origin`` to ``alert`` on conflict).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from itertools import pairwise
from typing import Any, Literal, NamedTuple

import numpy as np

from brokers.fink.avrodecode import HISTORY_COLUMNS
from brokers.fink.columns import HistoryColumns
from brokers.fink.errors import AlertRejected

Origin = Literal["alert", "history", "forced"]

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
        measurement_key: time, instrument, band and kind of the measurement (int64),
            see the module doc and :func:`describe_measurement_key`.
        detection_id: ``alert_id`` of a detection, 0 where there is none (upper
            limits, forced photometry); with ``measurement_key`` the point's identity.
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
    detection_id: int


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
    * ``measurement_key``: int64; band and instrument are read off its channel;
    * ``detection_id``: int64, ``alert_id`` where there is one, else 0.
    """

    FIELDS = (
        *_FLOAT_FIELDS, "origin", "alert_id", "alert_id_null", "measurement_key", "detection_id",
    )  # fmt: skip
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
        detection_ids = self.detection_id.tolist()
        for i, (key, origin) in enumerate(
            zip(self.measurement_key.tolist(), self.origin.tolist(), strict=True)
        ):
            channel = key & _CHANNEL_MASK
            yield PhotometryPoint(
                mjd[i], CHANNEL_BANDS[channel], CHANNEL_INSTRUMENTS[channel], flux[i],
                fluxerr[i], mag[i], magerr[i], limiting_mag[i], ORIGINS[origin],
                alert_ids[i], key, detection_ids[i],
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


def history_columns(record: dict[str, Any], name: str) -> HistoryColumns:
    """The history array ``name`` of a record, by column (empty when absent or null)."""
    entries = record.get(name)
    if isinstance(entries, HistoryColumns):
        return entries
    return HistoryColumns.from_entries(entries or (), HISTORY_COLUMNS[name])


class OwnSource(NamedTuple):
    """What the photometry of one alert is computed from: the decoded record, the
    alert's own source (ZTF ``candidate``, LSST ``diaSource``) and its alert id."""

    record: dict[str, Any]
    source: dict[str, Any]
    alert_id: int


def stack_rows(
    alerts: Sequence[OwnSource], histories: Sequence[str]
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
        arrays = [history_columns(alert.record, name) for alert in alerts]
        lengths = [len(array) for array in arrays]
        parts += arrays
        alert_of_row.append(np.repeat(everyone, lengths))
        origin.append(np.full(sum(lengths), code, dtype=np.int8))
    columns = HistoryColumns.concatenate(parts, kinds)
    return columns, np.concatenate(alert_of_row), np.concatenate(origin)


def per_alert(
    points: PhotometryTable, alert_of_row: np.ndarray, n_alerts: int
) -> list[PhotometryTable]:
    """One table per alert of a batch's points: the alert's rows in batch order (its own
    point, then history, then forced points, as :func:`stack_rows` lays them out), each
    measurement (``measurement_key``, ``detection_id``) once, the first."""
    by_alert_and_key = np.lexsort(
        (points.detection_id, points.measurement_key, alert_of_row)
    )  # stable
    alerts = alert_of_row[by_alert_and_key]
    keys = points.measurement_key[by_alert_and_key]
    ids = points.detection_id[by_alert_and_key]
    first = np.ones(len(keys), dtype=bool)
    first[1:] = (alerts[1:] != alerts[:-1]) | (keys[1:] != keys[:-1]) | (ids[1:] != ids[:-1])
    rows = by_alert_and_key[first]
    rows = rows[np.lexsort((rows, alert_of_row[rows]))]
    kept = points.take(rows)
    bounds = np.searchsorted(alert_of_row[rows], np.arange(n_alerts + 1)).tolist()
    return [kept.take(slice(start, stop)) for start, stop in pairwise(bounds)]


def finite_or_nan(values: np.ndarray) -> np.ndarray:
    return np.where(np.isfinite(values), values, np.nan)


def point_table(
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
    """Points with their identities: measurement keys (``round(mjd * 1e6) * 64 +
    channel``) and detection ids (the alert id of a detection, else 0)."""
    key = np.rint(mjd * MICRODAYS_PER_DAY).astype(np.int64) * CHANNELS_PER_MICRODAY + channel
    alert_id = np.where(alert_id_null, 0, alert_id).astype(np.int64)
    return PhotometryTable(
        mjd=mjd, flux=flux, fluxerr=fluxerr, mag=mag, magerr=magerr,
        limiting_mag=limiting_mag, origin=origin.astype(np.int8), alert_id=alert_id,
        alert_id_null=alert_id_null, measurement_key=key, detection_id=alert_id,
    )  # fmt: skip


def lookup_codes(
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


def lookup_small_ints(
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
