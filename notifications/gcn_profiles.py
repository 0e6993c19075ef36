"""GCN event profiles: which events a user wants to hear about, validated and matched.

A profile document (API and form alike)::

    {"name": "BNS nearby", "notice_types": ["Preliminary", "Initial"], "tags": ["GW", "BNS"],
     "max_area_90": 1000, "properties": [{"name": "FAR", "op": "<", "value": 3.2e-8},
                                          {"name": "HasNS", "op": ">=", "value": 0.5},
                                          {"name": "distmean", "op": "<=", "value": 200}]}

An event matches when its notice type is one of ``notice_types`` (any when empty), it
carries every tag of ``tags``, its 90 % area (deg²) is known and ≤ ``max_area_90`` (when
set), and every property condition holds (a property the event lacks fails). Units: FAR in
Hz, distances in Mpc, areas in deg², probabilities in [0, 1]. Matching works on a plain
:class:`EventSummary`, so this module needs nothing from the ``gcn`` app.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field

from notifications.errors import FieldError
from notifications.kinds import GCN_EVENT
from notifications.models import GcnProfile

# Event properties a condition may name (gcn stores them in GcnEvent.properties).
PROPERTIES: dict[str, str] = {
    "FAR": "false-alarm rate (Hz)",
    "BNS": "probability",
    "NSBH": "probability",
    "BBH": "probability",
    "Terrestrial": "probability",
    "HasNS": "probability",
    "HasRemnant": "probability",
    "HasMassGap": "probability",
    "distmean": "luminosity distance mean (Mpc)",
    "diststd": "luminosity distance standard deviation (Mpc)",
    "area_50": "50 % credible area (deg²)",
    "area_90": "90 % credible area (deg²)",
    "signalness": "probability",
    "Burst_Signif": "significance (sigma)",
    "Rate_Signif": "significance (sigma)",
    "image_snr": "signal-to-noise ratio",
}
ALIASES = {"distance": "distmean", "far": "FAR"}
OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "=": operator.eq,
    "==": operator.eq,
    "!=": operator.ne,
}
MAX_LIST = 50
MAX_CONDITIONS = 20
_KEYS = {"name", "notice_types", "tags", "max_area_90", "properties", "active"}


ProfileError = FieldError


@dataclass(frozen=True)
class Condition:
    name: str
    op: str
    value: float

    def holds(self, properties: dict) -> bool:
        value = properties.get(self.name)
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        return OPERATORS[self.op](float(value), self.value)


@dataclass(frozen=True)
class ProfileSpec:
    name: str
    notice_types: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    max_area_90: float | None = None
    conditions: tuple[Condition, ...] = field(default_factory=tuple)
    active: bool = True


@dataclass(frozen=True)
class EventSummary:
    """What a profile is matched on: ``area_90`` in deg² (None when unknown)."""

    notice_type: str
    tags: frozenset[str]
    properties: dict
    area_90: float | None


def _strings(value, field_name: str, max_len: int) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(
        isinstance(v, str) and 0 < len(v) <= max_len for v in value
    ):
        raise ProfileError(field_name, f"a list of names (1-{max_len} characters each)")
    if len(value) > MAX_LIST:
        raise ProfileError(field_name, f"at most {MAX_LIST} entries")
    return tuple(dict.fromkeys(value))


def _number(value, field_name: str) -> float:
    if isinstance(value, bool):
        return float(value)
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ProfileError(field_name, "a finite number")
    return float(value)


def parse_profile(doc) -> ProfileSpec:
    """Validate a profile document; :class:`ProfileError` names the first bad field."""
    if not isinstance(doc, dict):
        raise ProfileError("profile", "an object")
    unknown = set(doc) - _KEYS
    if unknown:
        raise ProfileError(str(sorted(unknown, key=str)[0])[:50], "unknown field")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise ProfileError("name", "a name of 1-100 characters")
    area = doc.get("max_area_90")
    if area is not None:
        area = _number(area, "max_area_90")
        if area <= 0:
            raise ProfileError("max_area_90", "a positive area in deg²")
    raw_conditions = doc.get("properties", [])
    if not isinstance(raw_conditions, list):
        raise ProfileError("properties", 'a list of {"name", "op", "value"}')
    if len(raw_conditions) > MAX_CONDITIONS:
        raise ProfileError("properties", f"at most {MAX_CONDITIONS} conditions")
    conditions = []
    for i, cond in enumerate(raw_conditions):
        where = f"properties[{i}]"
        if not isinstance(cond, dict) or set(cond) != {"name", "op", "value"}:
            raise ProfileError(where, 'an object with exactly "name", "op" and "value"')
        prop = cond["name"]
        prop = ALIASES.get(prop, prop) if isinstance(prop, str) else prop
        if prop not in PROPERTIES:
            raise ProfileError(
                f"{where}.name",
                f"unknown property {str(cond['name'])[:50]!r}; known: {', '.join(PROPERTIES)}",
            )
        if cond["op"] not in OPERATORS:
            raise ProfileError(
                f"{where}.op",
                f"unknown operator {str(cond['op'])[:10]!r}; use {' '.join(OPERATORS)}",
            )
        conditions.append(Condition(prop, cond["op"], _number(cond["value"], f"{where}.value")))
    active = doc.get("active", True)
    if not isinstance(active, bool):
        raise ProfileError("active", "true or false")
    return ProfileSpec(
        name=name.strip(),
        notice_types=_strings(doc.get("notice_types"), "notice_types", 100),
        tags=_strings(doc.get("tags"), "tags", 50),
        max_area_90=area,
        conditions=tuple(conditions),
        active=active,
    )


def spec_of(profile: GcnProfile) -> ProfileSpec:
    return ProfileSpec(
        name=profile.name,
        notice_types=tuple(profile.notice_types),
        tags=tuple(profile.tags),
        max_area_90=profile.max_area_90,
        conditions=tuple(
            Condition(c["name"], c["op"], float(c["value"])) for c in profile.properties
        ),
        active=profile.active,
    )


def profile_json(profile: GcnProfile) -> dict:
    return {
        "id": profile.pk,
        "name": profile.name,
        "notice_types": list(profile.notice_types),
        "tags": list(profile.tags),
        "max_area_90": profile.max_area_90,
        "properties": list(profile.properties),
        "active": profile.active,
    }


def save_profile(user, spec: ProfileSpec, profile: GcnProfile | None = None) -> GcnProfile:
    profile = profile or GcnProfile(user=user)
    profile.name = spec.name
    profile.notice_types = list(spec.notice_types)
    profile.tags = list(spec.tags)
    profile.max_area_90 = spec.max_area_90
    profile.properties = [{"name": c.name, "op": c.op, "value": c.value} for c in spec.conditions]
    profile.active = spec.active
    profile.save()
    return profile


def matches(spec: ProfileSpec, event: EventSummary) -> bool:
    if not spec.active:
        return False
    if spec.notice_types and event.notice_type not in spec.notice_types:
        return False
    if spec.tags and not set(spec.tags) <= event.tags:
        return False
    if spec.max_area_90 is not None and (event.area_90 is None or event.area_90 > spec.max_area_90):
        return False
    props = {**event.properties, "area_90": event.area_90}
    return all(c.holds(props) for c in spec.conditions)


_SPEC_FIELDS = ("user_id", "name", "notice_types", "tags", "max_area_90", "properties")


def matching_users(event: EventSummary) -> dict[int, str]:
    """{user id: name of the first matching profile} over the active profiles of active
    users (rows read as tuples: no model instance per profile)."""
    rows = (
        GcnProfile.objects.filter(active=True, user__is_active=True)
        .order_by("id")
        .values_list(*_SPEC_FIELDS)
    )
    found: dict[int, str] = {}
    for user_id, name, types, tags, area, conditions in rows:
        if user_id in found:
            continue
        spec = ProfileSpec(
            name=name,
            notice_types=tuple(types),
            tags=tuple(tags),
            max_area_90=area,
            conditions=tuple(Condition(c["name"], c["op"], float(c["value"])) for c in conditions),
        )
        if matches(spec, event):
            found[user_id] = name
    return found


def notify_matching(
    event: EventSummary, *, event_key: str, stage_key: str, title: str, url: str
) -> int:
    """Tell every user with a matching profile, once per ``stage_key`` (e.g. one notice of
    the event). Returns how many notices were stored."""
    from notifications.services import notify

    by_profile: dict[str, list[int]] = {}
    for user_id, name in matching_users(event).items():
        by_profile.setdefault(name, []).append(user_id)
    stored = 0
    for name, users in by_profile.items():
        text = f'{title} matches your GCN profile "{name}"'
        stored += len(
            notify(users, GCN_EVENT, text, url, dedupe_key=f"gcn:{event_key}:{stage_key}")
        )
    return stored
