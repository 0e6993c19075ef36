"""In the browser: two alerts of one object make one card; keyboard s and r on the card in
the second position act on that card's object, and its card shows the result."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from accounts import acl, services
from sources.models import Filter, Rejection, SavedSource, Stream
from tests.sources.conftest import add_photometry, make_candidate, make_target

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "night-shift-2026"


def test_it_saves_and_rejects_the_selected_object_by_keyboard(new_page, live_server):
    group = Group.objects.create(name="GRANDMA-A")
    alice = User.objects.create_user("alice", password=PASSWORD)
    services.set_only_role(alice, acl.FULL_USER)
    alice.groups.add(group)
    stream = Stream.objects.create(name="Fink ZTF", survey="ztf")
    sn = Filter.objects.create(name="SN A", stream=stream, group=group, topic="sn")
    kn = Filter.objects.create(name="KN A", stream=stream, group=group, topic="kn")
    first, second = make_target("ZTFfirst", [group]), make_target("ZTFsecond", [group])
    for target in (first, second):
        add_photometry(target)
    # Two alerts of each object, interleaved in time: one card each.
    make_candidate(second, sn, hours_ago=4)
    make_candidate(first, kn, hours_ago=3)
    make_candidate(second, kn, hours_ago=2)
    make_candidate(first, sn, hours_ago=1)

    page = new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_login", "alice")
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/candidates/")
    cards = page.locator("#cards .card")
    cards.first.wait_for()
    assert [cards.nth(i).get_attribute("data-name") for i in range(cards.count())] == [
        "ZTFfirst",
        "ZTFsecond",
    ]
    assert "2 alerts" in cards.nth(1).locator(".n-alerts").inner_text()

    page.keyboard.press("j")
    page.keyboard.press("j")
    selected = page.locator("#cards .card.selected")
    assert selected.get_attribute("data-name") == "ZTFsecond"
    page.keyboard.press("s")
    selected.locator(".saved-to").wait_for()
    assert "GRANDMA-A" in selected.locator(".saved-to").inner_text()
    assert list(SavedSource.objects.values_list("target__name", flat=True)) == ["ZTFsecond"]
    assert cards.nth(0).locator(".saved-to").count() == 0

    page.keyboard.press("r")
    selected.locator(".rejected-chip").wait_for()
    page.locator("#cards .card.selected.rejected").wait_for(state="attached")
    assert selected.get_attribute("data-name") == "ZTFsecond"
    assert list(Rejection.objects.values_list("target__name", flat=True)) == ["ZTFsecond"]
    assert "rejected" not in (cards.nth(0).get_attribute("class") or "")
    # r again undoes the rejection of the same object.
    page.keyboard.press("r")
    selected.locator(".reject-btn").wait_for()
    assert not Rejection.objects.active().exists()

    # The object's other alerts, on demand.
    selected.locator(".alerts summary").click()
    selected.locator(".alert-rows tbody tr").nth(1).wait_for()
    assert selected.locator(".alert-rows tbody tr").count() == 2
