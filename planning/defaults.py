"""Automatic plans (``DefaultPlanRequest``) managed by the people of a group.

Members holding *Manage observation plans* create, edit, pause and delete their groups'
defaults; every member sees them. A default names allocations of its own group, a filter on
the notices (notice types, tags, largest 90 % area in deg², conditions on the event's
properties) and the plan's parameters (the plan API's body, with ``duration_hours`` for the
window). What the API and the page accept is checked here once.
"""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.db.models import QuerySet

from accounts import access, acl
from facilities.models import Allocation
from planning.models import DefaultPlanRequest
from planning.serializers import PlanRequestSerializer
from planning.signals import PROPERTY_OPERATORS

MAX_LIST = 20
MAX_PROPERTY_FILTERS = 10
MAX_DURATION_HOURS = 72.0
# the plan API's body, less what a default decides itself (localization, allocations, queue)
PARAMETER_NAMES = {
    "start", "end", "filters", "exposure_time", "exposure_times", "filter_strategy",
    "min_filter_separation", "schedule_type", "tiling", "galaxy_catalog", "probability",
    "max_airmass", "galactic_limit", "max_fields", "allow_overlap", "duration_hours",
}  # fmt: skip


class DefaultPlanInputError(ValueError):
    def __init__(self, errors: dict[str, str]):
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def defaults_visible_to(user) -> QuerySet[DefaultPlanRequest]:
    return (
        DefaultPlanRequest.objects.filter(group_id__in=access.user_group_ids(user))
        .select_related("group", "created_by")
        .prefetch_related("allocations__instrument")
        .order_by("group__name", "name", "id")
    )


def may_manage(user, group_id: int) -> bool:
    return (
        access.is_approved(user)
        and access.has_acl(user, acl.MANAGE_OBSERVATION_PLANS)
        and group_id in access.user_group_ids(user)
    )


def manageable_group_ids(user) -> list[int]:
    return [g for g in access.user_group_ids(user) if may_manage(user, g)]


def _text_list(value: Any, name: str, max_chars: int, errors: dict) -> list[str]:
    if value in (None, ""):
        return []
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",") if part.strip()]
    if (
        not isinstance(value, list)
        or len(value) > MAX_LIST
        or not all(isinstance(v, str) and 0 < len(v) <= max_chars for v in value)
    ):
        errors[name] = f"a list of at most {MAX_LIST} names of at most {max_chars} characters"
        return []
    return value


