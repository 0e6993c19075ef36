"""Plans that cannot be made end ``failed`` with a reason a person can act on, write no
observation, and leave other plans alone; a cancelled plan writes nothing either."""

from __future__ import annotations

import pytest

from facilities.models import Instrument
from gcn.models import Localization
from planning import services
from planning.models import PlannedObservation, PlanStatus
from tests.planning.conftest import allocate, make_plan, plan_body

pytestmark = pytest.mark.django_db


def _failed(plan, reason: str) -> None:
    assert plan.status == PlanStatus.FAILED
    assert reason in plan.error
    assert not PlannedObservation.objects.filter(plan=plan).exists()


def test_it_fails_impossible_plans_with_their_reason(
    alice, group_a, lvk_event, ztf, ztf_allocation
):
    _failed(make_plan(alice, lvk_event, plan_body([ztf.pk], probability=1.5)), "probability")
    _failed(make_plan(alice, lvk_event, plan_body([ztf.pk], probability=0)), "probability")
    daytime = plan_body(
        [ztf.pk], start="2019-04-08T16:00:00Z", end="2019-04-08T22:00:00Z", max_fields=3
    )
    _failed(make_plan(alice, lvk_event, daytime), "no night at the site")

    pinhole = Instrument.objects.create(
        telescope=ztf.telescope, name="pinhole camera", filters=["ztfg", "ztfr"],
        footprint={"type": "circle", "radius": 0.01},
    )  # fmt: skip
    allocate(group_a, pinhole)
    _failed(make_plan(alice, lvk_event, plan_body([pinhole.pk])), "too small to grid the sky")

    loc = lvk_event.current_localization()
    pending = Localization.objects.create(
        event=lvk_event, notice=loc.notice, name="later", kind="MapURL",
        status=Localization.Status.PENDING, url="https://example.org/map.fits",
    )  # fmt: skip
    body = plan_body([ztf.pk], localization_id=pending.pk)
    _failed(make_plan(alice, lvk_event, body), "still being processed")

    ok = make_plan(alice, lvk_event, plan_body([ztf.pk], max_fields=2))
    assert ok.status == PlanStatus.COMPLETE, ok.error

    lvk_event.retracted = True
    lvk_event.save()
    _failed(make_plan(alice, lvk_event, plan_body([ztf.pk])), "retracted")


def test_it_writes_nothing_for_a_cancelled_plan(alice, lvk_event, ztf, ztf_allocation):
    plan = make_plan(alice, lvk_event, plan_body([ztf.pk]), run=False)
    assert services.cancel_plan(plan)
    assert services.run_plan(plan.pk) == PlanStatus.CANCELLED
    assert not PlannedObservation.objects.filter(plan=plan).exists()
    assert not services.cancel_plan(plan)  # already final

    running = make_plan(alice, lvk_event, plan_body([ztf.pk]), run=False)
    running.status = PlanStatus.RUNNING
    running.save()
    services.cancel_plan(running)
    with pytest.raises(services.engine.Cancelled):
        services._stage(running.pk, "tiles weighted")
