"""Allocations are created by holders of Manage allocations for their groups; credentials
are never returned; instruments are listed for everyone signed in."""

from __future__ import annotations

from django.test import Client

from accounts import acl, services
from facilities.models import Allocation
from tests.facilities.conftest import api


def _body(group, instrument, **kw):
    body = {
        "group_id": group.pk,
        "instrument_id": instrument.pk,
        "facility": "Queue",
        "pi": "S. Antier",
        "hours": 12.5,
        "start": "2026-01-01T00:00:00Z",
        "end": "2027-12-31T00:00:00Z",
        "credentials": {"api_key": "very-secret-key"},
    }
    body.update(kw)
    return body


def test_it_creates_allocations_and_never_shows_credentials(alice, group_a, instrument):
    client = Client()
    client.force_login(alice)
    assert api(client, "post", "/api/allocations", _body(group_a, instrument)).status_code == 403
    services.grant_acl(alice, acl.MANAGE_ALLOCATIONS)
    alice = type(alice).objects.get(pk=alice.pk)
    client.force_login(alice)
    response = api(client, "post", "/api/allocations", _body(group_a, instrument))
    assert response.status_code == 201, response.content
    allocation = Allocation.objects.get(pk=response.json()["id"])
    assert allocation.get_credentials() == {"api_key": "very-secret-key"}
    assert alice in allocation.admins.all()
    listing = client.get("/api/allocations")
    assert "very-secret-key" not in listing.content.decode()
    assert listing.json()[0]["has_credentials"] is True


def test_it_refuses_bad_allocations(alice, group_a, group_b, instrument):
    services.grant_acl(alice, acl.MANAGE_ALLOCATIONS)
    client = Client()
    client.force_login(type(alice).objects.get(pk=alice.pk))
    other = api(client, "post", "/api/allocations", _body(group_b, instrument))
    assert other.status_code == 403 and "your groups" in other.json()["detail"]
    for body, reason in [
        (_body(group_a, instrument, facility="Nope"), "unknown facility"),
        (_body(group_a, instrument, end="2025-01-01T00:00:00Z"), "end must be after start"),
        (_body(group_a, instrument, hours=-1), "hours"),
        (_body(group_a, instrument, instrument_id=999999), "no such instrument"),
    ]:
        response = api(client, "post", "/api/allocations", body)
        assert response.status_code == 400, body
        assert reason in response.content.decode()


def test_it_lists_instruments_with_filters_and_telescope(victor, instrument):
    client = Client()
    client.force_login(victor)
    (item,) = client.get("/api/instruments").json()
    assert item["filters"] == ["sdssg", "sdssr", "sdssi"]
    assert item["telescope"]["nickname"] == "TCA"
    assert "/api/instruments" in client.get("/api/schema/").content.decode()
    schema = client.get("/api/schema/").content.decode()
    for path in (
        "/api/followup_requests",
        "/api/allocations/{allocation_id}/robot_token",
        "/api/facility_queue/{allocation_id}/requests",
        "/api/facility_queue/requests/{request_id}",
        "/api/allocations",
    ):
        assert path in schema, path
