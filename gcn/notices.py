"""Parse GCN notices of every format we receive into one typed, Django-free form.

Entry point: :func:`parse_notice` (bytes in, :class:`ParsedNotice` out, or
:class:`NoticeRejected` with a short reason code).

Formats understood
------------------
* LVK ``igwn.gwalert`` JSON (sky map as base64 multi-order FITS) and its Avro
  container form (sky map as raw bytes).
* GCN Classic VOEvent 2.0 XML: Fermi GBM (Alert/Flt/Gnd/Fin position), Swift
  (BAT GRB position, XRT, UVOT), LVK (sky map given by URL), IceCube
  Gold/Bronze/Cascade and the other AMON streams. Parsed with defusedxml only.
* Unified GCN JSON notices (detected by ``$schema``): Swift BAT-GUANO, Einstein
  Probe WXT, IceCube LVK neutrino track search, Fermi GBM, SVOM.

Anything else that is still a JSON object or a VOEvent gives
``notice_type == 'unknown'`` with the raw bytes kept, never an exception.

Property keys and units (``ParsedNotice.properties``)
-----------------------------------------------------
``FAR`` false-alarm rate in Hz (always converted to Hz); ``BNS``, ``NSBH``,
``BBH``, ``Terrestrial`` source-class probabilities; ``HasNS``,
``HasRemnant``, ``HasMassGap`` (and any other LVK property) probabilities;
``signalness`` (IceCube, 0-1); ``distmean``/``diststd`` luminosity distance
posterior mean and standard deviation in Mpc (from the sky map FITS header);
``instruments``, ``pipeline``, ``group``, ``search`` (LVK); other keys are
copied from the notice with their native names and units.

Reason codes of :class:`NoticeRejected`
---------------------------------------
``too_large``, ``not_a_notice``, ``malformed_json``, ``malformed_xml``,
``xml_entities_forbidden``, ``malformed_avro``, ``multiple_records``,
``bad_base64``, ``truncated_fits``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import json
import math
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

# A real LVK alert with a multi-order map is ~1 MB; flat maps from Fermi are a
# few MB. 50 MB leaves room for the largest legitimate payload while keeping a
# hostile message from eating the worker's memory.
MAX_NOTICE_BYTES = 50 * 1024 * 1024

# One Julian year in seconds, to convert "per year" false-alarm rates to Hz.
_YEAR_S = 365.25 * 86400.0
# LVK's public-alert threshold for CBC: one false alarm per month (O4 rule).
# Used only when an older notice lacks the explicit "Significant" flag.
_SIGNIFICANT_FAR_HZ = 1.0 / (30.0 * 86400.0)

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


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def parse_notice(raw: bytes, filename_hint: str | None = None) -> ParsedNotice:
    """Parse one notice (JSON, VOEvent XML or Avro container) into a :class:`ParsedNotice`.

    Raises :class:`NoticeRejected` with a reason code for input that is not a
    usable notice. ``filename_hint`` only breaks ties when sniffing fails.
    """
    if not isinstance(raw, (bytes, bytearray, memoryview)):
        raise TypeError("parse_notice expects bytes")
    raw = bytes(raw)
    if len(raw) > MAX_NOTICE_BYTES:
        raise NoticeRejected("too_large", f"{len(raw)} bytes > {MAX_NOTICE_BYTES}")
    digest = hashlib.sha256(raw).hexdigest()
    kind = _sniff(raw, filename_hint)
    if kind == "avro":
        return _parse_avro(raw, digest)
    if kind == "json":
        return _parse_json(raw, digest)
    if kind == "xml":
        return _parse_xml(raw, digest)
    raise NoticeRejected("not_a_notice", "neither JSON, XML nor Avro")


def _sniff(raw: bytes, hint: str | None) -> str | None:
    if raw.startswith(b"Obj\x01"):
        return "avro"
    head = raw[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{") or head.startswith(b"["):
        return "json"
    if head.startswith(b"<"):
        return "xml"
    if hint:
        low = hint.lower()
        for ext, kind in ((".avro", "avro"), (".json", "json"), (".xml", "xml")):
            if low.endswith(ext):
                return kind
    return None


# --------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------


def _parse_time(value: Any) -> datetime | None:
    """ISO-8601 string (UTC assumed when no offset is given) → aware UTC datetime."""
    if value is None or value == "":
        return None
    s = str(value).strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def _float(value: Any) -> float | None:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip(), 0)
    except (TypeError, ValueError):
        x = _float(value)
        return int(x) if x is not None else None


def _num(value: Any) -> Any:
    """VOEvent Param value → int or float when it is a decimal number, else the string."""
    if value is None:
        return None
    s = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    x = _float(s)
    return x if x is not None and not s.lower().startswith("0x") else s


def _bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("true", "1", "yes", "t"):
        return True
    if s in ("false", "0", "no", "f"):
        return False
    return None


def _far_to_hz(value: float, unit: str | None) -> float:
    """Convert a false-alarm rate to Hz from the unit string notices use."""
    u = (unit or "Hz").replace(" ", "").lower()
    if u in ("hz", "s-1", "s^-1", "1/s", "/s"):
        return value
    if u in ("yr-1", "yr^-1", "1/yr", "/yr", "peryear", "year-1", "year^-1", "a-1"):
        return value / _YEAR_S
    if u in ("day-1", "day^-1", "1/day", "/day", "d-1"):
        return value / 86400.0
    return value


def _b64decode(text: str | bytes) -> bytes:
    """Strict base64 (whitespace tolerated): anything else is 'bad_base64'."""
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise NoticeRejected("bad_base64", "non-ASCII characters") from exc
    compact = re.sub(rb"\s+", b"", text)
    try:
        out = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoticeRejected("bad_base64", str(exc)) from exc
    if not out:
        raise NoticeRejected("bad_base64", "empty payload")
    return out


def _gunzip_limited(data: bytes) -> bytes:
    """Decompress gzip with a size cap, so a gzip bomb is 'too_large', not an OOM."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_NOTICE_BYTES + 1)
    except zlib.error as exc:
        raise NoticeRejected("truncated_fits", f"bad gzip stream: {exc}") from exc
    if len(out) > MAX_NOTICE_BYTES:
        raise NoticeRejected("too_large", "decompressed sky map exceeds the limit")
    if not d.eof:
        raise NoticeRejected("truncated_fits", "gzip stream ends early")
    return out


