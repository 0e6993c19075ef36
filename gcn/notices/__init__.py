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

One module per format family: :mod:`~gcn.notices.lvk` (JSON, Avro and VOEvent
share one tagging function), :mod:`~gcn.notices.voevent` (one handler per
mission), :mod:`~gcn.notices.unified`, :mod:`~gcn.notices.fits` (sky-map checks
through astropy headers, bare map files); the types are in
:mod:`~gcn.notices.base`, value conversions in :mod:`~gcn.notices.values`.

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

import hashlib
import json

from gcn.notices.base import (
    MAX_NOTICE_BYTES,
    REASONS,
    Ellipse,
    FlatHealpixMap,
    LocalizationSpec,
    MapURL,
    MultiOrderMap,
    NoticeRejected,
    ParsedNotice,
    PointError,
    Polygon,
    unknown_notice,
)
from gcn.notices.fits import inspect_fits, is_fits, parse_skymap_file
from gcn.notices.lvk import is_lvk_alert, parse_avro, parse_lvk
from gcn.notices.unified import is_unified, parse_unified
from gcn.notices.values import parse_time
from gcn.notices.voevent import parse_voevent


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
        return parse_avro(raw, digest)
    if kind == "json":
        return _parse_json(raw, digest)
    if kind == "xml":
        return parse_voevent(raw, digest)
    raise NoticeRejected("not_a_notice", "neither JSON, XML nor Avro")


def set_max_notice_bytes(limit: int) -> None:
    """Set the notice size cap (bytes) wherever notices and sky maps are read; the app sets
    it from ``settings.ICARE_MAX_NOTICE_BYTES`` at startup."""
    global MAX_NOTICE_BYTES
    from gcn.notices import base, fits

    MAX_NOTICE_BYTES = base.MAX_NOTICE_BYTES = fits.MAX_NOTICE_BYTES = int(limit)


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


def _parse_json(raw: bytes, digest: str) -> ParsedNotice:
    """JSON: an LVK alert, a unified-schema notice, or an unknown object kept raw."""
    try:
        d = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise NoticeRejected("malformed_json", str(exc)[:200]) from exc
    if not isinstance(d, dict):
        raise NoticeRejected("not_a_notice", f"JSON top level is {type(d).__name__}")
    if is_lvk_alert(d):
        return parse_lvk(d, raw, digest, "lvk_json")
    if is_unified(d):
        return parse_unified(d, raw, digest)
    return unknown_notice(raw, digest, "json", trigger_time=parse_time(d.get("trigger_time")))


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
    "is_fits",
    "parse_notice",
    "parse_skymap_file",
    "set_max_notice_bytes",
]
