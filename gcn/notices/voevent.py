"""GCN Classic VOEvent 2.0 XML (parsed with defusedxml only).

``Packet_Type`` says the mission and notice type (:data:`PACKET_TYPES`); each
mission's naming, tags and error-radius containment live in one handler of
:data:`MISSION_HANDLERS`. LVK VOEvents go to :func:`gcn.notices.lvk.parse_lvk_voevent`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from gcn.notices.base import LocalizationSpec, MapURL, NoticeRejected, ParsedNotice, PointError
from gcn.notices.lvk import Params, parse_lvk_voevent
from gcn.notices.values import (
    far_to_hz,
    freeze,
    parse_time,
    sorted_tags,
    to_bool,
    to_float,
    to_int,
    to_number,
    url_name,
)

# Packet_Type → (source, notice type). Source: GCN's notice type table.
PACKET_TYPES: dict[int, tuple[str, str]] = {
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


@dataclass
class VOEvent:
    """What a mission handler reads (params, groups, root) and fills in for one notice."""

    root: Any
    params: Params
    groups: dict[str, Params]
    source: str
    notice_type: str
    trigger_time: datetime | None
    props: dict[str, Any]
    aliases: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    locs: list[LocalizationSpec] = field(default_factory=list)
    # Probability inside the Error2Radius, and whether it includes systematics.
    containment: float = 0.9
    systematic_included: bool | None = None

    def pv(self, name: str) -> str | None:
        """A top-level Param's value (stripped), or None."""
        v = self.params.get(name)
        return v[0].strip() if v and v[0] is not None else None

    def flag(self, group: str, name: str) -> bool | None:
        """A boolean Param of a Group, or None."""
        return to_bool((self.groups.get(group, {}).get(name) or (None, None))[0])


def _fermi(n: VOEvent) -> None:
    n.tags += ["GBM"]
    lc_url = n.pv("LightCurve_URL") or ""
    trig = n.pv("TrigID")
    m = re.search(r"bn\d{9}", lc_url)
    bn = m.group(0) if m else (gbm_burst_name(n.trigger_time) if n.trigger_time else None)
    if bn:
        n.aliases.append(bn)
    if trig:
        n.aliases.append(f"Fermi#{trig}")
    if not n.flag("Trigger_ID", "Def_NOT_a_GRB"):
        n.tags.append("GRB")
    ls = str((n.groups.get("Trigger_ID", {}).get("Long_short") or (None, None))[0] or "")
    if ls.lower() in ("short", "long"):
        n.tags.append(ls.lower().capitalize())
    n.containment = 0.68  # GBM notices quote the 1-sigma (68%) statistical radius
    n.systematic_included = False
    if m and n.notice_type in ("GBM_Gnd_Pos", "GBM_Fin_Pos"):
        # The HEALPix map lives next to the light curve (with systematics).
        base = lc_url.rsplit("/", 1)[0]
        url = f"{base}/glg_healpix_all_{m.group(0)}.fit"
        n.locs.append(MapURL(url=url, name=url_name(url)))


def _swift(n: VOEvent) -> None:
    n.tags.append(n.notice_type.split("_", 1)[0])  # BAT / XRT / UVOT
    trig = n.pv("TrigID")
    if trig:
        n.aliases.append(f"Swift#{trig}")
    grb = n.flag("Solution_Status", "GRB_Identified")
    not_grb = n.flag("Solution_Status", "Def_NOT_a_GRB")
    if grb and not not_grb:
        n.tags.append("GRB")
    why_name = _text(_find(n.root, "Why", "Inference", "Name"))
    if why_name:
        n.props["grb_name"] = why_name
        if re.fullmatch(r"GRB ?\d{6}[A-Z]{1,2}", why_name):
            n.aliases.insert(0, why_name.replace(" ", ""))
    n.containment = 0.9  # BAT/XRT/UVOT radii are 90% containment incl. systematics
    n.systematic_included = True


