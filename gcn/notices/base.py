"""The typed, Django-free form of a GCN notice and its localizations.

:class:`ParsedNotice` is what every format family parses into;
:class:`NoticeRejected` carries a short reason code (:data:`REASONS`) for
bytes that are not a usable notice.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Any

# A real LVK alert with a multi-order map is ~1 MB; flat maps from Fermi are a
# few MB. 50 MB leaves room for the largest legitimate payload while keeping a
# hostile message from eating the worker's memory.
MAX_NOTICE_BYTES = 50 * 1024 * 1024

REASONS = (
    "too_large",
    "not_a_notice",
    "malformed_json",
    "malformed_xml",
    "xml_entities_forbidden",
    "malformed_avro",
    "multiple_records",
    "bad_base64",
    "truncated_fits",
    "refused_url",  # a sky-map URL the guarded fetch helper refuses (icare_tom.fetch)
    "unreadable_localization",  # a localization in the notice that cannot be read
)


class NoticeRejected(Exception):
    """The bytes cannot be turned into a notice; ``reason`` is a short code."""

    def __init__(self, reason: str, detail: str = ""):
        if reason not in REASONS:
            raise ValueError(f"unknown rejection reason {reason!r}")
        self.reason = reason
        self.detail = detail
        super().__init__(f"{reason}: {detail}" if detail else reason)


# --------------------------------------------------------------------------
# Localization specifications (what the notice says, nothing computed yet)
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MultiOrderMap:
    """A multi-order (NUNIQ) HEALPix sky map as FITS bytes (probability density per sr)."""

    data: bytes = field(repr=False)
    name: str = "skymap.multiorder.fits"


@dataclass(frozen=True)
class FlatHealpixMap:
    """A single-resolution HEALPix sky map as FITS bytes (possibly gzip-compressed)."""

    data: bytes = field(repr=False)
    name: str = "skymap.fits"


@dataclass(frozen=True)
class MapURL:
    """A sky map referred to by URL and not fetched yet (pending)."""

    url: str
    name: str


@dataclass(frozen=True)
class PointError:
    """A position with a circular error.

    ``ra_deg``/``dec_deg`` ICRS degrees; ``radius_deg`` is the radius (degrees)
    that contains probability ``containment`` (e.g. 0.68 for Fermi GBM's
    "1-sigma" statistical radius, 0.9 for Swift BAT and the unified-schema
    default). The localization built from it is a circular 2-D Gaussian whose
    ``sigma_deg`` reproduces that containment.
    """

    ra_deg: float
    dec_deg: float
    radius_deg: float
    containment: float
    systematic_included: bool | None = None
    name: str = "point"

    @property
    def sigma_deg(self) -> float:
        """Gaussian sigma (degrees) such that ``radius_deg`` contains ``containment``."""
        return self.radius_deg / math.sqrt(-2.0 * math.log(1.0 - self.containment))


@dataclass(frozen=True)
class Ellipse:
    """An error ellipse: semi-axes (degrees) containing ``containment``.

    ``pa_deg`` is the position angle of the semi-major axis, east of north.
    """

    ra_deg: float
    dec_deg: float
    semi_major_deg: float
    semi_minor_deg: float
    pa_deg: float
    containment: float
    name: str = "ellipse"


@dataclass(frozen=True)
class Polygon:
    """A region bounded by great-circle edges between (ra, dec) vertices in degrees.

    ``containment`` is the probability that the source lies inside.
    """

    vertices: tuple[tuple[float, float], ...]
    containment: float
    name: str = "polygon"


LocalizationSpec = MultiOrderMap | FlatHealpixMap | MapURL | PointError | Ellipse | Polygon


@dataclass(frozen=True)
class ParsedNotice:
    """One notice in a format-independent form.

    ``trigger_time`` is the event key (UTC, tz-aware); it is ``None`` only for
    notices that carry no time (an LVK JSON retraction: find the event by alias).
    ``aliases`` lists official names first (S-names, ``bnYYMMDDfff``, full GRB
    names) then mission trigger ids as ``"<Source>#<id>"``.
    ``localizations`` is ordered best-first; the first one that is immediately
    usable (not a :class:`MapURL`) comes first when there is one.
    """

    source: str
    notice_type: str
    trigger_time: datetime | None
    aliases: tuple[str, ...]
    ivorn: str | None
    content_hash: str
    format: str
    is_retraction: bool = False
    significant: bool | None = None
    is_test: bool = False
    issued_at: datetime | None = None
    sequence: int | None = None
    properties: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    tags: tuple[str, ...] = ()
    localizations: tuple[LocalizationSpec, ...] = ()
    raw: bytes = field(default=b"", repr=False)

    @property
    def localization(self) -> LocalizationSpec | None:
        """The preferred localization, or None."""
        return self.localizations[0] if self.localizations else None

    @property
    def unique_key(self) -> str:
        """IVORN when there is one, else ``sha256:<content hash>``: the notice's identity."""
        return self.ivorn or f"sha256:{self.content_hash}"


def unknown_notice(raw: bytes, digest: str, fmt: str, **kw: Any) -> ParsedNotice:
    """A notice we cannot interpret: kept raw with ``notice_type='unknown'``."""
    return ParsedNotice(
        source=kw.pop("source", "unknown"),
        notice_type="unknown",
        trigger_time=kw.pop("trigger_time", None),
        aliases=kw.pop("aliases", ()),
        ivorn=kw.pop("ivorn", None),
        content_hash=digest,
        format=fmt,
        raw=raw,
        **kw,
    )
