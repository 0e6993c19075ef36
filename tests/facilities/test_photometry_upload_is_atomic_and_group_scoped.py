"""POST /api/photometry and the source page's CSV upload: points in flux, mag or limit form,
stored for the chosen groups only, atomically (one bad row stores nothing, 400 names it)."""

from __future__ import annotations

import io

import pytest
from django.test import Client

from accounts import services
from sources.models import Photometry
from tests.facilities.conftest import api


@pytest.fixture
def shared_target(target_a, group_b):
    services.assign_target_to_groups(target_a, [group_b])
    return target_a


POINTS = [
    {"mjd": 61010.1, "filter": "sdssr", "flux": 120.0, "fluxerr": 4.0},
    {"mjd": 61010.2, "filter": "sdssg", "mag": 18.4, "magerr": 0.05},
    {"mjd": 61010.3, "filter": "sdssi", "limiting_mag": 20.5},
    {"mjd": 61010.4, "filter": "sdssr", "flux": -3.0, "fluxerr": 4.0},
]


def test_it_stores_points_for_the_uploaders_groups_only(alice, bob, shared_target, group_a):
    client = Client()
    client.force_login(alice)
    response = api(
        client,
        "post",
        "/api/photometry",
        {
            "target": shared_target.name,
            "group_ids": [group_a.pk],
            "instrument": "TAROT-Calern",
            "points": POINTS,
        },
    )
    assert response.status_code == 201, response.content
    assert response.json() == {"ingested": 4}
    stored = Photometry.objects.filter(target=shared_target, origin="upload")
    assert stored.count() == 4 and set(stored.values_list("owner", flat=True)) == {alice.pk}
    by_band = {p.band: p for p in stored if p.flux is None or p.flux > 0}
    assert by_band["sdssr"].mag == pytest.approx(-2.5 * __import__("math").log10(120) + 23.9)
    assert by_band["sdssg"].flux == pytest.approx(10 ** (-0.4 * (18.4 - 23.9)))
    assert stored.get(band="sdssi").limiting_mag == 20.5
    assert stored.get(mjd=61010.4).mag is None  # negative flux kept, no magnitude

    mine = client.get(f"/api/objects/{shared_target.name}/photometry/").json()
    assert sum(p["origin"] == "upload" for p in mine) == 4
    bob_client = Client()
    bob_client.force_login(bob)
    theirs = bob_client.get(f"/api/objects/{shared_target.name}/photometry/").json()
    assert all(p["origin"] != "upload" for p in theirs)
    assert "61010.1" not in bob_client.get(f"/sources/{shared_target.name}/").content.decode()

    # the same upload again replaces, it does not duplicate
    again = api(
        client,
        "post",
        "/api/photometry",
        {
            "target": shared_target.name,
            "group_ids": [group_a.pk],
            "instrument": "TAROT-Calern",
            "points": POINTS,
        },
    )
    assert again.status_code == 201
    assert Photometry.objects.filter(target=shared_target, origin="upload").count() == 4


def test_it_refuses_a_bad_point_and_stores_nothing(alice, target_a):
    client = Client()
    client.force_login(alice)
    bad = [
        *POINTS[:2],
        {"mjd": 61010.5, "filter": "Johnson-V", "mag": 18, "magerr": 0.1},
        {"mjd": "soon", "filter": "sdssr", "flux": 1, "fluxerr": 1},
    ]
    response = api(
        client,
        "post",
        "/api/photometry",
        {"target": target_a.name, "instrument": "KAIT-CCD", "points": bad},
    )
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert "point 3" in detail and "Johnson-V" in detail and "point 4" in detail
    assert not Photometry.objects.filter(target=target_a, origin="upload").exists()


@pytest.mark.parametrize(
    "body, status",
    [
        ({"target": "nope", "instrument": "x", "points": POINTS}, 404),
        ({"instrument": "x", "points": POINTS}, 400),
        ({"target": "ZTF21abbzjeq", "instrument": "", "points": POINTS}, 400),
        ({"target": "ZTF21abbzjeq", "instrument": "x", "points": []}, 400),
        ({"target": "ZTF21abbzjeq", "instrument": "x", "points": "many"}, 400),
        ({"target": "ZTF21abbzjeq", "instrument": "x", "points": POINTS, "group_ids": ["a"]}, 400),
    ],
)
def test_it_answers_malformed_uploads(alice, target_a, body, status):
    client = Client()
    client.force_login(alice)
    assert api(client, "post", "/api/photometry", body).status_code == status


def test_it_refuses_other_groups_and_view_only_members(alice, victor, target_a, group_b):
    client = Client()
    client.force_login(alice)
    response = api(
        client,
        "post",
        "/api/photometry",
        {"target": target_a.name, "group_ids": [group_b.pk], "instrument": "x", "points": POINTS},
    )
    assert response.status_code == 403
    viewer = Client()
    viewer.force_login(victor)
    response = api(
        viewer,
        "post",
        "/api/photometry",
        {"target": target_a.name, "instrument": "x", "points": POINTS},
    )
    assert response.status_code == 403 and "Upload data" in response.json()["detail"]


def test_the_source_page_takes_a_csv_and_names_bad_rows(alice, target_a):
    client = Client()
    client.force_login(alice)
    good = "mjd,filter,mag,magerr\n61011.0,sdssr,18.1,0.04\n61011.1,sdssg,18.3,0.05\n"
    response = client.post(
        f"/sources/{target_a.name}/photometry/upload/",
        {"file": io.BytesIO(good.encode()), "instrument": "OHP-T120"},
    )
    assert response.status_code == 302
    assert Photometry.objects.filter(target=target_a, instrument="OHP-T120").count() == 2
    bad = "mjd,filter,mag,magerr\n61012.0,sdssr,18.1,0.04\n61012.1,sdssr,x,0.05\n"
    response = client.post(
        f"/sources/{target_a.name}/photometry/upload/",
        {"file": io.BytesIO(bad.encode()), "instrument": "OHP-T120"},
        follow=True,
    )
    assert "point 2" in response.content.decode()
    assert Photometry.objects.filter(target=target_a, instrument="OHP-T120").count() == 2
    page = client.get(f"/sources/{target_a.name}/").content.decode()
    assert "61011.00000" in page and "OHP-T120" in page
