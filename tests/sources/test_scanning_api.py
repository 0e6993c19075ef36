"""GET /api/candidates, POST /api/sources and DELETE /api/sources/<name>, as documented."""

import pytest
from rest_framework.test import APIClient

from sources.models import SavedSource
from tests.sources.conftest import add_photometry, make_candidate, make_target

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_login(alice)
    return client


def test_it_lists_my_candidates_with_light_curves_and_pages_by_cursor(
    api, group_a, group_b, filter_a, filter_b
):
    for i in range(3):
        target = make_target(f"ZTF{i}", [group_a])
        add_photometry(target)
        make_candidate(target, filter_a, hours_ago=i + 1, annotations={"rf_snia_vs_nonia": 0.7})
    make_candidate(make_target("ZTFbob", [group_b]), filter_b)
    first = api.get("/api/candidates", {"page_size": 2}).json()
    assert [r["name"] for r in first["results"]] == ["ZTF0", "ZTF1"]
    card = first["results"][0]
    assert len(card["photometry"]) == 4 and card["photometry"][0]["limiting_mag"] == 20.1
    assert card["ra_hms"] == "10:00:00.00" and card["dec_dms"] == "+02:12:00.0"
    assert card["links"]["Fink"] == "https://fink-portal.org/ZTF0"
    second = api.get(first["next"]).json()
    assert [r["name"] for r in second["results"]] == ["ZTF2"]
    assert second["next"] is None


def test_it_applies_the_page_filters(api, group_a, filter_a):
    for name, score in [("ZTFlow", 0.1), ("ZTFhigh", 0.9)]:
        make_candidate(make_target(name, [group_a]), filter_a, annotations={"snn": score})
    response = api.get("/api/candidates", {"ann": "snn", "ann_min": 0.5})
    assert [r["name"] for r in response.json()["results"]] == ["ZTFhigh"]


def test_it_answers_400_with_the_reason_for_bad_filters(api, group_b):
    assert api.get("/api/candidates", {"window": "yesterday"}).status_code == 400
    response = api.get("/api/candidates", {"group": group_b.id})
    assert response.status_code == 400 and "not a group of yours" in str(response.json())


def test_it_saves_and_unsaves_keeping_history(api, alice, group_a, filter_a):
    target = make_target("ZTFone", [group_a])
    make_candidate(target, filter_a)
    response = api.post("/api/sources", {"name": "ZTFone", "group_ids": [group_a.id]})
    assert response.status_code == 201
    assert response.json()["saved_group_ids"] == [group_a.id]
    response = api.delete(f"/api/sources/ZTFone?group_ids={group_a.id}")
    assert response.status_code == 200 and response.json()["unsaved"] == 1
    assert SavedSource.objects.get(target=target).unsaved_by == alice


def test_it_refuses_other_groups_and_other_groups_targets(api, group_a, group_b):
    make_target("ZTFmine", [group_a])
    make_target("ZTFbobs", [group_b])
    assert api.post("/api/sources", {"name": "ZTFbobs"}).status_code == 404
    assert api.delete("/api/sources/ZTFbobs").status_code == 404
    forbidden = api.post("/api/sources", {"name": "ZTFmine", "group_ids": [group_b.id]})
    assert forbidden.status_code == 403
    assert not SavedSource.objects.exists()


def test_it_needs_a_login():
    assert APIClient().get("/api/candidates").status_code in (401, 403)


def test_it_documents_the_endpoints_in_the_openapi_schema(api):
    schema = api.get("/api/schema/", {"format": "json"}).json()
    assert "get" in schema["paths"]["/api/candidates"]
    assert "post" in schema["paths"]["/api/sources"]
    assert "delete" in schema["paths"]["/api/sources/{name}"]
    parameters = {p["name"] for p in schema["paths"]["/api/candidates"]["get"]["parameters"]}
    assert {"group", "window", "saved", "ann", "ann_min", "sort", "cursor"} <= parameters
