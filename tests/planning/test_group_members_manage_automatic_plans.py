"""Automatic plans are managed by the people of a group, from the API and a page: mona
(Manage observation plans in A) creates, pauses and deletes them; bad bodies get 400 naming
the field; alice (A, without the ACL) may read but not change; bob (B) sees none. A default
made this way plans the real LVK notice when it arrives."""

from __future__ import annotations

import pytest
from django.test import Client

from planning import signals
from planning.models import DefaultPlanRequest, ObservationPlanRequest
from tests.planning.conftest import NIGHT_END, NIGHT_START, allocate, logged_in

pytestmark = pytest.mark.django_db


def _body(group, allocation, **overrides):
    return {
        "name": "BNS with a neutron star",
        "group_id": group.pk,
        "allocation_ids": [allocation.pk],
        "notice_types": ["Preliminary", "Initial"],
        "tags": ["GW"],
        "max_area_90": 2000,
        "property_filters": [{"name": "FAR", "op": "<", "value": 3.17e-8}],
        "parameters": {
            "start": NIGHT_START.isoformat(),
            "end": NIGHT_END.isoformat(),
            "filters": ["ztfg", "ztfr"],
            "exposure_time": 30,
            "max_fields": 6,
        },
        **overrides,
    }


def test_it_lets_plan_managers_create_and_others_only_read(
    mona, alice, bob, group_a, group_b, ztf, ztf_allocation, lvk_event
):
    manager, reader, outsider = logged_in(mona), logged_in(alice), logged_in(bob)
    body = _body(group_a, ztf_allocation)
    created = manager.post("/api/default_plans", body, format="json")
    assert created.status_code == 201, created.content
    default_id = created.json()["id"]
    assert created.json()["created_by"] == "mona"

    url = f"/api/default_plans/{default_id}"
    assert [d["id"] for d in reader.get("/api/default_plans").json()] == [default_id]
    assert reader.patch(url, {"active": False}, format="json").status_code == 403
    assert reader.post("/api/default_plans", body, format="json").status_code == 403
    assert outsider.get("/api/default_plans").json() == []
    assert outsider.get(url).status_code == 404
    assert outsider.delete(url).status_code == 404

    paused = manager.patch(url, {"active": False}, format="json")
    assert paused.status_code == 200 and paused.json()["active"] is False
    loc = lvk_event.current_localization()
    assert signals.run_defaults(loc.pk) == []  # paused: nothing planned
    manager.patch(url, {"active": True}, format="json")
    (plan_id,) = signals.run_defaults(loc.pk)
    plan = ObservationPlanRequest.objects.get(pk=plan_id)
    assert plan.default_id == default_id and plan.group_id == group_a.pk

    assert manager.delete(url).status_code == 204
    assert not DefaultPlanRequest.objects.exists()


def test_it_refuses_bad_bodies_naming_the_field(mona, group_a, group_b, ztf, ztf_allocation):
    other = allocate(group_b, ztf)
    client = logged_in(mona)
    cases = {
        "allocation_ids": _body(group_a, other),
        "group_id": _body(group_b, other),
        "parameters": _body(group_a, ztf_allocation, parameters={"filters": ["bessellb"]}),
        "property_filters": _body(
            group_a, ztf_allocation, property_filters=[{"name": "FAR", "op": "~", "value": 1}]
        ),
        "max_area_90": _body(group_a, ztf_allocation, max_area_90=-5),
        "name": _body(group_a, ztf_allocation, name=""),
    }
    for field, body in cases.items():
        response = client.post("/api/default_plans", body, format="json")
        assert response.status_code == 400, (field, response.content)
        assert field in response.json(), (field, response.json())
    unknown = _body(group_a, ztf_allocation, parameters={"localization_id": 1})
    answer = client.post("/api/default_plans", unknown, format="json").json()
    assert "unknown: localization_id" in str(answer["parameters"])
    assert not DefaultPlanRequest.objects.exists()


def test_it_is_managed_from_its_page(mona, alice, group_a, ztf, ztf_allocation):
    client = Client()
    client.force_login(mona)
    page = client.get("/plans/defaults/")
    assert page.status_code == 200 and 'id="default-plan-form"' in page.content.decode()
    bad = client.post("/plans/defaults/", {"name": "x", "group_id": group_a.pk})
    assert bad.status_code == 400 and "allocation_ids" in bad.content.decode()
    saved = client.post(
        "/plans/defaults/",
        {
            "name": "Any GW",
            "group_id": group_a.pk,
            "allocation_ids": [ztf_allocation.pk],
            "tags": "GW",
            "property_filters": "FAR < 3.17e-8\nHasNS >= 0.5",
            "filters": "ztfg, ztfr",
            "exposure_time": "30",
            "duration_hours": "12",
            "send_to_queue": "on",
        },
    )
    assert saved.status_code == 302
    default = DefaultPlanRequest.objects.get(name="Any GW")
    assert default.property_filters == [
        {"name": "FAR", "op": "<", "value": 3.17e-8},
        {"name": "HasNS", "op": ">=", "value": 0.5},
    ]
    assert default.parameters == {
        "filters": ["ztfg", "ztfr"],
        "exposure_time": 30.0,
        "duration_hours": 12.0,
    }
    assert default.send_to_queue and default.created_by == mona

    reader = Client()
    reader.force_login(alice)
    listing = reader.get("/plans/defaults/").content.decode()
    assert "Any GW" in listing and 'id="default-plan-form"' not in listing
    assert reader.post(f"/plans/defaults/{default.pk}/pause/").status_code == 403

    client.post(f"/plans/defaults/{default.pk}/pause/")
    default.refresh_from_db()
    assert default.active is False
    client.post(f"/plans/defaults/{default.pk}/delete/")
    assert not DefaultPlanRequest.objects.exists()
