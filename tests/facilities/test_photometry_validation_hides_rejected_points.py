"""Holders of Manage sources mark points validated or rejected with a reason; rejected points
are kept, hidden from the plot and the API by default, shown on request."""

from __future__ import annotations

from django.test import Client

from accounts import acl
from sources.models import Photometry, PhotometryValidation
from tests.facilities.conftest import api
from tests.people import make_user


def _upload(client, target):
    points = [
        {"mjd": 61020.0 + i / 10, "filter": "sdssr", "mag": 18 + i / 10, "magerr": 0.05}
        for i in range(3)
    ]
    assert (
        api(
            client,
            "post",
            "/api/photometry",
            {"target": target.name, "instrument": "TRT-GAO-CCD", "points": points},
        ).status_code
        == 201
    )


def test_a_rejected_point_is_hidden_unless_asked_for(alice, group_a, target_a):
    carol = make_user("carol", acl.GROUP_ADMIN, group_a, admin_of=(group_a,))
    client = Client()
    client.force_login(alice)
    _upload(client, target_a)
    key = (
        Photometry.objects.filter(target=target_a, mjd=61020.1)
        .values_list("measurement_key", flat=True)
        .get()
    )

    # alice (Full user) may not validate
    denied = api(
        client,
        "post",
        "/api/photometry/validation",
        {
            "target": target_a.name,
            "measurement_keys": [key],
            "status": "rejected",
            "reason": "cosmic ray",
        },
    )
    assert denied.status_code == 403

    manager = Client()
    manager.force_login(carol)
    no_reason = api(
        manager,
        "post",
        "/api/photometry/validation",
        {"target": target_a.name, "measurement_keys": [key], "status": "rejected"},
    )
    assert no_reason.status_code == 400 and "reason" in no_reason.json()["detail"]
    done = api(
        manager,
        "post",
        "/api/photometry/validation",
        {
            "target": target_a.name,
            "measurement_keys": [key],
            "status": "rejected",
            "reason": "cosmic ray",
        },
    )
    assert done.status_code == 200 and done.json() == {"marked": 1}
    assert Photometry.objects.filter(target=target_a, measurement_key=key).exists()  # kept

    mjds = [p["mjd"] for p in client.get(f"/api/objects/{target_a.name}/photometry/").json()]
    assert 61020.1 not in mjds and 61020.0 in mjds
    shown = client.get(f"/api/objects/{target_a.name}/photometry/?rejected=1").json()
    assert 61020.1 in [p["mjd"] for p in shown]
    page = client.get(f"/sources/{target_a.name}/").content.decode()
    plot = page.split('id="photometry-data"')[1].split("</script>")[0]
    assert "61020.1" not in plot and "1 rejected point hidden" in page
    plot = client.get(f"/sources/{target_a.name}/?rejected=1").content.decode()
    assert "61020.1" in plot.split('id="photometry-data"')[1].split("</script>")[0]

    # the page form validates, and clearing removes the mark
    response = manager.post(
        f"/sources/{target_a.name}/photometry/validate/", {"key": [key], "status": "clear"}
    )
    assert response.status_code == 302
    assert not PhotometryValidation.objects.exists()


def test_it_refuses_unknown_points_and_other_groups(bob, group_a, target_a):
    carol = make_user("carol", acl.GROUP_ADMIN, group_a, admin_of=(group_a,))
    manager = Client()
    manager.force_login(carol)
    response = api(
        manager,
        "post",
        "/api/photometry/validation",
        {"target": target_a.name, "measurement_keys": [12345], "status": "validated"},
    )
    assert response.status_code == 400 and "12345" in response.json()["detail"]
    outsider = Client()
    outsider.force_login(bob)
    response = api(
        outsider,
        "post",
        "/api/photometry/validation",
        {"target": target_a.name, "measurement_keys": [1], "status": "validated"},
    )
    assert response.status_code == 404
