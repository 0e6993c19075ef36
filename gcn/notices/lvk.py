"""LVK gravitational-wave alerts: ``igwn.gwalert`` JSON and Avro, and GCN Classic VOEvents.

All three forms share :func:`lvk_tags` (class, significance, MDC, Burst) and
the alert-type names in :data:`LVK_TYPES`.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from gcn.notices.base import LocalizationSpec, MapURL, NoticeRejected, ParsedNotice, unknown_notice
from gcn.notices.fits import map_spec
from gcn.notices.values import (
    b64decode,
    far_to_hz,
    freeze,
    parse_time,
    sorted_tags,
    to_bool,
    to_float,
    to_int,
    url_name,
)

# LVK's public-alert threshold for CBC: one false alarm per month (O4 rule).
# Used only when an older notice lacks the explicit "Significant" flag.
SIGNIFICANT_FAR_HZ = 1.0 / (30.0 * 86400.0)

LVK_TYPES = {
    "EARLYWARNING": "EarlyWarning",
    "EARLY_WARNING": "EarlyWarning",
    "PRELIMINARY": "Preliminary",
    "INITIAL": "Initial",
    "UPDATE": "Update",
    "RETRACTION": "Retraction",
}
CLASSES = ("BNS", "NSBH", "BBH", "Terrestrial")


def is_lvk_alert(d: Mapping[str, Any]) -> bool:
    """An ``igwn.gwalert`` record (JSON object or Avro record)."""
    return "superevent_id" in d and "alert_type" in d


def _class_tags(props: Mapping[str, Any]) -> list[str]:
    probs = {c: to_float(props.get(c)) for c in CLASSES}
    probs = {c: p for c, p in probs.items() if p is not None}
    tags = []
    if probs:
        tags.append(max(probs, key=lambda c: probs[c]))
    for key in ("HasNS", "HasRemnant", "HasMassGap"):
        p = to_float(props.get(key))
        if p is not None and p >= 0.5:
            tags.append(key)
    return tags


def lvk_tags(
    sid: str, props: Mapping[str, Any], significant: bool | None, is_retraction: bool
) -> list[str]:
    """Tags of an LVK notice in any format: GW, LVK, the likeliest class, HasNS/…,
    significant/subthreshold (not for retractions), MDC (mock data) and Burst."""
    tags = ["GW", "LVK"]
    if not is_retraction:
        tags += _class_tags(props)
        if significant is True:
            tags.append("significant")
        elif significant is False:
            tags.append("subthreshold")
    if props.get("search") == "MDC" or sid.startswith("M"):
        tags.append("MDC")
    if props.get("group") == "Burst":
        tags.append("Burst")
    return tags


def parse_lvk(d: Mapping[str, Any], raw: bytes, digest: str, fmt: str) -> ParsedNotice:
    """An ``igwn.gwalert`` record (``fmt`` ``lvk_json`` or ``lvk_avro``)."""
    sid = str(d.get("superevent_id") or "").strip()
    atype = str(d.get("alert_type") or "").strip().upper()
    notice_type = LVK_TYPES.get(atype, "unknown")
    is_retraction = notice_type == "Retraction"
    event = d.get("event") or {}
    if not isinstance(event, Mapping):
        raise NoticeRejected("not_a_notice", "LVK 'event' is not an object")
    props: dict[str, Any] = {}
    locs: list[LocalizationSpec] = []
    significant: bool | None = None
    if event:
        far = to_float(event.get("far"))
        props["FAR"] = far
        significant = to_bool(event.get("significant")) if "significant" in event else None
        props["instruments"] = list(event.get("instruments") or []) or None
        for key in ("group", "pipeline", "search", "duration", "central_frequency"):
            props[key] = event.get(key)
        for key, val in (event.get("classification") or {}).items():
            props[key] = to_float(val)
        for key, val in (event.get("properties") or {}).items():
            props[key] = to_float(val)
        skymap = event.get("skymap")
        if skymap:
            data = skymap if isinstance(skymap, bytes) else b64decode(skymap)
            spec, extra = map_spec(data, f"{sid}-{notice_type}.multiorder.fits")
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
            data = combined if isinstance(combined, bytes) else b64decode(combined)
            spec, _ = map_spec(data, f"{sid}-{notice_type}.combined.multiorder.fits")
            locs.append(spec)
    gracedb = (d.get("urls") or {}).get("gracedb") if isinstance(d.get("urls"), Mapping) else None
    props["gracedb_url"] = gracedb
    return ParsedNotice(
        source="LVK",
        notice_type=notice_type,
        trigger_time=parse_time(event.get("time")) if event else None,
        aliases=(sid,) if sid else (),
        ivorn=None,
        content_hash=digest,
        format=fmt,
        is_retraction=is_retraction,
        significant=significant,
        is_test=sid.startswith(("M", "T")),
        issued_at=parse_time(d.get("time_created")),
        properties=freeze(props),
        tags=sorted_tags(lvk_tags(sid, props, significant, is_retraction), coinc_tags),
        localizations=tuple(locs),
        raw=raw,
    )


def parse_avro(raw: bytes, digest: str) -> ParsedNotice:
    """An Avro container holding one LVK alert (other records are kept as unknown)."""
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
    if is_lvk_alert(rec):
        return parse_lvk(rec, raw, digest, "lvk_avro")
    return unknown_notice(raw, digest, "avro")


ParamValue = Callable[[str], str | None]
Params = dict[str, tuple[str | None, str | None]]


def parse_lvk_voevent(
    pv: ParamValue,
    params: Params,
    groups: dict[str, Params],
    known: tuple[str, str] | None,
    trigger_time: datetime | None,
    common: dict[str, Any],
) -> ParsedNotice:
    """An LVK GCN Classic VOEvent (sky map given by URL, pending until fetched)."""
    sid = pv("GraceID") or ""
    atype = (pv("AlertType") or (known[1] if known else "")).strip()
    notice_type = LVK_TYPES.get(atype.upper().replace(" ", ""), atype or "unknown")
    if known and known[1] == "Retraction":
        notice_type = "Retraction"
    is_retraction = notice_type == "Retraction" or to_bool(pv("Retraction")) is True
    if is_retraction:
        notice_type = "Retraction"
    props: dict[str, Any] = {"Packet_Type": to_int(pv("Packet_Type"))}
    far = params.get("FAR")
    if far and to_float(far[0]) is not None:
        props["FAR"] = far_to_hz(to_float(far[0]), far[1] or "Hz")
    inst = pv("Instruments")
    props["instruments"] = [s for s in inst.split(",") if s] if inst else None
    for key in ("Group", "Pipeline", "Search"):
        props[key.lower()] = pv(key)
    props["gracedb_url"] = pv("EventPage")
    for gname in ("Classification", "Properties"):
        for key, (val, _unit) in groups.get(gname, {}).items():
            props[key] = to_float(val)
    sig_raw = pv("Significant")
    significant: bool | None
    if sig_raw is not None:
        significant = to_bool(sig_raw)
    elif props.get("FAR") is not None and not is_retraction:
        # O3 notices predate the flag; apply the O4 public threshold.
        significant = props["FAR"] <= SIGNIFICANT_FAR_HZ
        props["significant_inferred"] = True
    else:
        significant = None
    locs: list[LocalizationSpec] = []
    for gname, g in groups.items():
        if "GW_SKYMAP" in gname or gname.lower() in ("bayestar", "lalinference"):
            url = (g.get("skymap_fits") or (None, None))[0]
            if url:
                locs.append(MapURL(url=url.strip(), name=url_name(url)))
    common = dict(common)
    common["is_test"] = common["is_test"] or sid.startswith(("M", "T"))
    return ParsedNotice(
        source="LVK",
        notice_type=notice_type,
        trigger_time=trigger_time,
        aliases=(sid,) if sid else (),
        is_retraction=is_retraction,
        significant=significant,
        properties=freeze(props),
        tags=sorted_tags(lvk_tags(sid, props, significant, is_retraction)),
        localizations=tuple(locs),
        **common,
    )
