"""Alice requests follow-up of a real Fink source from its page; a robot holding the
allocation's token accepts and completes it and posts photometry and a spectrum; alice sees
the status, the point on the plot and the spectrum; bob sees none of it and his token cannot
read alice's queue."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.utils import timezone

from accounts import acl, services
from facilities import services as followup
from facilities.models import Allocation, Instrument, Telescope
from sources.models import Candidate
from tests.e2e.conftest import wait_until_true

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "night-shift-2026"


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def user(name: str, group: Group) -> User:
    person = User.objects.create_user(name, password=PASSWORD)
    services.set_only_role(person, acl.FULL_USER)
    person.groups.add(group)
    return person


def allocation_for(group: Group, instrument: Instrument, admin: User) -> Allocation:
    now = timezone.now()
    allocation = Allocation.objects.create(
        group=group,
        instrument=instrument,
        facility="Queue",
        pi=f"PI {group.name}",
        hours=20,
        start=now - timedelta(days=1),
        end=now + timedelta(days=30),
    )
    allocation.admins.add(admin)
    return allocation


def test_followup_round_trip_through_the_robot(
    browser, new_page, live_server, shared_data, artifacts
):
    ztf_files = sorted((shared_data / "fink" / "ztf").glob("*.avro"))
    call_command("ingest_alerts", "--survey", "ztf", *map(str, ztf_files), "--group", "GRANDMA-A")
    group_a = Group.objects.get(name="GRANDMA-A")
    group_b = Group.objects.create(name="GRANDMA-B")
    alice, bob = user("alice", group_a), user("bob", group_b)
    name = Candidate.objects.select_related("target").order_by("id").first().target.name

    telescope = Telescope.objects.create(
        name="TAROT Calern",
        nickname="TCA",
        latitude=43.7522,
        longitude=6.9222,
        elevation=1270,
        aperture=0.25,
        robotic=True,
    )
    instrument = Instrument.objects.create(
        telescope=telescope,
        name="TAROT-Calern",
        filters=["sdssg", "sdssr", "sdssi"],
        footprint={"type": "rectangle", "width": 1.86, "height": 1.86},
    )
    allocation_a = allocation_for(group_a, instrument, alice)
    allocation_b = allocation_for(group_b, instrument, bob)
    token_a = followup.create_robot_token(alice, allocation_a)
    token_b = followup.create_robot_token(bob, allocation_b)

    # alice asks from the source page
    page = new_page()
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/sources/{name}/")
    form = page.locator("#followup-form")
    form.wait_for()
    assert not form.locator("[data-filter='sdssr']").is_hidden()
    form.locator("input[name=filters][value=sdssr]").check()
    form.locator("input[name=exposure_time]").fill("120")
    form.locator("input[name=exposure_count]").fill("3")
    form.locator("input[name=comment]").fill("rising, please observe tonight")
    page.click("#followup-submit")
    page.wait_for_selector("#followup-panel .followup-status")
    assert page.locator("#followup-panel .followup-status").first.inner_text() == "pending"

    # the robot works the queue over HTTP with its token
    robot = requests.Session()
    robot.headers["Authorization"] = f"Robot {token_a}"
    queue_url = f"{live_server.url}/api/facility_queue/{allocation_a.pk}/requests?status=pending"
    (item,) = robot.get(queue_url, timeout=10).json()
    assert item["target"] == name and item["parameters"]["exposure_time"] == 120
    request_url = f"{live_server.url}/api/facility_queue/requests/{item['id']}"
    for status in ("accepted", "completed"):
        answer = robot.patch(
            request_url, json={"status": status, "message": f"TCA: {status}"}, timeout=10
        )
        assert answer.status_code == 200, answer.text
    points = {"points": [{"mjd": 61122.1, "filter": "sdssr", "mag": 17.83, "magerr": 0.04}]}
    assert robot.post(request_url + "/photometry", json=points, timeout=10).status_code == 201
    spectrum = {
        "observed_at": "2026-12-01T23:30:00Z",
        "wavelengths": [4000 + 10 * i for i in range(200)],
        "fluxes": [1e-16 * (1 + 0.001 * i) for i in range(200)],
    }
    assert robot.post(request_url + "/spectra", json=spectrum, timeout=10).status_code == 201

    # bob's token cannot read or change alice's queue
    intruder = requests.Session()
    intruder.headers["Authorization"] = f"Robot {token_b}"
    assert intruder.get(queue_url, timeout=10).status_code == 403
    assert intruder.patch(request_url, json={"status": "cancelled"}, timeout=10).status_code == 403

    # alice sees the outcome on the source page
    page.reload()
    page.wait_for_selector("#followup-panel .followup-status")
    assert page.locator("#followup-panel .followup-status").first.inner_text() == "completed"
    page.locator("#spectra-plot[data-traces='1']").wait_for(state="attached")
    wait_until_true(page, "document.getElementById('photometry-plot').data !== undefined")
    plotted = page.evaluate(
        "document.getElementById('photometry-plot').data"
        ".filter(t => t.name === 'sdssr').map(t => t.x).flat()"
    )
    assert 61122.1 in plotted
    assert "TAROT-Calern" in page.locator("#data-panel .spectrum-item").first.inner_text()
    page.screenshot(path=str(artifacts / "followup.png"), full_page=True)

    # bob sees none of it
    other = new_page()
    log_in(other, live_server.url, "bob")
    response = other.goto(f"{live_server.url}/sources/{name}/")
    assert response.status == 404
    other.goto(f"{live_server.url}/followup/")
    assert name not in other.content()
    api = other.request.get(f"{live_server.url}/api/followup_requests?target={name}")
    assert api.json() == []
