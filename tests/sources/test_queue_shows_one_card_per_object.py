"""Two alerts of one object make one card (its newest alert, counting both); every action
of a card addresses its object, also from the second card of a page; the API has one row
per object."""

import re

import pytest
from django.test import Client

from sources.models import Rejection, SavedSource
from tests.sources.conftest import add_photometry, make_candidate, make_target

pytestmark = pytest.mark.django_db


def cards_of(html: str) -> list[tuple[str, str]]:
    """(object id, name) of each card, in page order."""
    return re.findall(r'<article class="card[^"]*" id="object-(\d+)"[^>]*data-name="([^"]+)"', html)


@pytest.fixture
def page_of(alice):
    client = Client()
    client.force_login(alice)

    def page(**params):
        response = client.get("/candidates/", params)
        assert response.status_code == 200
        return response.content.decode()

    page.client = client
    return page


def test_it_shows_one_card_for_two_alerts_of_one_object(page_of, group_a, filter_a, lsst):
    from sources.models import Filter

    filter_lsst = Filter.objects.create(name="KN A", stream=lsst, group=group_a, topic="kn")
    twice = make_target("ZTFtwice", [group_a])
    add_photometry(twice)
    older = make_candidate(twice, filter_a, hours_ago=5)
    newer = make_candidate(twice, filter_lsst, hours_ago=1)
    once = make_target("ZTFonce", [group_a])
    make_candidate(once, filter_a, hours_ago=3)

    html = page_of()
    assert [name for _, name in cards_of(html)] == ["ZTFtwice", "ZTFonce"]
    card = html[html.index(f'id="object-{twice.id}"') : html.index(f'id="object-{once.id}"')]
    assert f'data-candidate="{newer.id}"' in card and str(older.alert_id) not in card
    assert "2 alerts" in card and "KN A, SN A" in card and "Fink LSST, Fink ZTF" in card

    # The other alerts, on demand, honour the queue's window.
    alerts = page_of.client.get("/sources/ZTFtwice/alerts/?window=3n").content.decode()
    assert str(older.alert_id) in alerts and str(newer.alert_id) in alerts
    window = {"window": "custom", "since": "2000-01-01", "until": newer.passed_at.isoformat()}
    alerts = page_of.client.get("/sources/ZTFtwice/alerts/", window).content.decode()
    assert str(older.alert_id) in alerts and str(newer.alert_id) not in alerts

    # Pages follow objects: a page of one card, then the other object, never the same twice.
    first = page_of.client.get("/api/candidates", {"page_size": 1}).json()
    second = page_of.client.get(first["next"]).json()
    assert [r["name"] for r in first["results"] + second["results"]] == ["ZTFtwice", "ZTFonce"]
    assert second["next"] is None
    assert first["results"][0]["n_alerts"] == 2
    assert first["results"][0]["alert_id"] == newer.alert_id
    assert first["results"][0]["streams"] == ["Fink LSST", "Fink ZTF"]


def test_it_acts_on_the_object_of_the_second_card(page_of, alice, group_a, filter_a):
    first = make_target("ZTFfirst", [group_a])
    second = make_target("ZTFsecond", [group_a])
    for hours in (6, 2):
        make_candidate(second, filter_a, hours_ago=hours + 0.5)
        make_candidate(first, filter_a, hours_ago=hours)
    html = page_of()
    assert [name for _, name in cards_of(html)] == ["ZTFfirst", "ZTFsecond"]
    card = html[html.index(f'id="object-{second.id}"') :]
    # The card's forms post to its own object and swap the action bar they sit in.
    save_url = re.search(r'hx-post="([^"]*/save/)"', card).group(1)
    reject_url = re.search(r'hx-post="([^"]*/reject/)"', card).group(1)
    assert save_url == "/sources/ZTFsecond/save/" and reject_url == "/sources/ZTFsecond/reject/"
    assert 'hx-target="closest .actions"' in card

    response = page_of.client.post(save_url, {"group": group_a.id}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "saved to" in response.content.decode()
    assert list(SavedSource.objects.values_list("target__name", flat=True)) == ["ZTFsecond"]
    response = page_of.client.post(reject_url, HTTP_HX_REQUEST="true")
    assert "rejected" in response.content.decode()
    assert list(Rejection.objects.values_list("target__name", flat=True)) == ["ZTFsecond"]
    # ZTFsecond leaves the default queue (saved, rejected); ZTFfirst is untouched.
    assert [name for _, name in cards_of(page_of())] == ["ZTFfirst"]
