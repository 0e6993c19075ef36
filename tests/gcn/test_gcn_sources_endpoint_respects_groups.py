"""GET /api/gcn_events/<id-or-alias>/sources: each user sees only their groups' sources."""

import healpy as hp
import pytest
from rest_framework.test import APIClient

from gcn import crossmatch, services, skymaps


@pytest.fixture
def event_with_sources(read_shared, make_source, group_a, group_b):
    result = services.ingest_bytes(read_shared("lvk/MS181101ab-preliminary.json"))
    loc = result.localizations[0]
    lower = loc.tiles.order_by("-probdensity").values_list("lower", flat=True).first()
    ra, dec = (float(v) for v in hp.pix2ang(skymaps.NSIDE_MAX, lower, nest=True, lonlat=True))
    t0 = crossmatch.to_mjd(result.event.trigger_time)
    make_source("ZTF18alice", ra, dec, t0 + 1, groups=[group_a])
    make_source("ZTF18bob", ra, dec, t0 + 1, groups=[group_b])
    make_source("ZTF18both", ra, dec, t0 + 1, groups=[group_a, group_b])
    return result.event, loc


def client_for(user):
    client = APIClient(HTTP_HOST="localhost")
    if user is not None:
        client.force_login(user)
    return client


def names(response):
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["sources"]}


@pytest.mark.django_db
def test_it_shows_alice_and_bob_only_their_own_groups_sources(event_with_sources, alice, bob):
    event, _ = event_with_sources
    url = "/api/gcn_events/MS181101ab/sources?cumprob=0.9"
    assert names(client_for(alice).get(url)) == {"ZTF18alice", "ZTF18both"}
    assert names(client_for(bob).get(url)) == {"ZTF18bob", "ZTF18both"}
    # By id as well as by alias.
    assert names(client_for(bob).get(f"/api/gcn_events/{event.pk}/sources")) == {
        "ZTF18bob",
        "ZTF18both",
    }


@pytest.mark.django_db
def test_it_refuses_anonymous_and_unapproved_users(event_with_sources, alice):
    url = "/api/gcn_events/MS181101ab/sources"
    assert client_for(None).get(url).status_code in (401, 403)
    alice.is_active = False
    alice.save()
    assert client_for(alice).get(url).status_code in (401, 403)


@pytest.mark.django_db
def test_it_answers_bad_requests_with_clear_errors(event_with_sources, alice):
    client = client_for(alice)
    assert client.get("/api/gcn_events/S000000xx/sources").status_code == 404
    bad = client.get("/api/gcn_events/MS181101ab/sources?cumprob=1.5")
    assert bad.status_code == 400 and "cumprob" in bad.json()
    assert client.get("/api/gcn_events/MS181101ab/sources?localization=999999").status_code == 404
    assert client.get("/api/gcn_events/MS181101ab/sources?cumprob=1e-9").json()["count"] == 0
