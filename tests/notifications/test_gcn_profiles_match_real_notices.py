"""GCN profiles matched on the real LVK, Fermi and Swift notices of the shared data, when
they are stored; malformed profiles answer 400 naming the field."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from gcn import services as gcn_services
from gcn.models import GcnEvent
from notifications.models import Notification

FILES = {
    "lvk": "lvk/MS181101ab-preliminary.json",
    "fermi": "gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml",
    "swift": "gcn/voevent/SWIFT_1125809-092.xml",
}
PROFILES = {
    "nearby BNS": {
        "tags": ["GW", "BNS"],
        "max_area_90": 2000,
        "properties": [
            {"name": "FAR", "op": "<", "value": 1e-10},
            {"name": "HasNS", "op": ">=", "value": 0.5},
            {"name": "distance", "op": "<=", "value": 100},
        ],
    },
    "very near GW": {"tags": ["GW"], "properties": [{"name": "distmean", "op": "<", "value": 10}]},
    "GBM ground": {"notice_types": ["GBM_Gnd_Pos"]},
    "Swift GRB": {"tags": ["Swift", "GRB"]},
    "Swift again": {"tags": ["Swift"]},  # one notice per event and user, not per profile
}


@pytest.fixture
def profiled(alice, shared_data):
    api = APIClient()
    api.force_login(alice)
    for name, doc in PROFILES.items():
        response = api.post("/api/me/gcn_profiles", {"name": name, **doc}, format="json")
        assert response.status_code == 201, response.content
    return api


def _ingest(shared_data, key, capture):
    with capture(execute=True):
        result = gcn_services.ingest_bytes(
            (shared_data / FILES[key]).read_bytes(), origin=FILES[key], filename_hint=FILES[key]
        )
    return result


def test_it_tells_each_matching_profile_once_per_notice(
    alice, bob, profiled, shared_data, django_capture_on_commit_callbacks
):
    api = APIClient()
    api.force_login(bob)
    api.post("/api/me/gcn_profiles", {"name": "small error box", "max_area_90": 1}, format="json")
    for key in FILES:
        _ingest(shared_data, key, django_capture_on_commit_callbacks)
    notes = {
        text.split(" matches your GCN profile ")[1].strip('"'): (text, url)
        for text, url in Notification.objects.filter(recipient=alice, kind="gcn_event").values_list(
            "text", "url"
        )
    }
    lvk = GcnEvent.objects.with_alias("MS181101ab").get()
    assert lvk.properties["area_90"] < 2000
    assert set(notes) == {"nearby BNS", "GBM ground", "Swift GRB"}
    assert notes["nearby BNS"] == (
        'GCN MS181101ab (LVK Preliminary) matches your GCN profile "nearby BNS"',
        f"/gcn/events/{lvk.pk}/",
    )
    assert "bn180116026" in notes["GBM ground"][0]
    assert "Swift" in notes["Swift GRB"][0]
    # Only the Swift BAT position (3' error) is inside 1 deg²: Fermi's 11° circle and the LVK
    # map (31 deg²) are not.
    (bobs,) = Notification.objects.filter(recipient=bob).values_list("text", flat=True)
    assert bobs.startswith("GCN Swift#1125809 (Swift BAT_GRB_Pos)")
    # The same notice again is a duplicate: nobody is told twice.
    assert _ingest(shared_data, "lvk", django_capture_on_commit_callbacks).status == "duplicate"
    assert Notification.objects.filter(recipient=alice, kind="gcn_event").count() == 3


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"properties": [{"name": "Mass", "op": "<", "value": 1}]}, "properties[0].name"),
        ({"properties": [{"name": "FAR", "op": "~", "value": 1}]}, "properties[0].op"),
        ({"properties": [{"name": "FAR", "op": "<", "value": "low"}]}, "properties[0].value"),
        ({"properties": [{"name": "FAR", "op": "<"}]}, "properties[0]"),
        ({"properties": "FAR<1"}, "properties"),
        ({"max_area_90": -5}, "max_area_90"),
        ({"tags": "GW"}, "tags"),
        ({"notice_types": [""]}, "notice_types"),
        ({"colour": "red"}, "colour"),
        ({"name": ""}, "name"),
    ],
)
def test_it_answers_400_naming_the_field_of_a_malformed_profile(alice, doc, field):
    api = APIClient()
    api.force_login(alice)
    response = api.post("/api/me/gcn_profiles", {"name": "p", **doc}, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_it_keeps_profiles_private(alice, bob):
    api = APIClient()
    api.force_login(alice)
    profile = api.post("/api/me/gcn_profiles", {"name": "mine"}, format="json").json()
    other = APIClient()
    other.force_login(bob)
    assert other.get(f"/api/me/gcn_profiles/{profile['id']}").status_code == 404
    assert other.delete(f"/api/me/gcn_profiles/{profile['id']}").status_code == 404
    assert other.get("/api/me/gcn_profiles").json() == {"results": []}
    assert api.delete(f"/api/me/gcn_profiles/{profile['id']}").status_code == 204
