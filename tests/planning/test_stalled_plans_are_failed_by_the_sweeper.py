"""A plan whose worker died stays "running" and a plan whose queue message was lost stays
"queued": the beat sweeper fails both with the reason and tells the requester; plans within
their time are left alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from icare_tom.celery import app
from notifications.models import Notification
from planning.models import ObservationPlanRequest
from planning.tasks import fail_stalled_plans_task
from tests.planning.conftest import make_plan, plan_body

pytestmark = pytest.mark.django_db


def _plan(alice, event, ztf, status, age):
    plan = make_plan(alice, event, plan_body([ztf.pk]), run=False)
    moment = timezone.now() - age
    ObservationPlanRequest.objects.filter(pk=plan.pk).update(
        status=status, started_at=moment if status == "running" else None
    )
    ObservationPlanRequest.objects.filter(pk=plan.pk).update(created_at=moment)
    return plan


def test_it_fails_plans_left_running_or_queued_and_tells_the_requester(
    alice, lvk_event, ztf, ztf_allocation, settings
):
    settings.PLANNING_MAX_RUNTIME_S = 3600
    settings.PLANNING_MAX_QUEUED_S = 6 * 3600
    dead_worker = _plan(alice, lvk_event, ztf, "running", timedelta(hours=2))
    lost_message = _plan(alice, lvk_event, ztf, "queued", timedelta(hours=7))
    working = _plan(alice, lvk_event, ztf, "running", timedelta(minutes=10))
    waiting = _plan(alice, lvk_event, ztf, "queued", timedelta(hours=1))

    assert fail_stalled_plans_task() == 2

    statuses = dict(ObservationPlanRequest.objects.values_list("pk", "status"))
    assert statuses[dead_worker.pk] == statuses[lost_message.pk] == "failed"
    assert statuses[working.pk] == "running" and statuses[waiting.pk] == "queued"
    dead_worker.refresh_from_db()
    assert dead_worker.error.startswith("the planning worker stopped before finishing")
    assert dead_worker.finished_at is not None
    lost_message.refresh_from_db()
    assert lost_message.error.startswith("no planning worker took the plan within 360 min")
    told = Notification.objects.filter(recipient=alice, kind="plan").values_list("text", flat=True)
    assert sorted(t.split(":")[0] for t in told) == sorted(
        f"Observation plan {p.pk} for {lvk_event.name}" for p in (dead_worker, lost_message)
    )
    assert fail_stalled_plans_task() == 0  # failed plans are not failed (or told) twice


def test_it_runs_on_the_default_queue_from_beat(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["planning-fail-stalled-plans"]
    assert entry["task"] == fail_stalled_plans_task.name
    route = app.amqp.router.route({}, fail_stalled_plans_task.name)
    assert route["queue"].name == "celery"
    assert app.amqp.router.route({}, "planning.run_plan")["queue"].name == "planning"
