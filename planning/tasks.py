"""Celery tasks of the planning app, run by the planning worker (queue ``planning``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="planning.run_plan", acks_late=False)
def run_plan_task(plan_id: int) -> str:
    """Run one observation plan (gwemopt); returns its final status."""
    from planning import services

    return services.run_plan(plan_id)


@shared_task(name="planning.fail_stalled_plans")
def fail_stalled_plans_task() -> int:
    """Fail plans a dead worker left running or no worker took (beat; routed to the default
    queue in settings)."""
    from planning import services

    return services.fail_stalled_plans()
