"""A finished or failed observation plan told to whoever asked for it (``notifications``
kind ``plan``); automatic plans (no requester) are told to the group's admins."""

from __future__ import annotations

import logging

from accounts.models import GroupAdministrator
from notifications import kinds
from notifications.services import notify

log = logging.getLogger(__name__)


def notify_finished(plan_id: int, status: str) -> None:
    from planning.models import ObservationPlanRequest, PlanStatus

    if status not in (PlanStatus.COMPLETE, PlanStatus.FAILED):
        return
    try:
        plan = ObservationPlanRequest.objects.select_related("event").get(pk=plan_id)
        people = (
            [plan.requester_id]
            if plan.requester_id
            else list(
                GroupAdministrator.objects.filter(group_id=plan.group_id).values_list(
                    "user_id", flat=True
                )
            )
        )
        text = f"Observation plan {plan.pk} for {plan.event.name}: {status}"
        if status == PlanStatus.FAILED and plan.error:
            text += f" ({plan.error[:150]})"
        elif status == PlanStatus.COMPLETE:
            n = (plan.statistics or {}).get("n_observations")
            if n is not None:
                text += f", {n} observations"
        notify(
            people, kinds.PLAN, text, f"/gcn/events/{plan.event_id}/",
            dedupe_key=f"plan:{plan.pk}:{status}",
        )  # fmt: skip
    except Exception:  # telling people never breaks planning
        log.exception("could not notify about plan %s", plan_id)
