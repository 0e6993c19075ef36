"""A shifter logs in, scans real Fink candidates, toggles mag/flux, saves one with the
keyboard, finds it under the group's sources; a user of another group cannot open it."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

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


def test_it_scans_saves_and_keeps_the_source_in_its_group(
    browser, new_page, live_server, shared_data, artifacts
):
    ztf_files = sorted((shared_data / "fink" / "ztf").glob("*.avro"))
    lsst_files = sorted((shared_data / "fink" / "lsst").glob("*.avro"))
    call_command("ingest_alerts", "--survey", "ztf", *map(str, ztf_files), "--group", "GRANDMA-A")
    group_a = Group.objects.get(name="GRANDMA-A")
    group_b = Group.objects.create(name="GRANDMA-B")
    alice = User.objects.create_user("alice", password=PASSWORD)
    alice.groups.add(group_a)
    bob = User.objects.create_user("bob", password=PASSWORD)
    bob.groups.add(group_b)
    n_ztf = Candidate.objects.count()
    assert n_ztf > 0
    # The queue shows one card per object.
    n_ztf_objects = Candidate.objects.values("target").distinct().count()

    page = new_page()
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/")
    assert page.url.endswith("/candidates/")
    # The sample alerts are months old: widen the window from the default last 24 h.
    page.select_option("#window", "all")
    page.click("button:has-text('Apply')")
    page.wait_for_selector("#cards .card")
    assert "window=all" in page.url
    assert page.locator("#cards .card").count() == min(n_ztf_objects, 50)
    page.wait_for_selector("#live-status.on")

    first = page.locator("#cards .card").first
    assert first.locator("svg.lc-mag").is_visible()
    assert not first.locator("svg.lc-flux").is_visible()
    page.click("#show-flux")
    assert first.locator("svg.lc-flux").is_visible()
    assert not first.locator("svg.lc-mag").is_visible()
    page.click("#show-mag")
    assert first.locator("svg.lc-mag").is_visible()

    # Live: alerts ingested while the page is open appear without a reload.
    call_command("ingest_alerts", "--survey", "lsst", *map(str, lsst_files), "--group", "GRANDMA-A")
    page.wait_for_selector("#cards .card.live-new", timeout=5_000)
    n_lsst = Candidate.objects.count() - n_ztf
    assert n_lsst > 0
    n_lsst_objects = (
        Candidate.objects.filter(filter__stream__survey="lsst").values("target").distinct().count()
    )
    page.locator("#cards .card.live-new").nth(n_lsst_objects - 1).wait_for()
    assert page.locator("#cards .card.live-new").count() == n_lsst_objects
    wait_until_true(
        page,
        "Array.from(document.querySelectorAll('#cards .card img')).slice(0, 6)"
        ".every(img => img.complete)",
    )
    page.wait_for_timeout(2_600)  # let the arrival highlight fade before the screenshot
    page.screenshot(path=str(artifacts / "candidates.png"), full_page=False)

    # Keyboard: j selects the first card, s saves it to the group whose filter it passed.
    page.keyboard.press("j")
    selected = page.locator("#cards .card.selected")
    name = selected.get_attribute("data-name")
    page.keyboard.press("s")
    selected.locator(".saved-to").wait_for()
    assert "GRANDMA-A" in selected.locator(".saved-to").inner_text()

    page.click('nav >> text="Sources"')
    if "/groups/" not in page.url:  # more than one group: pick the program
        page.click("text=GRANDMA-A")
    page.wait_for_selector("#group-sources")
    assert name in page.locator("#group-sources").inner_text()

    page.click(f"#group-sources >> text={name}")
    page.wait_for_selector("#photometry-plot .main-svg")
    page.click("#plot-flux")
    page.locator("#photometry-plot[data-unit='flux']").wait_for(state="attached")
    assert "flux" in page.locator("#photometry-plot .ytitle").text_content()
    page.click("#plot-mag")
    page.locator("#photometry-plot[data-unit='mag']").wait_for(state="attached")
    assert re.search("magnitude", page.locator("#photometry-plot .ytitle").text_content())
    assert "GRANDMA-A — saved by alice" in page.locator("body").inner_text()
    page.screenshot(path=str(artifacts / "source.png"), full_page=True)
    source_url = page.url

    other = new_page()
    log_in(other, live_server.url, "bob")
    response = other.goto(source_url)
    assert response.status == 404
    assert name not in other.content()
