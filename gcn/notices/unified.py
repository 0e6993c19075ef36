"""Unified GCN JSON notices (detected by ``$schema``): Swift BAT-GUANO, Einstein Probe
WXT, IceCube LVK neutrino track search, Fermi GBM, SVOM and other missions.

Each mission with its own naming rules has a handler in :data:`MISSION_HANDLERS`;
other missions get ``"<Source>#<id>"`` aliases.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from gcn.notices.base import Ellipse, LocalizationSpec, MapURL, ParsedNotice, PointError
from gcn.notices.fits import map_spec
from gcn.notices.values import (
    b64decode,
    freeze,
    parse_time,
    sorted_tags,
    to_bool,
    to_float,
    to_int,
    url_name,
)

MISSIONS = {
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
GBM_SUBTYPES = {
    "ALERT": "GBM_Alert",
    "FLIGHT_POSITION": "GBM_Flt_Pos",
    "GROUND_POSITION": "GBM_Gnd_Pos",
    "FINAL_POSITION": "GBM_Fin_Pos",
    "SUBTHRESHOLD": "GBM_Subthresh",
}


def point_of(d: Mapping[str, Any], source: str) -> PointError | Ellipse | None:
    """The position of a unified notice (or of one of its events): ellipse or circle (deg)."""
    ra, dec = to_float(d.get("ra")), to_float(d.get("dec"))
    if ra is None or dec is None:
        return None
    containment = to_float(d.get("containment_probability")) or 0.9
    a = to_float(d.get("position_a_error"))
    b = to_float(d.get("position_b_error"))
    if a is not None and a > 0 and b is not None and b > 0:
        return Ellipse(
            ra_deg=ra,
            dec_deg=dec,
            semi_major_deg=a,
            semi_minor_deg=b,
            pa_deg=to_float(d.get("position_error_pa")) or 0.0,
            containment=containment,
        )
    radius = to_float(d.get("ra_dec_error"))
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
        systematic_included=to_bool(sysinc) if sysinc is not None else None,
        name=f"{source}-point",
    )


@dataclass
class Unified:
    """What a mission handler reads and fills in for one notice."""

    d: dict[str, Any]
    source: str
    instrument: str
    alert_type: str
    stem: str
    ids: list[str]
    notice_type: str
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    locs: list[LocalizationSpec] = field(default_factory=list)
    props: dict[str, Any] = field(default_factory=dict)
    # Whether the notice's own position (top-level ra/dec) is a localization.
    own_point: bool = True


def _fermi(n: Unified) -> None:
    n.notice_type = GBM_SUBTYPES.get(str(n.d.get("subtype", "")).upper(), n.notice_type)
    n.tags += ["GBM", "GRB"]
    # Official burst names (bnYYMMDDfff) first, then trigger numbers.
    n.aliases += [i for i in n.ids if re.fullmatch(r"bn\d{9}", i)]
    n.aliases += [f"Fermi#{i}" for i in n.ids if not re.fullmatch(r"bn\d{9}", i)]
    dur = str(n.d.get("duration_class") or "").lower()
    if dur in ("short", "long"):
        n.tags.append(dur.capitalize())


def _swift(n: Unified) -> None:
    kind = n.instrument or "BAT"
    n.notice_type = f"{kind} {n.alert_type.capitalize()}".strip()
    n.tags += [kind, "GRB"] if (n.d.get("classification") or {}).get("GRB") else [kind]
    n.aliases += [f"Swift#{i}" for i in n.ids]


def _einstein_probe(n: Unified) -> None:
    n.notice_type = f"{n.instrument or 'WXT'} {n.stem}"
    n.tags.append(n.instrument or "WXT")
    n.aliases += [f"EP#{i}" for i in n.ids]


def _svom(n: Unified) -> None:
    n.notice_type = f"{n.instrument} {n.stem}".strip()
    n.tags += [n.instrument, "GRB"] if n.instrument else ["GRB"]
    n.aliases += [f"SVOM#{i}" for i in n.ids]


def _icecube(n: Unified) -> None:
    d = n.d
    n.own_point = False
    n.tags.append("Neutrino")
    n.notice_type = str(d.get("type") or n.notice_type)
    ref = str(d.get("ref_ID") or "").strip()
    if ref:
        # This notice reports on a GW superevent: key it to that event.
        n.aliases.append(ref)
        n.tags.append("GW")
    events = [e for e in (d.get("coincident_events") or []) if isinstance(e, Mapping)]

    def pval(e: Mapping[str, Any]) -> float:
        p = to_float(e.get("event_pval_generic"))
        return p if p is not None else 1.0

    for ev in sorted(events, key=pval):
        loc = ev.get("localization") or {}
        spec = point_of(loc, "IceCube")
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
            n.locs.append(spec)
    n.props["n_events_coincident"] = to_int(d.get("n_events_coincident"))
    n.props["signalness"] = to_float(d.get("signalness"))


def _other(n: Unified) -> None:
    n.aliases += [f"{n.source}#{i}" for i in n.ids]


MISSION_HANDLERS: dict[str, Callable[[Unified], None]] = {
    "Fermi": _fermi,
    "Swift": _swift,
    "EP": _einstein_probe,
    "SVOM": _svom,
    "IceCube": _icecube,
}


def is_unified(d: Mapping[str, Any]) -> bool:
    """A unified-schema notice: ``$schema`` points under ``/gcn/notices/``."""
    schema = d.get("$schema")
    return isinstance(schema, str) and "/gcn/notices/" in schema


def parse_unified(d: dict[str, Any], raw: bytes, digest: str) -> ParsedNotice:
    """A unified GCN JSON notice (``format='unified_json'``); FAR is in Hz in this schema."""
    path = urlsplit(d["$schema"]).path
    rel = path.split("/gcn/notices/", 1)[1]
    parts = rel.split("/")
    mission_key = parts[0].lower()
    stem = parts[-1].split(".schema.json")[0].split(".json")[0]
    source = MISSIONS.get(mission_key, str(d.get("mission") or mission_key))
    instrument = str(d.get("instrument") or (parts[1] if len(parts) > 2 else "")).strip()
    n = Unified(
        d=d,
        source=source,
        instrument=instrument,
        alert_type=str(d.get("alert_type") or "").strip(),
        stem=stem,
        ids=[str(i) for i in (d.get("id") or []) if str(i).strip()],
        notice_type=f"{instrument} {stem}".strip() if instrument else stem,
        tags=[source],
    )
    # Copy scalar fields for the record, under their schema names.
    for key, val in d.items():
        if key.startswith("$") or key in ("healpix_file",):
            continue
        if isinstance(val, (str, int, float, bool)) or val is None:
            n.props[key] = val
        elif isinstance(val, list) and all(isinstance(v, (str, int, float)) for v in val):
            n.props[key] = list(val)
    if "far" in d:
        n.props["FAR"] = to_float(d.get("far"))  # unified schema: Hz
    MISSION_HANDLERS.get(source, _other)(n)

    point = point_of(d, source) if n.own_point else None
    if point is not None:
        n.locs.insert(0, point)
    hfile = d.get("healpix_file")
    if hfile:
        data = b64decode(hfile)
        spec, extra = map_spec(data, f"{source}-{instrument or 'map'}.fits")
        n.props.update(extra)
        n.locs.insert(0, spec)  # an embedded map is better than a circle
    hurl = d.get("healpix_url")
    if isinstance(hurl, str) and hurl.strip():
        n.locs.append(MapURL(url=hurl.strip(), name=url_name(hurl)))

    tense = str(d.get("alert_tense") or "").lower()
    return ParsedNotice(
        source=source,
        notice_type=n.notice_type or "unknown",
        trigger_time=parse_time(d.get("trigger_time")),
        aliases=tuple(dict.fromkeys(n.aliases)),
        ivorn=None,
        content_hash=digest,
        format="unified_json",
        is_retraction=n.alert_type.lower() == "retraction",
        significant=None,
        is_test=tense == "test",
        issued_at=parse_time(d.get("alert_datetime")),
        sequence=to_int(d.get("record_number")),
        properties=freeze(n.props),
        tags=sorted_tags(n.tags),
        localizations=tuple(n.locs),
        raw=raw,
    )
