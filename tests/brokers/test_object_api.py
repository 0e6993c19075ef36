"""The object API shows a target, its classifications, candidates and photometry to the
groups that own it, and answers 404 to everyone else."""

import math

import pytest
from rest_framework.test import APIClient

from sources.models import Photometry

NAME = "ZTF26aakkrjv"
KEYS = {
    "mjd", "filter", "instrument", "flux", "fluxerr", "mag", "magerr", "limiting_mag",
    "origin", "alert_id",
}  # fmt: skip


def client_for(user):
    client = APIClient()
    client.force_login(user)
    return client


def test_it_shows_alice_her_groups_object(alice, bob, ingested_ztf):
    response = client_for(alice).get(f"/api/objects/{NAME}/")
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == NAME
    assert body["groups"] == ["GRANDMA-A"]
    assert math.isfinite(body["ra"]) and math.isfinite(body["dec"])
    [label] = body["classifications"]
    assert (label["label"], label["taxonomy"], label["author"]) == (
        "SN candidate", "Fink", "Fink ZTF",
    )  # fmt: skip
    assert 0 <= label["probability"] <= 1
    [candidate] = body["candidates"]
    assert candidate["stream"] == "Fink ZTF"
    assert candidate["filter"] == "fink_sn_candidates_ztf"
    assert candidate["alert_id"] > 0 and candidate["passed_at"]


def test_it_answers_404_to_bob_and_to_strangers(alice, bob, ingested_ztf):
    assert client_for(bob).get(f"/api/objects/{NAME}/").status_code == 404
    assert client_for(bob).get(f"/api/objects/{NAME}/photometry/").status_code == 404
    assert client_for(alice).get("/api/objects/ZTF00nosuchthing/").status_code == 404
    assert APIClient().get(f"/api/objects/{NAME}/").status_code in (401, 403)


def test_it_lists_the_photometry_with_nulls_where_undefined(alice, ingested_ztf):
    response = client_for(alice).get(f"/api/objects/{NAME}/photometry/")
    assert response.status_code == 200
    points = response.json()
    assert len(points) == Photometry.objects.filter(target__name=NAME).count() > 1
    assert all(set(p) == KEYS for p in points)
    assert [p["mjd"] for p in points] == sorted(p["mjd"] for p in points)
    limits = [p for p in points if p["limiting_mag"] is not None]
    detections = [p for p in points if p["flux"] is not None]
    assert limits and detections
    assert all(p["flux"] is None and p["mag"] is None and p["alert_id"] is None for p in limits)
    for point in detections:
        assert point["filter"] in {"ztfg", "ztfr", "ztfi"} and point["instrument"] == "ZTF"
        if point["flux"] > 0:
            assert point["mag"] == pytest.approx(-2.5 * math.log10(point["flux"]) + 23.9)
        else:
            assert point["mag"] is None


def test_it_finds_solar_system_objects_by_designation(alice, ingested_lsst):
    response = client_for(alice).get("/api/objects/2004 JQ12/")
    assert response.status_code == 200
    assert response.json()["classifications"][0]["label"] == "Solar System MPC"
