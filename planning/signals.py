"""Automatic plans: a group's defaults run on each new ready localization whose notice
matches; a retraction cancels the event's plans that have not finished.

``gcn`` knows nothing of planning: we listen to its models' ``post_save`` and act once the
ingest transaction has committed (the tiles are then in place).
"""

from __future__ import annotations

import contextlib
import logging
import operator
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from gcn.models import GcnEvent, Localization

logger = logging.getLogger(__name__)

PROPERTY_OPERATORS = {
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
}


def _on_localization(sender, instance: Localization, created: bool, **kwargs) -> None:
    if instance.status == Localization.Status.READY:
        pk = instance.pk
        transaction.on_commit(lambda: run_defaults_safely(pk))


def _on_event(sender, instance: GcnEvent, created: bool, **kwargs) -> None:
    if instance.retracted:
        pk = instance.pk
        transaction.on_commit(lambda: cancel_for_retraction(pk))


def _on_followup(sender, instance, created: bool, **kwargs) -> None:
    """A queued exposure of a plan changed status: mirror it on the planned observation, and
    record an executed observation once the robot reports it completed."""
    from planning.models import ExecutedObservation, PlannedObservation

    planned = (
        PlannedObservation.objects.filter(queue_request_id=instance.pk)
        .select_related("plan", "allocation")
        .first()
    )
    if planned is None:
        return
    if planned.queue_status != instance.status:
        PlannedObservation.objects.filter(pk=planned.pk).update(queue_status=instance.status)
    if (
        instance.status == "completed"
        and not ExecutedObservation.objects.filter(planned=planned).exists()
    ):
        ExecutedObservation.objects.create(
            group_id=planned.plan.group_id,
            instrument_id=planned.allocation.instrument_id,
            field_id=planned.field_id,
            obstime=timezone.now(),
            filter=planned.filter,
            exposure_time=planned.exposure_time,
            planned=planned,
        )


def connect() -> None:
    from facilities.models import FollowupRequest

    post_save.connect(_on_localization, sender=Localization, dispatch_uid="planning-loc")
    post_save.connect(_on_event, sender=GcnEvent, dispatch_uid="planning-event")
    post_save.connect(_on_followup, sender=FollowupRequest, dispatch_uid="planning-followup")


def matches(default, loc: Localization) -> bool:
    """Does this default apply to the localization (its notice type, the event's tags, the
    90 % area in deg², the event's properties)?"""
    event = loc.event
    notice = loc.notice
    if event.retracted:
        return False
    if default.notice_types and notice.notice_type not in default.notice_types:
        return False
    tags = set(event.tags or []) | set(notice.tags or [])
    if default.tags and not set(default.tags) <= tags:
        return False
    if default.max_area_90 is not None and (
        loc.area_90 is None or loc.area_90 > default.max_area_90
    ):
        return False
    props = {**(event.properties or {}), **(notice.properties or {})}
    for rule in default.property_filters or []:
        try:
            value = props.get(rule["name"])
            op = PROPERTY_OPERATORS[rule.get("op", "==")]
            if value is None or not op(float(value), float(rule["value"])):
                return False
        except (KeyError, TypeError, ValueError):
            return False
    return True


def run_defaults_safely(localization_id: int) -> list[int]:
    try:
        return run_defaults(localization_id)
    except Exception:
        logger.exception("automatic plans for localization %s failed", localization_id)
        return []


def run_defaults(localization_id: int) -> list[int]:
    """Create (and queue) the plans of every matching active default; returns plan ids.

    Each default plans a localization once (re-delivered notices change nothing)."""
    from planning import services
    from planning.models import AutomaticPlanRun, DefaultPlanRequest

    loc = (
        Localization.objects.select_related("event", "notice")
        .filter(pk=localization_id, status=Localization.Status.READY)
        .first()
    )
    if loc is None:
        return []
    created = []
    for default in DefaultPlanRequest.objects.filter(active=True).prefetch_related("allocations"):
        if not matches(default, loc):
            continue
        try:
            with transaction.atomic():
                run = AutomaticPlanRun.objects.create(default=default, localization=loc)
        except IntegrityError:
            continue
        plan = _plan_from_default(default, loc, services)
        if plan is not None:
            AutomaticPlanRun.objects.filter(pk=run.pk).update(plan=plan)
            created.append(plan.pk)
    return created


def _plan_from_default(default, loc: Localization, services):
    from planning.models import ObservationPlanRequest

    params = dict(default.parameters or {})
    now = timezone.now().replace(microsecond=0)
    allocations = [a for a in default.allocations.all() if a.start <= now < a.end]
    if not allocations:
        logger.info("default %s: no valid allocation", default.pk)
        return None
    hours = params.pop("duration_hours", None)
    body = {
        **params,
        "localization_id": loc.pk,
        "allocation_ids": [a.pk for a in allocations],
        "send_to_queue": default.send_to_queue,
    }
    if "start" not in body:
        body["start"] = now.isoformat()
    if hours is not None and "end" not in body:
        with contextlib.suppress(TypeError, ValueError, OverflowError):
            body["end"] = (now + timedelta(hours=float(hours))).isoformat()
    try:
        validated = services.validate_request(None, loc.event, body, pool=allocations)
    except services.PlanInputError as exc:
        logger.warning("default %s cannot plan: %s", default.pk, exc)
        return None
    plan = services.create_plan(loc.event, validated, requester=default.created_by, default=default)
    return ObservationPlanRequest.objects.get(pk=plan.pk)


def cancel_for_retraction(event_id: int) -> int:
    """Cancel the event's plans that are queued or running; returns how many."""
    from planning import services
    from planning.models import ObservationPlanRequest, PlanStatus

    n = 0
    for plan in ObservationPlanRequest.objects.filter(
        event_id=event_id, status__in=[PlanStatus.QUEUED, PlanStatus.RUNNING]
    ):
        n += services.cancel_plan(plan)
    try:
        from planning import queue

        queue.withdraw_event(event_id)
    except Exception as exc:
        logger.warning("could not take event %s's plans back from the queues: %s", event_id, exc)
    return n
