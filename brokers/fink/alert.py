"""A Fink alert in the survey-independent form the ingest writes (:class:`NormalizedAlert`),
its cutouts, and the small record helpers both survey parsers use."""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from brokers.fink.errors import AlertRejected
from brokers.fink.photometry import PhotometryTable

Survey = Literal["ztf", "lsst"]

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


def is_finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and math.isfinite(value)


def finite_or_none(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, bytes):
        return None
    return value


def require(container: dict[str, Any], name: str, path: str) -> Any:
    value = container.get(name)
    if value is None:
        raise AlertRejected(f"missing_field:{path}")
    return value


def check_coordinates(ra: Any, dec: Any) -> tuple[float, float]:
    try:
        ra_f, dec_f = float(ra), float(dec)
    except (TypeError, ValueError) as exc:
        raise AlertRejected("nan_coordinates", repr((ra, dec))) from exc
    if not (math.isfinite(ra_f) and math.isfinite(dec_f)):
        raise AlertRejected("nan_coordinates", repr((ra, dec)))
    if not (-90.0 <= dec_f <= 90.0):
        raise AlertRejected("bad_value:dec", repr(dec))
    return ra_f % 360.0, dec_f


def flatten_into(target: dict[str, Any], prefix: str, block: Any) -> None:
    """Copy a Fink block into ``target`` as ``prefix_key`` entries, JSON-safe."""
    if not isinstance(block, dict):
        return
    for key, value in block.items():
        if isinstance(value, dict):
            flatten_into(target, f"{prefix}_{key}", value)
        elif not isinstance(value, (list, bytes)):
            target[f"{prefix}_{key}"] = json_safe(value)


def detect_survey(record: Any) -> Survey | None:
    """Guess the survey of a decoded record from its shape (``None`` if neither)."""
    if not isinstance(record, dict):
        return None
    if "candidate" in record or "objectId" in record:
        return "ztf"
    if "diaSource" in record or "diaSourceId" in record:
        return "lsst"
    return None