def _neutrino(n: VOEvent) -> None:
    """IceCube and AMON streams."""
    nt = n.notice_type
    n.tags.append("Neutrino" if "ICECUBE" in nt else nt.split("_")[0])
    if "GOLD" in nt:
        n.tags.append("Gold")
    elif "BRONZE" in nt:
        n.tags.append("Bronze")
    elif "CASCADE" in nt:
        n.tags.append("Cascade")
    run, evt = n.pv("run_id") or n.pv("AMON_ID"), n.pv("event_id")
    if run and evt:
        n.aliases.append(f"{n.source}#{run}_{evt}")
    elif run:
        n.aliases.append(f"{n.source}#{run}")
    far = n.params.get("FAR")
    if far and to_float(far[0]) is not None:
        # IceCube/AMON give FAR per year; store it in Hz like everything else.
        n.props["FAR"] = far_to_hz(to_float(far[0]), far[1] or "yr^-1")
    signalness = to_float(n.pv("signalness"))
    if signalness is not None:
        n.props["signalness"] = signalness
    n.containment = 0.9  # IceCube track Error2Radius is the 90% radius
    n.systematic_included = None


MISSION_HANDLERS: dict[str, Callable[[VOEvent], None]] = {
    "Fermi": _fermi,
    "Swift": _swift,
    "IceCube": _neutrino,
    "AMON": _neutrino,
}


def gbm_burst_name(t: datetime) -> str:
    """Fermi GBM burst name bnYYMMDDfff: fff is the fraction of the UTC day, rounded."""
    sod = t.hour * 3600 + t.minute * 60 + t.second + t.microsecond / 1e6
    frac = min(999, round(sod / 86400.0 * 1000))
    return f"bn{t:%y%m%d}{frac:03d}"


def _read_params(root: Any) -> tuple[Params, dict[str, Params]]:
    """Param name → (value, unit) of <What>, and each <Group>'s params by group type/name."""
    params: Params = {}
    groups: dict[str, Params] = {}
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
    return params, groups


def parse_voevent(raw: bytes, digest: str) -> ParsedNotice:
    """A GCN Classic VOEvent; an unknown ``Packet_Type`` gives ``notice_type='unknown'``."""
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
    params, groups = _read_params(root)

    def pv(name: str) -> str | None:
        v = params.get(name)
        return v[0].strip() if v and v[0] is not None else None

    coords = _find(root, "WhereWhen", "ObsDataLocation", "ObservationLocation", "AstroCoords")
    trigger_time = parse_time(_text(_find(coords, "Time", "TimeInstant", "ISOTime")))
    pos = _find(coords, "Position2D")
    ra = to_float(_text(_find(pos, "Value2", "C1")))
    dec = to_float(_text(_find(pos, "Value2", "C2")))
    err = to_float(_text(_find(pos, "Error2Radius")))
    ptype = to_int(pv("Packet_Type"))

    known = PACKET_TYPES.get(ptype) if ptype is not None else None
    fragment = ivorn.split("#", 1)[1] if ivorn and "#" in ivorn else ""
    common = dict(
        ivorn=ivorn,
        content_hash=digest,
        format="voevent",
        is_test=role == "test",
        issued_at=parse_time(_text(_find(root, "Who", "Date"))),
        sequence=to_int(pv("Pkt_Ser_Num")),
        raw=raw,
    )
    if (known is not None and known[0] == "LVK") or pv("GraceID") is not None:
        return parse_lvk_voevent(pv, params, groups, known, trigger_time, common)
    if known is None:
        source = ivorn.split("/")[-1].split("#")[0] if ivorn and "/" in ivorn else "unknown"
        return ParsedNotice(
            source=source or "unknown",
            notice_type="unknown",
            trigger_time=trigger_time,
            aliases=(),
            properties=freeze({"Packet_Type": ptype, "ivorn_fragment": fragment or None}),
            **common,
        )
    source, notice_type = known
    props: dict[str, Any] = {"Packet_Type": ptype}
    for name, (val, _unit) in params.items():
        if name != "Packet_Type":
            props[name] = to_number(val)
    n = VOEvent(
        root=root,
        params=params,
        groups=groups,
        source=source,
        notice_type=notice_type,
        trigger_time=trigger_time,
        props=props,
        tags=[source],
    )
    MISSION_HANDLERS[source](n)
    if ra is not None and dec is not None and err is not None and err > 0:
        n.locs.insert(
            0,
            PointError(
                ra_deg=ra,
                dec_deg=dec,
                radius_deg=err,
                containment=n.containment,
                systematic_included=n.systematic_included,
                name=f"{source}-{notice_type}",
            ),
        )
    props["ra"], props["dec"], props["error_radius"] = ra, dec, err
    return ParsedNotice(
        source=source,
        notice_type=notice_type,
        trigger_time=trigger_time,
        aliases=tuple(dict.fromkeys(n.aliases)),
        properties=freeze(props),
        tags=sorted_tags(n.tags),
        localizations=tuple(n.locs),
        **common,
    )
