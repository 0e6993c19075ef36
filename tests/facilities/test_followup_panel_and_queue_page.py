"""The source page's Follow-up panel requests with the allocation's filters; /followup/ lists
my groups' requests with filters, sorting and CSV; other groups' requests are 404."""

from __future__ import annotations

from django.test import Client

from facilities.models import FollowupRequest
from tests.facilities.conftest import make_allocation


def test_alice_requests_from_the_source_page_and_sees_the_queue(alice, bob, target_a, allocation_a):
    client = Client()
    client.force_login(alice)
    page = client.get(f"/sources/{target_a.name}/").content.decode()
    assert 'id="followup-form"' in page and 'data-filters="sdssg sdssr sdssi"' in page
    response = client.post(
        f"/followup/sources/{target_a.name}/request/",
        {
            "allocation": allocation_a.pk,
            "filters": ["sdssr", "sdssg"],
            "exposure_time": "90",
            "exposure_count": "2",
            "priority": "1",
            "comment": "GRANDMA follow-up",
            "next": f"/sources/{target_a.name}/",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"/sources/{target_a.name}/"
    followup = FollowupRequest.objects.get()
    assert followup.parameters["filters"] == ["sdssr", "sdssg"] and followup.priority == 1
    assert followup.record.facility == "Queue" and followup.record.target == target_a

    bad = client.post(
        f"/followup/sources/{target_a.name}/request/",
        {"allocation": allocation_a.pk, "filters": ["ztfr"], "exposure_time": "9"},
        follow=True,
    )
    assert "not one of TAROT-Calern" in bad.content.decode()
    assert FollowupRequest.objects.count() == 1

    queue = client.get("/followup/?status=pending&sort=priority").content.decode()
    assert target_a.name in queue and "GRANDMA-A" in queue
    csv_text = client.get("/followup/?format=csv").content.decode()
    assert csv_text.splitlines()[0].startswith("id,target,ra_deg")
    assert "sdssr sdssg" in csv_text
    detail = client.get(f"/followup/{followup.pk}/").content.decode()
    assert "submit" in detail and "alice" in detail

    # edit while pending, then cancel
    client.post(f"/followup/{followup.pk}/edit/", {"exposure_time": "120", "filters": ["sdssi"]})
    followup.refresh_from_db()
    assert followup.parameters["exposure_time"] == 120 and followup.parameters["filters"] == [
        "sdssi"
    ]
    client.post(f"/followup/{followup.pk}/cancel/")
    followup.refresh_from_db()
    assert followup.status == "cancelled"

    outsider = Client()
    outsider.force_login(bob)
    assert target_a.name not in outsider.get("/followup/").content.decode()
    assert outsider.get(f"/followup/{followup.pk}/").status_code == 404
    assert outsider.post(f"/followup/{followup.pk}/cancel/").status_code == 404
    assert outsider.get("/followup/?allocation=abc&sort=zzz").status_code == 200


def test_the_panel_offers_only_active_allocations_of_my_groups(
    alice, victor, target_a, group_a, group_b, instrument
):
    make_allocation(group_b, instrument, pi="PI B")
    client = Client()
    client.force_login(alice)
    page = client.get(f"/sources/{target_a.name}/").content.decode()
    assert "none of your groups has an active allocation" in page
    make_allocation(group_a, instrument)
    page = client.get(f"/sources/{target_a.name}/").content.decode()
    assert "GRANDMA-A" in page and "GRANDMA-B" not in page.split('id="followup-panel"')[1]
    viewer = Client()
    viewer.force_login(victor)
    page = viewer.get(f"/sources/{target_a.name}/").content.decode()
    assert 'id="followup-panel"' in page and 'id="followup-form"' not in page


def test_telescopes_page_draws_the_sites(victor, instrument):
    client = Client()
    client.force_login(victor)
    page = client.get("/telescopes/").content.decode()
    assert "TCA" in page and "<circle" in page and "sdssg, sdssr, sdssi" in page
    assert 'class="night"' in page


def test_the_night_side_is_where_the_sun_is_down():
    from datetime import UTC, datetime

    from facilities.views import night_polygon

    # June solstice, 12:00 UTC: the Sun is over Greenwich, north; the night is centred
    # on the antimeridian and holds the south pole
    points = [
        tuple(map(float, p.split(",")))
        for p in night_polygon(datetime(2026, 6, 21, 12, 0, tzinfo=UTC)).split()
    ]
    by_x = dict(points[:-2])
    assert points[-1][1] == 360  # closed along the bottom edge (south pole in the night)
    assert by_x[360.0] > 270  # at the Sun's meridian the night starts far south
    assert by_x[0.0] < 90  # at the antimeridian it reaches far north
