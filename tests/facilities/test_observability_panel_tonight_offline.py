"""The source page shows tonight at each telescope of the user's allocations (airmass curve,
rise/set/transit, Moon), says "not observable tonight" where so, caches it, and astropy never
reaches the network while computing it."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from django.test import Client
from tom_targets.models import Target

from accounts import services
from facilities import observability


@pytest.fixture
def no_network(monkeypatch):
    real_connect = socket.socket.connect
    attempts = []

    def guarded(self, address):
        if self.family == socket.AF_UNIX:  # the embedded PostgreSQL and Redis
            return real_connect(self, address)
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "::1", "localhost"):
            attempts.append(address)
            raise OSError(f"network refused in tests: {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


def test_it_computes_tonight_without_downloading(no_network):
    from astropy.utils import iers

    assert iers.conf.auto_download is False
    result = observability.compute(
        150.1, 2.2, 43.7522, 6.9222, 1270, datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    )
    assert result["dark"] and result["observable"]
    assert 0 <= result["moon_illumination"] <= 1 and 0 <= result["moon_distance"] <= 180
    assert result["curve"]["times"] and min(a for a in result["curve"]["airmass"] if a) >= 1
    south = observability.compute(
        10.0, -80.0, 43.7522, 6.9222, 1270, datetime(2026, 12, 2, 0, 0, tzinfo=UTC)
    )
    assert south["observable"] is False and south["rise"] is None and south["max_alt"] < 0
    assert no_network == []


def test_the_panel_lists_my_telescopes_and_says_not_observable(
    alice, target_a, group_a, allocation_a, no_network
):
    south = Target.objects.create(name="ZTF21southern", type="SIDEREAL", ra=10.0, dec=-80.0)
    services.assign_target_to_groups(south, [group_a])
    client = Client()
    client.force_login(alice)
    page = client.get(f"/sources/{south.name}/").content.decode()
    panel = page.split('id="observability-panel"')[1]
    assert 'data-telescope="TCA"' in panel and "not observable tonight" in panel
    page = client.get(f"/sources/{target_a.name}/").content.decode()
    assert 'id="airmass-data"' in page
    assert no_network == []


def test_it_is_cached(alice, target_a, allocation_a, monkeypatch):
    client = Client()
    client.force_login(alice)
    client.get(f"/sources/{target_a.name}/")

    def recompute(*args, **kwargs):
        raise AssertionError("computed again instead of read from the cache")

    monkeypatch.setattr(observability, "compute", recompute)
    page = client.get(f"/sources/{target_a.name}/").content.decode()
    assert 'data-telescope="TCA"' in page


def test_no_panel_without_allocations(bob, group_b, target_a):
    services.assign_target_to_groups(target_a, [group_b])
    client = Client()
    client.force_login(bob)
    assert (
        'id="observability-panel"' not in client.get(f"/sources/{target_a.name}/").content.decode()
    )
