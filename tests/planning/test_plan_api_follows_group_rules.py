"""The plan API: alice (group A, allocation on ZTF) requests a plan (202), reads it with its
statistics and observations; bob (group B) gets 404 for it and 400 for an instrument his
groups hold no allocation on; victor (View only in A) may read but not request; bad input
is a 400 with the reason, never a 500."""

from __future__ import annotations

import pytest

from planning import services
from planning.models import ObservationPlanRequest, PlanStatus
from tests.planning.conftest import logged_in, plan_body

pytestmark = pytest.mark.django_db


def test_it_requests_reads_and_hides_plans_by_group(
    alice, bob, victor, lvk_event, ztf, ztf_allocation
):
    url = f"/api/gcn_events/{lvk_event.name}/observation_plans"
    response = logged_in(alice).post(url, plan_body([ztf.pk]), format="json")
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    plan_id = response.json()["id"]
    assert services.run_plan(plan_id) == PlanStatus.COMPLETE

    data = logged_in(alice).get(f"/api/observation_plans/{plan_id}").json()
    assert data["status"] == "complete" and data["progress"] == 100
    stats = data["statistics"]
    assert {"probability", "area", "n_observations", "total_time"} <= set(stats)
    assert 0 < stats["probability"] <= 1 and stats["area"] > 0
    first = data["planned_observations"][0]
    assert {"field_id", "ra", "dec", "filter", "obstime", "exposure_time", "airmass"} <= set(first)
    assert first["obstime"].endswith("Z")
    assert "We plan to observe" in data["circular"]

    assert logged_in(victor).get(f"/api/observation_plans/{plan_id}").status_code == 200
    assert logged_in(bob).get(f"/api/observation_plans/{plan_id}").status_code == 404
    assert logged_in(bob).get(url).json() == []
    assert logged_in(bob).post(f"/api/observation_plans/{plan_id}/cancel").status_code == 404
    for kind in ("json", "csv", "queue"):
        assert logged_in(bob).get(f"/plans/{plan_id}/download/{kind}/").status_code in (302, 404)

    refused = logged_in(bob).post(url, plan_body([ztf.pk]), format="json")
    assert refused.status_code == 400 and "instrument_ids" in refused.json()
    assert logged_in(victor).post(url, plan_body([ztf.pk]), format="json").status_code == 403
    assert ObservationPlanRequest.objects.count() == 1


@pytest.mark.parametrize(
    "change",
    [
        {"instrument_ids": "ZTF"},
        {"instrument_ids": [10**30]},
        {"filters": ["not-a-band" * 10]},
        {"exposure_time": -3},
        {"exposure_time": "nan"},
        {"start": "yesterday"},
        {"end": "2019-04-07T00:00:00Z"},
        {"schedule_type": "random"},
        {"max_fields": 0},
        {"localization_id": "x" * 100},
        {"probability": "high"},
    ],
)
def test_it_answers_400_to_bad_requests(alice, lvk_event, ztf, ztf_allocation, change):
    url = f"/api/gcn_events/{lvk_event.pk}/observation_plans"
    response = logged_in(alice).post(url, {**plan_body([ztf.pk]), **change}, format="json")
    assert response.status_code == 400, response.content
    assert ObservationPlanRequest.objects.count() == 0


def test_it_answers_404_for_unknown_plans_and_events(alice, lvk_event):
    for path in (
        "/api/observation_plans/999999",
        "/api/observation_plans/abc",
        "/api/observation_plans/" + "9" * 40,
        "/api/gcn_events/nope/observation_plans",
    ):
        assert logged_in(alice).get(path).status_code == 404, path


def test_it_lists_the_endpoints_in_the_openapi_schema(alice):
    schema = logged_in(alice).get("/api/schema/", HTTP_ACCEPT="application/json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/gcn_events/{key}/observation_plans" in paths
    assert "post" in paths["/api/gcn_events/{key}/observation_plans"]
    assert "/api/observation_plans/{plan_id}" in paths
    assert "/api/observations" in paths
