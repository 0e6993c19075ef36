"""Events API (filters, detail) and the events list / event pages render for an approved user."""

import json

import pytest
from django.test import Client

from gcn import services


@pytest.fixture
def events(read_shared, db):
    for rel in (
        "lvk/MS181101ab-preliminary.json",
        "lvk/MS181101ab-2-Preliminary.xml",
        "gcn/voevent/GW190425_initial.xml",
        "gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml",
        "gcn/voevent/SWIFT_1125809-092.xml",
    ):
        services.ingest_bytes(read_shared(rel), origin=rel)


@pytest.fixture
def client(alice):
    c = Client(HTTP_HOST="localhost")
    c.force_login(alice)
    return c


def names(response):
    assert response.status_code == 200, response.content
    return [row["name"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_it_lists_and_filters_events(events, client):
    assert names(client.get("/api/gcn_events/")) == [
        "Swift#1125809",
        "S190425z",
        "MS181101ab",
        "bn180116026",
    ]
    assert names(client.get("/api/gcn_events/?tags=GW,BNS")) == ["S190425z", "MS181101ab"]
    assert names(client.get("/api/gcn_events/?far_max=1e-13")) == ["MS181101ab"]
    assert names(client.get("/api/gcn_events/?start=2019-01-01T00:00:00Z&end=2020-01-01")) == [
        "S190425z"
    ]
    assert names(client.get("/api/gcn_events/?q=bn180116026")) == ["bn180116026"]
    bad = client.get("/api/gcn_events/?far_max=lots")
    assert bad.status_code == 400 and "far_max" in bad.json()


@pytest.mark.django_db
def test_it_details_an_event_by_alias_with_notices_and_localizations(events, client):
    body = client.get("/api/gcn_events/MS181101ab/").json()
    assert body["properties"]["FAR"] == pytest.approx(9.11069936486e-14)
    assert {"GW", "BNS", "< 100 deg²"} <= set(body["tags"])
    assert [n["format"] for n in body["notices"]] == ["lvk_json", "voevent"]
    by_status = {loc["status"]: loc for loc in body["localizations"]}
    assert by_status["ready"]["area_90"] == pytest.approx(30.98, rel=1e-3)
    assert by_status["pending"]["url"].endswith("bayestar.multiorder.fits,0")
    assert body["area_90"] == pytest.approx(30.98, rel=1e-3)
    assert client.get("/api/gcn_events/S000101zz/").status_code == 404


@pytest.mark.django_db
def test_it_renders_the_events_list_and_event_pages(events, client):
    page = client.get("/gcn/events/?tags=GW")
    html = page.content.decode()
    assert page.status_code == 200
    assert "MS181101ab" in html and "S190425z" in html and "bn180116026" not in html

    page = client.get("/gcn/events/MS181101ab/?projection=aitoff")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="skymap"' in html and "/candidates/?localization=" in html
    figure = json.loads(
        html.split('id="skymap-figure" type="application/json">')[1].split("</script>")[0]
    )
    assert figure["layout"]["geo"]["projection"]["type"] == "aitoff"
    assert {t["name"] for t in figure["data"]} >= {"50 % region", "90 % region"}
    # A GRB with a point localization and an LVK event whose map is still pending.
    assert client.get("/gcn/events/Swift%231125809/").status_code == 200
    pending = client.get("/gcn/events/S190425z/").content.decode()
    assert "sky map pending" in pending
    assert client.get("/gcn/events/nothing-here/").status_code == 404
    assert client.get("/gcn/plotly.min.js").status_code == 200


@pytest.mark.django_db
def test_it_sends_anonymous_visitors_to_log_in(events):
    response = Client(HTTP_HOST="localhost").get("/gcn/events/")
    assert response.status_code == 302 and "login" in response["Location"]