def _finite(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return number if math.isfinite(number) else None


def _property_filters(value: Any, errors: dict) -> list[dict]:
    if value in (None, ""):
        return []
    rules = []
    if isinstance(value, list) and len(value) <= MAX_PROPERTY_FILTERS:
        for rule in value:
            if not isinstance(rule, dict):
                break
            name, op, number = rule.get("name"), rule.get("op", "=="), _finite(rule.get("value"))
            if not (isinstance(name, str) and 0 < len(name) <= 50) or op not in PROPERTY_OPERATORS:
                break
            if number is None:
                break
            rules.append({"name": name, "op": op, "value": number})
        else:
            return rules
    errors["property_filters"] = (
        f"at most {MAX_PROPERTY_FILTERS} conditions "
        f'{{"name", "op" ({" ".join(PROPERTY_OPERATORS)}), "value": a number}}'
    )
    return []


def _parameters(value: Any, allocations: list[Allocation], errors: dict) -> dict:
    if value in (None, ""):
        value = {}
    if not isinstance(value, dict):
        errors["parameters"] = "a JSON object (the plan API's body)"
        return {}
    unknown = sorted(set(value) - PARAMETER_NAMES)
    if unknown:
        errors["parameters"] = f"unknown: {', '.join(unknown)[:200]}"
        return {}
    checked = PlanRequestSerializer(data={k: v for k, v in value.items() if k != "duration_hours"})
    if not checked.is_valid():
        errors["parameters"] = "; ".join(
            f"{k}: {' '.join(str(m) for m in v)}" for k, v in checked.errors.items()
        )[:500]
        return {}
    hours = value.get("duration_hours")
    if hours is not None:
        hours = _finite(hours)
        if hours is None or not 0 < hours <= MAX_DURATION_HOURS:
            errors["parameters"] = f"duration_hours: more than 0, at most {MAX_DURATION_HOURS:g}"
            return {}
    offered = {f for a in allocations for f in (a.instrument.filters or [])}
    missing = [f for f in value.get("filters") or [] if f not in offered]
    if allocations and missing:
        errors["parameters"] = f"filters no allocated instrument has: {', '.join(missing)[:200]}"
        return {}
    return dict(value)


def validate(user, data: Any, current: DefaultPlanRequest | None = None) -> dict[str, Any]:
    """The model values of a new default (or of ``current`` with ``data``'s changes);
    :class:`DefaultPlanInputError` names every wrong field."""
    if not isinstance(data, dict):
        raise DefaultPlanInputError({"body": "must be a JSON object"})
    errors: dict[str, str] = {}
    merged = dict(as_payload(current)) if current is not None else {}
    merged.update(data)
    name = merged.get("name")
    if not isinstance(name, str) or not 0 < len(name.strip()) <= 100:
        errors["name"] = "1 to 100 characters"
    group_id = merged.get("group_id")
    if current is not None and group_id != current.group_id:
        errors["group_id"] = "a default stays in its group"
    elif isinstance(group_id, bool) or not isinstance(group_id, int):
        errors["group_id"] = "one of your groups' ids"
    elif not may_manage(user, group_id):
        errors["group_id"] = "a group of yours where you may manage observation plans"
    ids = merged.get("allocation_ids")
    allocations: list[Allocation] = []
    if (
        not isinstance(ids, list)
        or not ids
        or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
    ):
        errors["allocation_ids"] = "a non-empty list of your group's allocation ids"
    elif "group_id" not in errors:
        allocations = list(
            Allocation.objects.filter(pk__in=ids, group_id=group_id).select_related("instrument")
        )
        if len(allocations) != len(set(ids)):
            errors["allocation_ids"] = "allocations of the default's group only"
    max_area = merged.get("max_area_90")
    if max_area not in (None, ""):
        max_area = _finite(max_area)
        if max_area is None or max_area <= 0:
            errors["max_area_90"] = "a positive area in deg², or empty"
    values = {
        "name": name.strip() if isinstance(name, str) else "",
        "group_id": group_id,
        "notice_types": _text_list(merged.get("notice_types"), "notice_types", 100, errors),
        "tags": _text_list(merged.get("tags"), "tags", 50, errors),
        "max_area_90": None if max_area == "" else max_area,
        "property_filters": _property_filters(merged.get("property_filters"), errors),
        "parameters": _parameters(merged.get("parameters"), allocations, errors),
        "send_to_queue": merged.get("send_to_queue") is True,
        "active": merged.get("active", True) is not False,
        "allocations": allocations,
    }
    if errors:
        raise DefaultPlanInputError(errors)
    return values


@transaction.atomic
def save(user, values: dict[str, Any], current: DefaultPlanRequest | None = None):
    allocations = values.pop("allocations")
    if current is None:
        current = DefaultPlanRequest(created_by=user)
    for key, value in values.items():
        setattr(current, key, value)
    current.save()
    current.allocations.set(allocations)
    return current


def as_payload(default: DefaultPlanRequest) -> dict[str, Any]:
    return {
        "id": default.pk,
        "name": default.name,
        "group_id": default.group_id,
        "group": default.group.name,
        "allocation_ids": sorted(a.pk for a in default.allocations.all()),
        "notice_types": list(default.notice_types),
        "tags": list(default.tags),
        "max_area_90": default.max_area_90,
        "property_filters": list(default.property_filters),
        "parameters": dict(default.parameters),
        "send_to_queue": default.send_to_queue,
        "active": default.active,
        "created_by": default.created_by.username if default.created_by else None,
    }
