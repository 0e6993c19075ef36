"""The robot posts photometry and a spectrum for a request: stored on the request's target with
origin followup, the allocation's instrument and group; another allocation's token is refused."""

from __future__ import annotations

from django.test import Client

from facilities import services
from sources.models import Photometry, Spectrum
from tests.facilities.conftest import api, robot, valid_parameters


def test_it_stores_the_robots_data_for_the_allocations_group(
    alice, target_a, allocation_a, allocation_b, bob
):
    followup = services.submit_request(alice, target_a, allocation_a.pk, valid_parameters())
    allocation_a.admins.add(alice)
    allocation_b.admins.add(bob)
    token = services.create_robot_token(alice, allocation_a)
    other = services.create_robot_token(bob, allocation_b)
    bot = Client()
    url = f"/api/facility_queue/requests/{followup.pk}"
    points = {"points": [{"mjd": 61030.2, "filter": "sdssr", "mag": 17.9, "magerr": 0.03}]}
    assert api(bot, "post", url + "/photometry", points, **robot(other)).status_code == 403
    response = api(bot, "post", url + "/photometry", points, **robot(token))
    assert response.status_code == 201 and response.json() == {"ingested": 1}
    point = Photometry.objects.get(target=target_a, origin="followup")
    assert point.instrument == "TAROT-Calern" and point.band == "sdssr"

    bad = api(
        bot,
        "post",
        url + "/photometry",
        {"points": [{"mjd": 61030.2, "filter": "ztfg"}]},
        **robot(token),
    )
    assert bad.status_code == 400 and "point 1" in bad.json()["detail"]

    spectrum = {
        "observed_at": "2026-12-01T22:00:00Z",
        "wavelengths": [4000, 4001, 4002],
        "fluxes": [1.0, 1.1, 1.2],
    }
    assert api(bot, "post", url + "/spectra", spectrum, **robot(other)).status_code == 403
    response = api(bot, "post", url + "/spectra", spectrum, **robot(token))
    assert response.status_code == 201, response.content
    stored = Spectrum.objects.get(pk=response.json()["id"])
    assert stored.origin == "followup" and stored.instrument == "TAROT-Calern"
    assert list(stored.groups.all()) == [allocation_a.group]
    actions = list(followup.exchanges.values_list("action", flat=True))
    assert actions[-2:] == ["photometry", "spectrum"]