def inspect_fits(data: bytes) -> dict[str, Any]:
    """Check that FITS bytes are complete and return the first table header's cards.

    Walks every HDU header, computes each data unit's size from BITPIX, NAXISn,
    PCOUNT and GCOUNT and checks the bytes are all there. Gzip-compressed FITS
    is accepted. Raises ``NoticeRejected('truncated_fits')`` otherwise.
    Returns ``{'ordering': 'NUNIQ'|'NESTED'|'RING'|None, 'header': {...}}`` where
    header holds the cards of the first extension (values as strings/numbers).
    """
    if data[:2] == b"\x1f\x8b":
        data = _gunzip_limited(data)
    if not data.startswith(b"SIMPLE  ="):
        raise NoticeRejected("truncated_fits", "does not start with a FITS primary header")
    pos = 0
    headers: list[dict[str, Any]] = []
    while pos < len(data):
        cards: dict[str, Any] = {}
        end_found = False
        while pos + 2880 <= len(data):
            block = data[pos : pos + 2880]
            pos += 2880
            for i in range(36):
                card = block[i * 80 : (i + 1) * 80].decode("ascii", errors="replace")
                key = card[:8].strip()
                if key == "END":
                    end_found = True
                    break
                if card[8:10] == "= ":
                    cards[key] = _fits_value(card[10:])
            if end_found:
                break
        if not end_found:
            raise NoticeRejected("truncated_fits", f"header {len(headers)} has no END card")
        try:
            bitpix = abs(int(cards.get("BITPIX", 8)))
            naxis = int(cards.get("NAXIS", 0))
            dims = [int(cards.get(f"NAXIS{i}", 0)) for i in range(1, naxis + 1)]
            pcount = int(cards.get("PCOUNT", 0))
            gcount = int(cards.get("GCOUNT", 1))
        except (TypeError, ValueError) as exc:
            raise NoticeRejected("truncated_fits", "unreadable size keywords") from exc
        nelem = math.prod(dims) if naxis else 0
        size = (bitpix // 8) * gcount * (pcount + nelem) if naxis else 0
        padded = -(-size // 2880) * 2880
        if pos + size > len(data):
            raise NoticeRejected(
                "truncated_fits", f"HDU {len(headers)} needs {size} bytes, {len(data) - pos} left"
            )
        pos += padded
        headers.append(cards)
        # Trailing zero padding after the last HDU is allowed.
        if pos < len(data) and not data[pos:].startswith(b"XTENSION="):
            break
    ext = headers[1] if len(headers) > 1 else headers[0]
    ordering = ext.get("ORDERING")
    return {"ordering": str(ordering).strip().upper() if ordering else None, "header": ext}


def _fits_value(text: str) -> Any:
    text = text.strip()
    if text.startswith("'"):
        end = text.find("'", 1)
        return text[1:end].rstrip() if end > 0 else text[1:]
    val = text.split("/", 1)[0].strip()
    if val in ("T", "F"):
        return val == "T"
    try:
        return int(val)
    except ValueError:
        try:
            return float(val)
        except ValueError:
            return val


def _map_spec(data: bytes, name: str) -> tuple[LocalizationSpec, dict[str, Any]]:
    """Validate embedded FITS bytes and wrap them as a multi-order or flat map spec."""
    info = inspect_fits(data)
    extra: dict[str, Any] = {}
    for key, prop in (("DISTMEAN", "distmean"), ("DISTSTD", "diststd")):
        v = _float(info["header"].get(key))
        if v is not None:
            extra[prop] = v
    if info["ordering"] == "NUNIQ":
        return MultiOrderMap(data=data, name=name), extra
    return FlatHealpixMap(data=data, name=name), extra


def _freeze(props: dict[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType({k: v for k, v in props.items() if v is not None})


def _tags(*groups: Any) -> tuple[str, ...]:
    out: set[str] = set()
    for g in groups:
        if not g:
            continue
        if isinstance(g, str):
            out.add(g)
        else:
            out.update(t for t in g if t)
    return tuple(sorted(out))


def _url_name(url: str) -> str:
    path = urlsplit(url).path or url
    base = path.rstrip("/").rsplit("/", 1)[-1]
    # GraceDB appends ",<version>" to file names.
    return base.split(",", 1)[0] or "skymap"


def _unknown(raw: bytes, digest: str, fmt: str, **kw: Any) -> ParsedNotice:
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


# --------------------------------------------------------------------------
# LVK igwn.gwalert (JSON and Avro)
# --------------------------------------------------------------------------

_LVK_TYPES = {
    "EARLYWARNING": "EarlyWarning",
    "EARLY_WARNING": "EarlyWarning",
    "PRELIMINARY": "Preliminary",
    "INITIAL": "Initial",
    "UPDATE": "Update",
    "RETRACTION": "Retraction",
}
_CLASSES = ("BNS", "NSBH", "BBH", "Terrestrial")


def _is_lvk_alert(d: Mapping[str, Any]) -> bool:
    return "superevent_id" in d and "alert_type" in d


def _lvk_class_tags(props: Mapping[str, Any]) -> list[str]:
    probs = {c: _float(props.get(c)) for c in _CLASSES}
    probs = {c: p for c, p in probs.items() if p is not None}
    tags = []
    if probs:
        tags.append(max(probs, key=lambda c: probs[c]))
    for key in ("HasNS", "HasRemnant", "HasMassGap"):
        p = _float(props.get(key))
        if p is not None and p >= 0.5:
            tags.append(key)
    return tags


def _parse_lvk(d: Mapping[str, Any], raw: bytes, digest: str, fmt: str) -> ParsedNotice:
    sid = str(d.get("superevent_id") or "").strip()
    atype = str(d.get("alert_type") or "").strip().upper()
    notice_type = _LVK_TYPES.get(atype, "unknown")
    is_retraction = notice_type == "Retraction"
    event = d.get("event") or {}
    if not isinstance(event, Mapping):
        raise NoticeRejected("not_a_notice", "LVK 'event' is not an object")
    props: dict[str, Any] = {}
    locs: list[LocalizationSpec] = []
    significant: bool | None = None
    if event:
        far = _float(event.get("far"))
        props["FAR"] = far
        significant = _bool(event.get("significant")) if "significant" in event else None
        props["instruments"] = list(event.get("instruments") or []) or None
        for key in ("group", "pipeline", "search", "duration", "central_frequency"):
            props[key] = event.get(key)
        for key, val in (event.get("classification") or {}).items():
            props[key] = _float(val)
        for key, val in (event.get("properties") or {}).items():
            props[key] = _float(val)
        skymap = event.get("skymap")
        if skymap:
            data = skymap if isinstance(skymap, bytes) else _b64decode(skymap)
            spec, extra = _map_spec(data, f"{sid}-{notice_type}.multiorder.fits")
            props.update(extra)
            locs.append(spec)
    coinc = d.get("external_coinc") or {}
    coinc_tags: list[str] = []
    if isinstance(coinc, Mapping) and coinc:
        for key, val in coinc.items():
            if key != "combined_skymap":
                props[f"external_{key}"] = val
        observatory = str(coinc.get("observatory") or "").strip()
        if observatory:
            coinc_tags += [observatory, "Coincidence"]
        combined = coinc.get("combined_skymap")
        if combined:
            data = combined if isinstance(combined, bytes) else _b64decode(combined)
            spec, _ = _map_spec(data, f"{sid}-{notice_type}.combined.multiorder.fits")
            locs.append(spec)
    gracedb = (d.get("urls") or {}).get("gracedb") if isinstance(d.get("urls"), Mapping) else None
    props["gracedb_url"] = gracedb
    tags = ["GW", "LVK"]
    if not is_retraction:
        tags += _lvk_class_tags(props)
        if significant is True:
            tags.append("significant")
        elif significant is False:
            tags.append("subthreshold")
    if props.get("search") == "MDC" or sid.startswith("M"):
        tags.append("MDC")
    if props.get("group") == "Burst":
        tags.append("Burst")
    return ParsedNotice(
        source="LVK",
        notice_type=notice_type,
        trigger_time=_parse_time(event.get("time")) if event else None,
        aliases=(sid,) if sid else (),
        ivorn=None,
        content_hash=digest,
        format=fmt,
        is_retraction=is_retraction,
        significant=significant,
        is_test=sid.startswith(("M", "T")),
        issued_at=_parse_time(d.get("time_created")),
        properties=_freeze(props),
        tags=_tags(tags, coinc_tags),
        localizations=tuple(locs),
        raw=raw,
    )


def _parse_avro(raw: bytes, digest: str) -> ParsedNotice:
    import fastavro  # local import: only LVK Avro needs it

    try:
        records = list(fastavro.reader(io.BytesIO(raw)))
    except Exception as exc:  # fastavro raises many types on corrupt input
        raise NoticeRejected("malformed_avro", f"{type(exc).__name__}: {exc}") from exc
    if not records:
        raise NoticeRejected("not_a_notice", "Avro container holds no record")
    if len(records) > 1:
        raise NoticeRejected("multiple_records", f"{len(records)} records in one message")
    rec = records[0]
    if not isinstance(rec, Mapping):
        raise NoticeRejected("not_a_notice", "Avro record is not a record")
    if _is_lvk_alert(rec):
        return _parse_lvk(rec, raw, digest, "lvk_avro")
    return _unknown(raw, digest, "avro")


# --------------------------------------------------------------------------
# JSON: LVK or unified GCN schema
# --------------------------------------------------------------------------


def _parse_json(raw: bytes, digest: str) -> ParsedNotice:
    try:
        d = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise NoticeRejected("malformed_json", str(exc)[:200]) from exc
    if not isinstance(d, dict):
        raise NoticeRejected("not_a_notice", f"JSON top level is {type(d).__name__}")
    if _is_lvk_alert(d):
        return _parse_lvk(d, raw, digest, "lvk_json")
    schema = d.get("$schema")
    if isinstance(schema, str) and "/gcn/notices/" in schema:
        return _parse_unified(d, schema, raw, digest)
    return _unknown(raw, digest, "json", trigger_time=_parse_time(d.get("trigger_time")))


_MISSIONS = {
    "einstein_probe": "EP",
    "ep": "EP",
    "fermi": "Fermi",
    "swift": "Swift",
    "icecube": "IceCube",
    "svom": "SVOM",
    "lvk": "LVK",
    "amon": "AMON",
    "chime": "CHIME",
    "dsa110": "DSA110",
    "glowbug": "Glowbug",
    "gecam": "GECAM",
    "integral": "INTEGRAL",
    "superkamiokande": "SuperK",
    "km3net": "KM3NeT",
}
_GBM_SUBTYPES = {
    "ALERT": "GBM_Alert",
    "FLIGHT_POSITION": "GBM_Flt_Pos",
    "GROUND_POSITION": "GBM_Gnd_Pos",
    "FINAL_POSITION": "GBM_Fin_Pos",
    "SUBTHRESHOLD": "GBM_Subthresh",
}


def _unified_point(d: Mapping[str, Any], source: str) -> PointError | Ellipse | None:
    ra, dec = _float(d.get("ra")), _float(d.get("dec"))
    if ra is None or dec is None:
        return None
    containment = _float(d.get("containment_probability")) or 0.9
    a = _float(d.get("position_a_error"))
    b = _float(d.get("position_b_error"))
    if a is not None and a > 0 and b is not None and b > 0:
        return Ellipse(
            ra_deg=ra,
            dec_deg=dec,
            semi_major_deg=a,
            semi_minor_deg=b,
            pa_deg=_float(d.get("position_error_pa")) or 0.0,
            containment=containment,
        )
    radius = _float(d.get("ra_dec_error"))
    if radius is None:
        radius = a
    if radius is None or radius <= 0:
        return None
    sysinc = d.get("systematic_included")
    return PointError(
        ra_deg=ra,
        dec_deg=dec,
        radius_deg=radius,
        containment=containment,
        systematic_included=_bool(sysinc) if sysinc is not None else None,
        name=f"{source}-point",
    )


def _parse_unified(d: dict[str, Any], schema: str, raw: bytes, digest: str) -> ParsedNotice:
    path = urlsplit(schema).path
    rel = path.split("/gcn/notices/", 1)[1]
    parts = rel.split("/")
    mission_key = parts[0].lower()
    stem = parts[-1].split(".schema.json")[0].split(".json")[0]
    source = _MISSIONS.get(mission_key, str(d.get("mission") or mission_key))
    instrument = str(d.get("instrument") or (parts[1] if len(parts) > 2 else "")).strip()
    alert_type = str(d.get("alert_type") or "").strip()
    trigger_time = _parse_time(d.get("trigger_time"))
    ids = [str(i) for i in (d.get("id") or []) if str(i).strip()]
    aliases: list[str] = []
    tags: list[str] = [source]
    locs: list[LocalizationSpec] = []
    props: dict[str, Any] = {}
    # Copy scalar fields for the record, under their schema names.
    for key, val in d.items():
        if key.startswith("$") or key in ("healpix_file",):
            continue
        if isinstance(val, (str, int, float, bool)) or val is None:
            props[key] = val
        elif isinstance(val, list) and all(isinstance(v, (str, int, float)) for v in val):
            props[key] = list(val)
    if "far" in d:
        props["FAR"] = _float(d.get("far"))  # unified schema: Hz
    notice_type = f"{instrument} {stem}".strip() if instrument else stem

    if source == "Fermi":
        notice_type = _GBM_SUBTYPES.get(str(d.get("subtype", "")).upper(), notice_type)
        tags += ["GBM", "GRB"]
        # Official burst names (bnYYMMDDfff) first, then trigger numbers.
        aliases += [i for i in ids if re.fullmatch(r"bn\d{9}", i)]
        aliases += [f"Fermi#{i}" for i in ids if not re.fullmatch(r"bn\d{9}", i)]
        dur = str(d.get("duration_class") or "").lower()
        if dur in ("short", "long"):
            tags.append(dur.capitalize())
    elif source == "Swift":
        kind = instrument or "BAT"
        notice_type = f"{kind} {alert_type.capitalize()}".strip()
        tags += [kind, "GRB"] if (d.get("classification") or {}).get("GRB") else [kind]
        aliases += [f"Swift#{i}" for i in ids]
    elif source == "EP":
        notice_type = f"{instrument or 'WXT'} {stem}"
        tags.append(instrument or "WXT")
        aliases += [f"EP#{i}" for i in ids]
    elif source == "SVOM":
        notice_type = f"{instrument} {stem}".strip()
        tags += [instrument, "GRB"] if instrument else ["GRB"]
        aliases += [f"SVOM#{i}" for i in ids]
    elif source == "IceCube":
        tags.append("Neutrino")
        notice_type = str(d.get("type") or notice_type)
        ref = str(d.get("ref_ID") or "").strip()
        if ref:
            # This notice reports on a GW superevent: key it to that event.
            aliases.append(ref)
            tags.append("GW")
        events = [e for e in (d.get("coincident_events") or []) if isinstance(e, Mapping)]

        def pval(e: Mapping[str, Any]) -> float:
            p = _float(e.get("event_pval_generic"))
            return p if p is not None else 1.0

        for ev in sorted(events, key=pval):
            loc = ev.get("localization") or {}
            spec = _unified_point(loc, "IceCube")
            evid = ",".join(str(i) for i in (ev.get("id") or []))
            if spec is not None:
                if isinstance(spec, PointError):
                    spec = PointError(
                        spec.ra_deg,
                        spec.dec_deg,
                        spec.radius_deg,
                        spec.containment,
                        spec.systematic_included,
                        name=f"IceCube-{evid or 'event'}",
                    )
                locs.append(spec)
        props["n_events_coincident"] = _int(d.get("n_events_coincident"))
        props["signalness"] = _float(d.get("signalness"))
    else:
        aliases += [f"{source}#{i}" for i in ids]

    point = _unified_point(d, source) if source != "IceCube" else None
    if point is not None:
        locs.insert(0, point)
    hfile = d.get("healpix_file")
    if hfile:
        data = _b64decode(hfile)
        spec, extra = _map_spec(data, f"{source}-{instrument or 'map'}.fits")
        props.update(extra)
        locs.insert(0, spec)  # an embedded map is better than a circle
    hurl = d.get("healpix_url")
    if isinstance(hurl, str) and hurl.strip():
        locs.append(MapURL(url=hurl.strip(), name=_url_name(hurl)))

    tense = str(d.get("alert_tense") or "").lower()
    return ParsedNotice(
        source=source,
        notice_type=notice_type or "unknown",
        trigger_time=trigger_time,
        aliases=tuple(dict.fromkeys(aliases)),
        ivorn=None,
        content_hash=digest,
        format="unified_json",
        is_retraction=alert_type.lower() == "retraction",
        significant=None,
        is_test=tense == "test",
        issued_at=_parse_time(d.get("alert_datetime")),
        sequence=_int(d.get("record_number")),
        properties=_freeze(props),
        tags=_tags(tags),
        localizations=tuple(locs),
        raw=raw,
    )


# --------------------------------------------------------------------------
# GCN Classic VOEvent XML
# --------------------------------------------------------------------------

# Packet_Type → (source, notice type). Source: GCN's notice type table.
_PACKET_TYPES: dict[int, tuple[str, str]] = {
    61: ("Swift", "BAT_GRB_Pos"),
    67: ("Swift", "XRT_Position"),
    81: ("Swift", "UVOT_Position"),
    97: ("Swift", "BAT_QL_Pos"),
    110: ("Fermi", "GBM_Alert"),
    111: ("Fermi", "GBM_Flt_Pos"),
    112: ("Fermi", "GBM_Gnd_Pos"),
    115: ("Fermi", "GBM_Fin_Pos"),
    131: ("Fermi", "GBM_Subthresh"),
    150: ("LVK", "Preliminary"),
    151: ("LVK", "Initial"),
    152: ("LVK", "Update"),
    163: ("LVK", "EarlyWarning"),
    164: ("LVK", "Retraction"),
    158: ("AMON", "ICECUBE_HESE"),
    169: ("AMON", "ICECUBE_EHE"),
    171: ("AMON", "HAWC_BURST_MONITOR"),
    172: ("AMON", "NU_EM_COINC"),
    173: ("IceCube", "ICECUBE_ASTROTRACK_GOLD"),
    174: ("IceCube", "ICECUBE_ASTROTRACK_BRONZE"),
    176: ("IceCube", "ICECUBE_CASCADE"),
}


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(elem: Any, name: str) -> Any:
    for c in elem:
        if isinstance(c.tag, str) and _local(c.tag) == name:
            return c
    return None


def _find(elem: Any, *path: str) -> Any:
    for name in path:
        if elem is None:
            return None
        elem = _child(elem, name)
    return elem


def _text(elem: Any) -> str | None:
    if elem is None or elem.text is None:
        return None
    return elem.text.strip() or None


def _parse_xml(raw: bytes, digest: str) -> ParsedNotice:
    from defusedxml import DefusedXmlException
    from defusedxml import ElementTree as DET

    try:
        root = DET.fromstring(raw, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise NoticeRejected("xml_entities_forbidden", type(exc).__name__) from exc
    except DET.ParseError as exc:
        raise NoticeRejected("malformed_xml", str(exc)[:200]) from exc
    if _local(root.tag) != "VOEvent":
        raise NoticeRejected("not_a_notice", f"XML root is <{_local(root.tag)}>")
    ivorn = (root.get("ivorn") or "").strip() or None
    role = (root.get("role") or "").strip().lower()

    # Param name → (value, unit); groups are flattened with their params.
    params: dict[str, tuple[str | None, str | None]] = {}
    groups: dict[str, dict[str, tuple[str | None, str | None]]] = {}
    what = _child(root, "What")
    if what is not None:
        for el in what:
            if not isinstance(el.tag, str):
                continue
            if _local(el.tag) == "Param":
                params[el.get("name", "")] = (el.get("value"), el.get("unit"))
            elif _local(el.tag) == "Group":
                gname = el.get("type") or el.get("name") or ""
                g = groups.setdefault(gname, {})
                for p in el:
                    if isinstance(p.tag, str) and _local(p.tag) == "Param":
                        g[p.get("name", "")] = (p.get("value"), p.get("unit"))

    def pv(name: str) -> str | None:
        v = params.get(name)
        return v[0].strip() if v and v[0] is not None else None

    coords = _find(root, "WhereWhen", "ObsDataLocation", "ObservationLocation", "AstroCoords")
    iso = _text(_find(coords, "Time", "TimeInstant", "ISOTime"))
    trigger_time = _parse_time(iso)
    pos = _find(coords, "Position2D")
    ra = _float(_text(_find(pos, "Value2", "C1")))
    dec = _float(_text(_find(pos, "Value2", "C2")))
    err = _float(_text(_find(pos, "Error2Radius")))
    issued = _parse_time(_text(_find(root, "Who", "Date")))
    ptype = _int(pv("Packet_Type"))
    sequence = _int(pv("Pkt_Ser_Num"))

    known = _PACKET_TYPES.get(ptype) if ptype is not None else None
    fragment = ivorn.split("#", 1)[1] if ivorn and "#" in ivorn else ""
    is_lvk = (known is not None and known[0] == "LVK") or pv("GraceID") is not None
    common = dict(
        ivorn=ivorn,
        content_hash=digest,
        format="voevent",
        is_test=role == "test",
        issued_at=issued,
        sequence=sequence,
        raw=raw,
    )
    if is_lvk:
        return _voevent_lvk(pv, params, groups, known, trigger_time, common)
    if known is None:
        source = ivorn.split("/")[-1].split("#")[0] if ivorn and "/" in ivorn else "unknown"
        return ParsedNotice(
            source=source or "unknown",
            notice_type="unknown",
            trigger_time=trigger_time,
            aliases=(),
            properties=_freeze({"Packet_Type": ptype, "ivorn_fragment": fragment or None}),
            **common,
        )
    source, notice_type = known
    props: dict[str, Any] = {"Packet_Type": ptype}
    for name, (val, _unit) in params.items():
        if name != "Packet_Type":
            props[name] = _num(val)
    trig = pv("TrigID")
    aliases: list[str] = []
    tags: list[str] = [source]
    locs: list[LocalizationSpec] = []

    if source == "Fermi":
        tags += ["GBM"]
        lc_url = pv("LightCurve_URL") or ""
        m = re.search(r"bn\d{9}", lc_url)
        bn = m.group(0) if m else (_gbm_burst_name(trigger_time) if trigger_time else None)
        if bn:
            aliases.append(bn)
        if trig:
            aliases.append(f"Fermi#{trig}")
        flags = groups.get("Trigger_ID", {})
        not_grb = _bool((flags.get("Def_NOT_a_GRB") or (None, None))[0])
        if not not_grb:
            tags.append("GRB")
        ls = str((flags.get("Long_short") or (None, None))[0] or "").lower()
        if ls in ("short", "long"):
            tags.append(ls.capitalize())
        containment = 0.68  # GBM notices quote the 1-sigma (68%) statistical radius
        sys_inc = False
        if m and notice_type in ("GBM_Gnd_Pos", "GBM_Fin_Pos"):
            # The HEALPix map lives next to the light curve (with systematics).
            base = lc_url.rsplit("/", 1)[0]
            url = f"{base}/glg_healpix_all_{m.group(0)}.fit"
            locs.append(MapURL(url=url, name=_url_name(url)))
    elif source == "Swift":
        tags.append(notice_type.split("_", 1)[0])  # BAT / XRT / UVOT
        if trig:
            aliases.append(f"Swift#{trig}")
        status = groups.get("Solution_Status", {})
        grb = _bool((status.get("GRB_Identified") or (None, None))[0])
        not_grb = _bool((status.get("Def_NOT_a_GRB") or (None, None))[0])
        if grb and not not_grb:
            tags.append("GRB")
        why_name = _text(_find(root, "Why", "Inference", "Name"))
        if why_name:
            props["grb_name"] = why_name
            if re.fullmatch(r"GRB ?\d{6}[A-Z]{1,2}", why_name):
                aliases.insert(0, why_name.replace(" ", ""))
        containment = 0.9  # BAT/XRT/UVOT radii are 90% containment incl. systematics
        sys_inc = True
    else:  # IceCube / AMON
        tags.append("Neutrino" if "ICECUBE" in notice_type else notice_type.split("_")[0])
        if "GOLD" in notice_type:
            tags.append("Gold")
        elif "BRONZE" in notice_type:
            tags.append("Bronze")
        elif "CASCADE" in notice_type:
            tags.append("Cascade")
        run, evt = pv("run_id") or pv("AMON_ID"), pv("event_id")
        if run and evt:
            aliases.append(f"{source}#{run}_{evt}")
        elif run:
            aliases.append(f"{source}#{run}")
        far = params.get("FAR")
        if far and _float(far[0]) is not None:
            # IceCube/AMON give FAR per year; store it in Hz like everything else.
            props["FAR"] = _far_to_hz(_float(far[0]), far[1] or "yr^-1")
        signalness = _float(pv("signalness"))
        if signalness is not None:
            props["signalness"] = signalness
        containment = 0.9  # IceCube track Error2Radius is the 90% radius
        sys_inc = None

    if ra is not None and dec is not None and err is not None and err > 0:
        locs.insert(
            0,
            PointError(
                ra_deg=ra,
                dec_deg=dec,
                radius_deg=err,
                containment=containment,
                systematic_included=sys_inc,
                name=f"{source}-{notice_type}",
            ),
        )
    props["ra"], props["dec"], props["error_radius"] = ra, dec, err
    return ParsedNotice(
        source=source,
        notice_type=notice_type,
        trigger_time=trigger_time,
        aliases=tuple(dict.fromkeys(aliases)),
        properties=_freeze(props),
        tags=_tags(tags),
        localizations=tuple(locs),
        **common,
    )


def _gbm_burst_name(t: datetime) -> str:
    """Fermi GBM burst name bnYYMMDDfff: fff is the fraction of the UTC day, rounded."""
    sod = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    frac = min(999, round(sod / 86400.0 * 1000))
    return f"bn{t:%y%m%d}{frac:03d}"


def _voevent_lvk(pv, params, groups, known, trigger_time, common) -> ParsedNotice:
    sid = pv("GraceID") or ""
    atype = (pv("AlertType") or (known[1] if known else "")).strip()
    notice_type = _LVK_TYPES.get(atype.upper().replace(" ", ""), atype or "unknown")
    if known and known[1] == "Retraction":
        notice_type = "Retraction"
    is_retraction = notice_type == "Retraction" or _bool(pv("Retraction")) is True
    if is_retraction:
        notice_type = "Retraction"
    props: dict[str, Any] = {"Packet_Type": _int(pv("Packet_Type"))}
    far = params.get("FAR")
    if far and _float(far[0]) is not None:
        props["FAR"] = _far_to_hz(_float(far[0]), far[1] or "Hz")
    inst = pv("Instruments")
    props["instruments"] = [s for s in inst.split(",") if s] if inst else None
    for key in ("Group", "Pipeline", "Search"):
        props[key.lower()] = pv(key)
    props["gracedb_url"] = pv("EventPage")
    for gname in ("Classification", "Properties"):
        for key, (val, _unit) in groups.get(gname, {}).items():
            props[key] = _float(val)
    sig_raw = pv("Significant")
    significant: bool | None
    if sig_raw is not None:
        significant = _bool(sig_raw)
    elif props.get("FAR") is not None and not is_retraction:
        # O3 notices predate the flag; apply the O4 public threshold.
        significant = props["FAR"] <= _SIGNIFICANT_FAR_HZ
        props["significant_inferred"] = True
    else:
        significant = None
    locs: list[LocalizationSpec] = []
    for gname, g in groups.items():
        if "GW_SKYMAP" in gname or gname.lower() in ("bayestar", "lalinference"):
            url = (g.get("skymap_fits") or (None, None))[0]
            if url:
                locs.append(MapURL(url=url.strip(), name=_url_name(url)))
    tags = ["GW", "LVK"]
    if not is_retraction:
        tags += _lvk_class_tags(props)
        if significant is True:
            tags.append("significant")
        elif significant is False:
            tags.append("subthreshold")
    if props.get("search") == "MDC" or sid.startswith("M"):
        tags.append("MDC")
    if props.get("group") == "Burst":
        tags.append("Burst")
    common = dict(common)
    common["is_test"] = common["is_test"] or sid.startswith(("M", "T"))
    return ParsedNotice(
        source="LVK",
        notice_type=notice_type,
        trigger_time=trigger_time,
        aliases=(sid,) if sid else (),
        is_retraction=is_retraction,
        significant=significant,
        properties=_freeze(props),
        tags=_tags(tags),
        localizations=tuple(locs),
        **common,
    )


__all__ = [
    "MAX_NOTICE_BYTES",
    "REASONS",
    "Ellipse",
    "FlatHealpixMap",
    "LocalizationSpec",
    "MapURL",
    "MultiOrderMap",
    "NoticeRejected",
    "ParsedNotice",
    "PointError",
    "Polygon",
    "inspect_fits",
    "parse_notice",
]
