"""A group's default plan runs by itself when the LVK notice arrives (matching its notice
type, tags, 90 % area and properties), once per localization; a default that does not
match stays quiet; the retraction cancels the event's plans still queued."""

from __future__ import annotations

import pytest

from gcn import events
from planning.models import DefaultPlanRequest, ObservationPlanRequest, PlanStatus
from tests.planning.conftest import LVK_NOTICE, NIGHT_END, NIGHT_START, need

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager_celery():
    from icare_tom.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


def _default(group, allocation, name, **match):
    default = DefaultPlanRequest.objects.create(
        group=group,
        name=name,
        parameters={
            "start": NIGHT_START.isoformat(),
            "end": NIGHT_END.isoformat(),
            "filters": ["ztfg", "ztfr"],
            "exposure_time": 30,
            "max_fields": 6,
        },
        **match,
    )
    default.allocations.set([allocation])
    return default


def test_it_plans_when_the_notice_arrives_and_cancels_on_retraction(
    group_a, ztf_allocation, django_capture_on_commit_callbacks, eager_celery
):
    wanted = _default(
        group_a,
        ztf_allocation,
        "BNS with a neutron star",
        notice_types=["Preliminary", "Initial"],
        tags=["GW"],
        max_area_90=2000,
        property_filters=[
            {"name": "FAR", "op": "<", "value": 3.17e-8},
            {"name": "HasNS", "op": ">=", "value": 0.5},
        ],
    )
    _default(group_a, ztf_allocation, "only tiny maps", max_area_90=1.0)
    _default(group_a, ztf_allocation, "neutrinos", tags=["Neutrino"])

    raw = need(LVK_NOTICE).read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        result = events.ingest_bytes(raw, origin=LVK_NOTICE)
    event = result.event
    plans = list(ObservationPlanRequest.objects.filter(event=event))
    assert [p.default_id for p in plans] == [wanted.pk]
    plan = plans[0]
    assert plan.status == PlanStatus.COMPLETE, plan.error
    assert plan.planned_observations.exists()
    assert plan.statistics["probability"] > 0.3

    with django_capture_on_commit_callbacks(execute=True):
        events.ingest_bytes(raw.replace(b"MS181101ab", b"MS181101ab"), origin=LVK_NOTICE)
    assert ObservationPlanRequest.objects.filter(event=event).count() == 1  # not twice

    queued = ObservationPlanRequest.objects.create(
        event=event,
        localization=plan.localization,
        group=group_a,
        start=NIGHT_START,
        end=NIGHT_END,
        filters=["ztfg"],
        exposure_times=[30.0],
    )
    retraction = need("lvk/MS181101ab-retraction.json").read_bytes()
    with django_capture_on_commit_callbacks(execute=True):
        events.ingest_bytes(retraction, origin="retraction")
    queued.refresh_from_db()
    plan.refresh_from_db()
    assert queued.status == PlanStatus.CANCELLED
    assert plan.status == PlanStatus.COMPLETE  # finished plans are kept
