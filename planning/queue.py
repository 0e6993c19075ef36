"""Sending plans to telescope queues and taking them back, through the follow-up services
of ``facilities`` (the allocation's facility plugin; the ``Queue`` facility's robot then
sees each planned exposure as a request).

Each planned field becomes a target named ``<event>-<instrument>-F<field id>`` at the
field's centre, shared with the plan's group, and each planned exposure one follow-up
request on the plan's allocation (its filter, exposure time, start at the planned time,
end at the plan's end, priority from the plan's order).
"""

from __future__ import annotations

import logging

from django.db import transaction
from tom_targets.models import Target

from accounts import services as account_services
from facilities import services as followup
from facilities.models import FollowupRequest
from planning.models import ObservationPlanRequest, PlannedObservation, PlanStatus

logger = logging.getLogger(__name__)

MAX_SENT = 2000


class QueueError(Exception):
    """A plan that cannot be sent or withdrawn (the message says why)."""


def _field_target(plan: ObservationPlanRequest, obs: PlannedObservation) -> Target:
    name = f"{plan.event.name}-{obs.allocation.instrument.name}-F{obs.field.field_id}"[:100]
    target, _ = Target.objects.get_or_create(
        name=name, defaults={"type": "SIDEREAL", "ra": obs.ra, "dec": obs.dec}
    )
    account_services.assign_target_to_groups(target, [plan.group])
    return target


def _priority(order: int, total: int) -> int:
    """1 (highest) for the first fifth of the plan … 5 for the last."""
    return min(5, 1 + (5 * order) // max(total, 1))


def send_plan(plan: ObservationPlanRequest, user) -> int:
    """Put every planned exposure not sent yet in its allocation's queue; returns how many
    were accepted by the facility. ``user`` (None: the plan's requester) must be allowed to
    request observations on the allocations."""
    user = user or plan.requester
    if plan.status != PlanStatus.COMPLETE:
        raise QueueError(f"only complete plans can be sent (this one is {plan.status})")
    if user is None:
        raise QueueError("nobody to send the plan as (the plan has no requester)")
    pending = list(
        plan.planned_observations.filter(queue_request_id__isnull=True)
        .select_related("allocation__instrument", "field")
        .order_by("order")[:MAX_SENT]
    )
    if not pending:
        raise QueueError("every observation of this plan was sent already")
    total = plan.planned_observations.count()
    end = plan.end.isoformat().replace("+00:00", "Z")
    sent, errors = 0, []
    for obs in pending:
        target = _field_target(plan, obs)
        parameters = {
            "filters": [obs.filter],
            "exposure_time": obs.exposure_time,
            "exposure_count": 1,
            "priority": _priority(obs.order, total),
            "start": obs.obstime.isoformat().replace("+00:00", "Z"),
            "end": end,
            "comment": f"{plan.event.name} plan {plan.pk} #{obs.order} field {obs.field.field_id}",
        }
        try:
            request = followup.submit_request(user, target, obs.allocation_id, parameters)
        except followup.Refused as exc:
            errors.append(str(exc))
            continue
        PlannedObservation.objects.filter(pk=obs.pk).update(
            queue_request_id=request.pk, queue_status=request.status
        )
        if request.status != FollowupRequest.FAILED:
            sent += 1
    if errors and not sent:
        raise QueueError(f"the queue refused the plan: {errors[0]}")
    return sent


def withdraw_plan(plan: ObservationPlanRequest, user) -> int:
    """Cancel the plan's queued exposures that are not final yet; returns how many."""
    ids = list(
        plan.planned_observations.filter(queue_request_id__isnull=False).values_list(
            "queue_request_id", flat=True
        )
    )
    n = 0
    for request in FollowupRequest.objects.filter(pk__in=ids).exclude(
        status__in=FollowupRequest.FINAL
    ):
        try:
            followup.cancel_request(user, request)
        except followup.Refused as exc:
            raise QueueError(str(exc)) from None
        n += 1
    refresh_statuses(plan)
    return n


def withdraw_event(event_id: int) -> int:
    """Retraction: cancel every queued exposure of the event's plans not final yet."""
    ids = list(
        PlannedObservation.objects.filter(
            plan__event_id=event_id, queue_request_id__isnull=False
        ).values_list("queue_request_id", flat=True)
    )
    n = 0
    with transaction.atomic():
        for request in FollowupRequest.objects.filter(pk__in=ids).exclude(
            status__in=FollowupRequest.FINAL
        ):
            followup.set_status(request, FollowupRequest.CANCELLED, "the GCN event was retracted")
            n += 1
    return n


def statuses(plan: ObservationPlanRequest) -> dict[int, str]:
    """``{queue request id: status}`` of the plan's sent exposures."""
    ids = [
        i
        for i in plan.planned_observations.values_list("queue_request_id", flat=True)
        if i is not None
    ]
    return dict(FollowupRequest.objects.filter(pk__in=ids).values_list("pk", "status"))


def refresh_statuses(plan: ObservationPlanRequest) -> None:
    for request_id, status in statuses(plan).items():
        PlannedObservation.objects.filter(plan=plan, queue_request_id=request_id).exclude(
            queue_status=status
        ).update(queue_status=status)
