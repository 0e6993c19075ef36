"""The event page: properties with units, the sources and galaxies of the region, and a
"scan them" link whose queue shows the sources the page counts (same region, same window);
a source page names the events whose region holds it."""

import json
import re
from datetime import timedelta

import healpy as hp
import pytest
from django.test import Client

from gcn import crossmatch, services, skymaps
from sources.models import Candidate, Filter, Stream


@pytest.fixture
def lvk_event(read_shared, db):
    result = services.ingest_bytes(read_shared("lvk/MS181101ab-preliminary.json"))
    return result.event, result.localizations[0]


def central_position(loc):
    lower = loc.tiles.order_by("-probdensity").values_list("lower", flat=True).first()
    ra, dec = hp.pix2ang(skymaps.NSIDE_MAX, lower, nest=True, lonlat=True)
    return float(ra), float(dec)


@pytest.fixture
def client(alice):
    c = Client(HTTP_HOST="localhost")
    c.force_login(alice)
    return c


def alert(target, filter_, passed_at):
    return Candidate.objects.create(
        target=target, filter=filter_, alert_id=target.pk * 10, passed_at=passed_at,
        ingested_at=passed_at, annotations={},
    )  # fmt: skip


@pytest.mark.django_db
def test_it_formats_properties_with_units(lvk_event, client):
    html = client.get("/gcn/events/MS181101ab/").content.decode()
    props = html.split('id="event-properties">')[1].split("</dl>")[0]
    assert "9.11e-14 Hz · 2.88e-06 per year" in props
    assert "0.0000000000000911" not in props and "['" not in props
    for value in re.findall(r"([\d.]+) deg²", props):
        assert re.fullmatch(r"\d+\.\d", value)  # areas to 0.1 deg²
    assert "H1, L1, V1" in props or "instruments" not in props
    # The page draws the map from a local, empty world map: nothing fetched from a CDN.
    assert 'data-topojson-url="/static/gcn/topojson/"' in html
    assert "cdn." not in html and "<script>" not in html


@pytest.mark.django_db
def test_it_scans_the_sources_it_counts(lvk_event, make_source, alice, group_a, client):
    event, loc = lvk_event
    ra, dec = central_position(loc)
    t0 = crossmatch.to_mjd(event.trigger_time)
    stream = Stream.objects.create(name="Fink ZTF", survey="ztf")
    filter_a = Filter.objects.create(name="SN A", stream=stream, group=group_a, topic="sn")
    inside = make_source("ZTFinside", ra, dec, t0 + 2, groups=[group_a])
    late = make_source("ZTFlate", ra, dec, t0 + 30, groups=[group_a])
    outside = make_source("ZTFoutside", (ra + 180) % 360, -dec, t0 + 2, groups=[group_a])
    for target in (inside, late, outside):
        alert(target, filter_a, event.trigger_time + timedelta(days=2))

    html = client.get("/gcn/events/MS181101ab/").content.decode()
    assert "Sources inside the 90.0 % region (1)" in html
    assert 'href="/sources/ZTFinside/"' in html
    scan = re.search(r'href="([^"]+)" id="scan-them"', html).group(1).replace("&amp;", "&")
    assert scan.startswith("/candidates/?localization=")
    assert "window=all" in scan and "cumprob=0.9" in scan
    queue = client.get(scan).content.decode()
    assert re.findall(r'data-name="([^"]+)"', queue) == ["ZTFinside"]
    assert "inside the 90% region of MS181101ab" in queue
    api = client.get(scan.replace("/candidates/", "/api/candidates")).json()
    assert [row["name"] for row in api["results"]] == ["ZTFinside"]
    assert client.get("/candidates/?localization=999999").status_code == 400

    # The sky map draws the source with RA/Dec labels on the graticule.
    figure = json.loads(
        html.split('id="skymap-figure" type="application/json">')[1].split("</script>")[0]
    )
    texts = [t.get("text") for t in figure["data"] if t.get("mode") == "text"]
    assert texts[0][:2] == ["0h", "2h"] and "+30°" in texts[1]
    assert any(t.get("name", "").startswith("sources (1)") for t in figure["data"])

    # The source page names the event whose region holds it.
    page = client.get("/sources/ZTFinside/").content.decode()
    panel = page.split('id="gcn-regions"')[1].split("</section>")[0]
    assert "MS181101ab" in panel and f"?localization={loc.pk}" in panel
    assert "MS181101ab" not in client.get("/sources/ZTFoutside/").content.decode()
