"""A GCN Circular draft for the LVK event lists exactly the group's sources inside the 90 %
region (first detected in the event's window), in GCN Circular form within 80 columns;
drafts are versioned per event and group and closed to other groups."""

import healpy as hp
import pytest
from django.test import Client
from rest_framework.test import APIClient

from gcn import crossmatch, services, skymaps
from gcn.models import CircularDraft
from sources.models import Rejection, SavedSource


def _point(tiles, order_by):
    lower = tiles.order_by(order_by).values_list("lower", flat=True).first()
    return tuple(float(v) for v in hp.pix2ang(skymaps.NSIDE_MAX, lower, nest=True, lonlat=True))


@pytest.fixture
def lvk(read_shared, make_source, group_a, group_b, alice):
    result = services.ingest_bytes(read_shared("lvk/MS181101ab-preliminary.json"))
    loc = result.localizations[0]
    t0 = crossmatch.to_mjd(result.event.trigger_time)
    best = _point(loc.tiles, "-probdensity")
    middle = _point(loc.tiles.filter(cumprob__gt=0.4, cumprob__lt=0.6), "cumprob")
    outside = _point(loc.tiles.filter(cumprob__gt=0.99), "probdensity")
    kept = make_source("ZTF18kept", *best, t0 + 1, groups=[group_a])
    dropped = make_source("ZTF18dropped", *middle, t0 + 2, groups=[group_a])
    make_source("ZTF18fresh", *middle, t0 + 0.5, groups=[group_a, group_b])
    make_source("ZTF18outside", *outside, t0 + 1, groups=[group_a])
    make_source("ZTF18tooearly", *best, t0 - 30, groups=[group_a])
    make_source("ZTF18bobs", *best, t0 + 1, groups=[group_b])
    SavedSource.objects.create(target=kept, group=group_a, saved_by=alice)
    Rejection.objects.create(target=dropped, group=group_a, rejected_by=alice)
    return result.event


def _api(user):
    client = APIClient(HTTP_HOST="localhost")
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_lists_exactly_the_group_sources_inside_the_90_percent_region(lvk, alice, group_a):
    response = _api(alice).post(
        "/api/gcn_events/MS181101ab/circulars",
        {
            "group_id": group_a.pk,
            "authors": [{"user_id": alice.pk, "affiliation": "IJCLab"}],
            "acknowledgements": "We thank the observatory staff.",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) >= {"id", "text", "version", "report"}
    report = body["report"]
    assert {s["name"] for s in report["sources"]} == {"ZTF18kept", "ZTF18dropped", "ZTF18fresh"}
    statuses = {s["name"]: (s["status"], s["reason"]) for s in report["sources"]}
    assert statuses["ZTF18kept"] == ("kept", "saved by the group")
    assert statuses["ZTF18dropped"] == ("rejected", "rejected in scanning")
    text = body["text"]
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert "SUBJECT: LIGO/Virgo/KAGRA MS181101ab: GRANDMA-A follow-up" in text
    assert "alice (IJCLab) report on behalf of the GRANDMA-A collaboration:" in text
    for name in ("ZTF18kept", "ZTF18dropped", "ZTF18fresh"):
        assert name in text
    for name in ("ZTF18outside", "ZTF18tooearly", "ZTF18bobs"):
        assert name not in text
    assert "We thank the observatory staff." in text


@pytest.mark.django_db
def test_it_keeps_versions_and_edits_and_chosen_sources(lvk, alice, bob, group_a):
    api = _api(alice)
    url = f"/api/gcn_events/{lvk.pk}/circulars"
    first = api.post(url, {"group_id": group_a.pk}, format="json").json()
    chosen = api.post(
        url,
        {
            "group_id": group_a.pk,
            "sources": [{"name": "ZTF18fresh", "status": "rejected", "reason": "star in PS1"}],
        },
        format="json",
    ).json()
    assert (first["version"], chosen["version"]) == (1, 2)
    assert [(s["name"], s["status"]) for s in chosen["report"]["sources"]] == [
        ("ZTF18fresh", "rejected")
    ]
    assert "star in PS1" in chosen["text"]
    client = Client()
    client.force_login(alice)
    page = client.post(f"/gcn/circulars/{chosen['id']}/", {"text": "Edited by hand."})
    edited = CircularDraft.objects.get(version=3)
    assert page.status_code == 302 and edited.text == "Edited by hand.\n"
    download = client.get(f"/gcn/circulars/{edited.pk}/text")
    assert download.content == b"Edited by hand.\n"
    assert "attachment" in download["Content-Disposition"]
    assert client.get(f"/gcn/circulars/{edited.pk}/report.json").json()["version"] == 3
    assert client.get(f"/gcn/events/{lvk.pk}/circulars/?group={group_a.pk}").status_code == 200
    # Another group's member: no access to A's drafts, no drafting for A.
    other = Client()
    other.force_login(bob)
    assert other.get(f"/gcn/circulars/{edited.pk}/").status_code == 404
    assert other.get(f"/gcn/circulars/{edited.pk}/text").status_code == 404
    assert other.post(f"/gcn/circulars/{edited.pk}/", {"text": "x"}).status_code == 404
    assert _api(bob).post(url, {"group_id": group_a.pk}, format="json").status_code == 403
    assert _api(bob).get(url).json() == {"results": []}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"group_id": "A"}, "group_id"),
        ({"sources": [{"name": "ZTF18outside"}]}, "sources"),
        ({"sources": [{"name": "ZTF18kept", "status": "maybe"}]}, "sources[0].status"),
        ({"authors": [{"user_id": 999999}]}, "authors[0].user_id"),
        ({"cumprob": 2}, "cumprob"),
        ({"galaxies": "NGC 4993"}, "galaxies"),
        ({"localization_id": 999999}, "localization_id"),
    ],
)
def test_it_answers_400_naming_the_field(lvk, alice, group_a, doc, field):
    body = {"group_id": group_a.pk, **doc}
    response = _api(alice).post("/api/gcn_events/MS181101ab/circulars", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
