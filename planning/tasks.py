"""Celery tasks of the planning app, run by the planning worker (queue ``planning``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="planning.run_plan", acks_late=False)
def run_plan_task(plan_id: int) -> str:
    """Run one observation plan (gwemopt); returns its final status."""
    from planning import services

    return services.run_plan(plan_id)
