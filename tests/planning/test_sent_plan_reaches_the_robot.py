"""A complete plan sent to the telescope queue: the allocation's robot sees one request per
planned exposure at the field's centre, accepts and completes one (which becomes an
executed observation covering part of the map), and the rest is taken back from the queue.
Sending needs "Manage observation plans"; another group's plan is 404."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from facilities import services as followup
from planning.models import ExecutedObservation, PlanStatus
from tests.planning.conftest import logged_in, make_plan, plan_body

pytestmark = pytest.mark.django_db


def future_night() -> tuple[datetime, datetime]:
    """The night of 8 April next year at Palomar (the map's region is up; the queue only
    takes windows that have not ended)."""
    year = timezone.now().year + 1
    return datetime(year, 4, 8, 3, 0, tzinfo=UTC), datetime(year, 4, 8, 13, 0, tzinfo=UTC)


def test_it_puts_the_plan_in_the_queue_the_robot_reads(
    mona, bob, victor, lvk_event, ztf, ztf_allocation
):
    start, end = future_night()
    body = plan_body([ztf.pk], start=start.isoformat(), end=end.isoformat(), max_fields=4)
    plan = make_plan(mona, lvk_event, body)
    assert plan.status == PlanStatus.COMPLETE, plan.error
    planned = list(plan.planned_observations.select_related("field").order_by("order"))
    assert planned

    assert logged_in(bob).post(f"/api/observation_plans/{plan.pk}/queue/send").status_code == 404
    assert logged_in(victor).post(f"/api/observation_plans/{plan.pk}/queue/send").status_code == 403
    sent = logged_in(mona).post(f"/api/observation_plans/{plan.pk}/queue/send")
    assert sent.status_code == 200, sent.content
    assert sent.json()["sent"] == len(planned)

    ztf_allocation.admins.add(mona)
    token = followup.create_robot_token(mona, ztf_allocation)
    robot = APIClient()
    robot.credentials(HTTP_AUTHORIZATION=f"Robot {token}")
    queue = robot.get(f"/api/facility_queue/{ztf_allocation.pk}/requests?status=pending")
    assert queue.status_code == 200, queue.content
    items = queue.json()
    assert len(items) == len(planned)
    by_target = {item["target"]: item for item in items}
    for obs in planned:
        item = by_target[f"{lvk_event.name}-ZTF-F{obs.field.field_id}"]
        assert item["ra"] == pytest.approx(obs.ra) and item["dec"] == pytest.approx(obs.dec)
    first = next(i for i in items if i["parameters"]["start"].startswith(
        planned[0].obstime.strftime("%Y-%m-%dT%H:%M")))  # fmt: skip
    assert first["parameters"]["filters"] == [planned[0].filter]

    for status in ("accepted", "completed"):
        done = robot.patch(
            f"/api/facility_queue/requests/{first['id']}", {"status": status}, format="json"
        )
        assert done.status_code == 200, done.content
    rows = logged_in(mona).get(f"/api/observation_plans/{plan.pk}").json()["planned_observations"]
    assert sorted(r["queue_status"] for r in rows)[0] == "completed"
    assert ExecutedObservation.objects.filter(group=plan.group).count() == 1
    covered = logged_in(mona).get(f"/api/gcn_events/{lvk_event.name}/coverage").json()
    assert covered["n_observations"] == 1 and 0 < covered["probability"] < 1
    assert (
        logged_in(bob).get(f"/api/gcn_events/{lvk_event.name}/coverage").json()["n_observations"]
        == 0
    )

    taken = logged_in(mona).post(f"/api/observation_plans/{plan.pk}/queue/withdraw")
    assert taken.status_code == 200 and taken.json()["withdrawn"] == len(planned) - 1
    after = robot.get(f"/api/facility_queue/{ztf_allocation.pk}/requests?status=pending")
    assert after.json() == []
