"""Item 6 (SSRF): a notice whose sky-map URL points at the server itself, a private address
or a host off the GCN allow-list is quarantined with that reason and merges into nothing:
no event, alias or localization comes from it, and nothing is fetched. Fetch errors of
allowed URLs are kept for admins; users read a generic message."""

import pytest
from django.test import Client

from accounts import acl
from gcn import services
from gcn.models import GcnEvent, GcnNotice, GcnQuarantine, Localization
from tests.people import make_user

PUBLISHED = b"https://emfollow.docs.ligo.org/userguide/_static/bayestar.multiorder.fits,0"


def _pointing_at(read_shared, url: str, ivorn_suffix: str = "") -> bytes:
    raw = read_shared("lvk/MS181101ab-2-Preliminary.xml")
    assert PUBLISHED in raw
    raw = raw.replace(PUBLISHED, url.encode())
    return raw.replace(
        b"MS181101ab-2-Preliminary", b"MS181101ab-2-Preliminary" + ivorn_suffix.encode()
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, why",
    [
        ("http://127.0.0.1:8000/admin/", "address_refused"),
        ("http://[::1]:6379/", "host_not_allowed"),
        ("http://169.254.169.254/latest/meta-data/", "host_not_allowed"),
        ("https://evil.example/map.fits", "host_not_allowed"),
        ("file:///etc/passwd", "bad_url"),
    ],
)
def test_it_quarantines_a_notice_with_a_refused_map_url(read_shared, settings, url, why):
    settings.FETCH_ALLOWED_HOSTS = {
        **settings.FETCH_ALLOWED_HOSTS,
        "gcn": ["*.ligo.org", "127.0.0.1:8000"],
    }
    # the real notice first: the hostile copy must not merge into its event
    services.ingest_bytes(read_shared("lvk/MS181101ab-2-Preliminary.xml"), origin="real")
    event = GcnEvent.objects.get()
    aliases, n_locs = list(event.aliases), Localization.objects.count()

    result = services.ingest_bytes(_pointing_at(read_shared, url, "-copy"), origin="hostile")
    assert result.status == "quarantined"
    row = GcnQuarantine.objects.get(origin="hostile")
    assert row.reason == "refused_url" and why in row.detail
    assert GcnNotice.objects.count() == 1 and GcnEvent.objects.count() == 1
    event.refresh_from_db()
    assert list(event.aliases) == aliases
    assert Localization.objects.count() == n_locs
    assert not Localization.objects.filter(url=url).exists()


@pytest.mark.django_db
def test_it_shows_users_a_generic_error_and_admins_the_detail(read_shared, settings):
    settings.FETCH_ALLOWED_HOSTS = {**settings.FETCH_ALLOWED_HOSTS, "gcn": ["*.ligo.org"]}
    services.ingest_bytes(read_shared("lvk/MS181101ab-2-Preliminary.xml"))
    loc = Localization.objects.get()
    loc.status, loc.last_error = (
        Localization.Status.FAILED,
        "FetchRefused: unreachable: 10.0.0.7:22",
    )
    loc.save()
    event = GcnEvent.objects.get()
    alice = make_user("alice", acl.FULL_USER)
    superadmin = make_user("root", acl.SUPER_ADMIN)
    for user, shown in ((alice, False), (superadmin, True)):
        client = Client(HTTP_HOST="localhost")
        client.force_login(user)
        body = client.get(f"/api/gcn_events/{event.pk}/").content.decode()
        assert ("10.0.0.7" in body) is shown
        page = client.get(f"/gcn/events/{event.pk}/").content.decode()
        assert ("10.0.0.7" in page) is shown
