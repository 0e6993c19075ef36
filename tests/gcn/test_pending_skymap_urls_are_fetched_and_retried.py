"""A sky map announced by URL is pending, fetched by the retry task, and backed off on failure."""

import functools
import http.server
import threading
from datetime import timedelta

import pytest
from django.utils import timezone

from gcn import services
from gcn.models import GcnEvent, Localization

PUBLISHED = "https://emfollow.docs.ligo.org/userguide/_static/bayestar.multiorder.fits,0"


@pytest.fixture
def map_server(shared_data, settings):
    """A local HTTP server publishing the shared sky maps (no internet in tests), on the
    GCN allow-list with its loopback address allowed (both are refused by default)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(shared_data))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    settings.FETCH_ALLOWED_HOSTS = {**settings.FETCH_ALLOWED_HOSTS, "gcn": [f"127.0.0.1:{port}"]}
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    yield f"http://127.0.0.1:{port}"
    server.shutdown()


def voevent_pointing_at(read_shared, url: str) -> bytes:
    raw = read_shared("lvk/MS181101ab-2-Preliminary.xml")
    assert PUBLISHED.encode() in raw
    return raw.replace(PUBLISHED.encode(), url.encode())


@pytest.mark.django_db
def test_it_fetches_a_pending_multi_order_map_and_crossmatches_it(read_shared, map_server):
    raw = voevent_pointing_at(read_shared, f"{map_server}/lvk/bayestar.multiorder.fits")
    result = services.ingest_bytes(raw, origin="voevent")
    (loc,) = result.localizations
    assert loc.status == Localization.Status.PENDING and loc.n_tiles == 0
    assert GcnEvent.objects.get().current_localization() is None

    ready = []
    counts = services.fetch_pending_maps(on_localization=ready.append)
    assert counts == {"fetched": 1, "failed": 0, "retry": 0}
    loc.refresh_from_db()
    assert loc.status == Localization.Status.READY and loc.n_tiles == 19200
    assert loc.area_90 == pytest.approx(30.98, rel=1e-3)
    assert ready == [loc]
    event = GcnEvent.objects.get()
    assert event.current_localization() == loc
    assert "< 100 deg²" in event.tags
    assert services.fetch_pending_maps() == {"fetched": 0, "failed": 0, "retry": 0}


@pytest.mark.django_db
def test_it_backs_off_then_gives_up_on_an_unreachable_map(read_shared, map_server, settings):
    settings.GCN_MAP_MAX_ATTEMPTS = 3
    services.ingest_bytes(voevent_pointing_at(read_shared, f"{map_server}/nowhere.fits"))
    loc = Localization.objects.get()
    now = timezone.now()
    assert services.fetch_pending_maps(now=now)["retry"] == 1
    loc.refresh_from_db()
    assert loc.attempts == 1 and "404" in loc.last_error
    assert loc.next_attempt_at == now + timedelta(seconds=60)
    # Not due yet: nothing tried.
    assert services.fetch_pending_maps(now=now + timedelta(seconds=30))["retry"] == 0
    later = now + timedelta(seconds=61)
    assert services.fetch_pending_maps(now=later)["retry"] == 1
    loc.refresh_from_db()
    assert loc.next_attempt_at == later + timedelta(seconds=120)
    assert services.fetch_pending_maps(now=later + timedelta(hours=1))["failed"] == 1
    loc.refresh_from_db()
    assert loc.status == Localization.Status.FAILED and loc.attempts == 3


@pytest.mark.django_db
def test_it_fails_a_url_that_serves_something_other_than_a_map(read_shared, map_server):
    services.ingest_bytes(voevent_pointing_at(read_shared, f"{map_server}/README.md"))
    assert services.fetch_pending_maps()["failed"] == 1
    loc = Localization.objects.get()
    assert loc.status == Localization.Status.FAILED and "truncated_fits" in loc.last_error
