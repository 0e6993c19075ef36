"""The allocations page: Manage allocations creates (credentials never shown again), an
allocation admin makes a robot token shown once and revokes it; the instrument page draws the
fields and lets Manage instruments edit filters and timings."""

from __future__ import annotations

from django.test import Client

from accounts import acl, services
from facilities.models import Allocation, InstrumentField, RobotToken


def test_allocations_are_created_and_tokens_shown_once(alice, bob, group_a, instrument):
    services.grant_acl(alice, acl.MANAGE_ALLOCATIONS)
    client = Client()
    client.force_login(type(alice).objects.get(pk=alice.pk))
    response = client.post(
        "/allocations/",
        {
            "action": "create",
            "group": group_a.pk,
            "instrument": instrument.pk,
            "facility": "Queue",
            "pi": "S. Antier",
            "hours": "12",
            "start": "2026-01-01T00:00Z",
            "end": "2027-12-31T00:00Z",
            "credentials": "api_key=top-secret-123\nproposal=G1",
        },
    )
    assert response.status_code == 302
    allocation = Allocation.objects.get()
    assert allocation.get_credentials() == {"api_key": "top-secret-123", "proposal": "G1"}
    page = client.get("/allocations/").content.decode()
    assert "top-secret-123" not in page and "stored (encrypted)" in page

    made = client.post("/allocations/", {"action": "token", "allocation": allocation.pk})
    token = made.content.decode().split('id="robot-token">')[1].split("</pre>")[0]
    assert token.startswith("icr_") and RobotToken.objects.filter(revoked=None).count() == 1
    assert token not in client.get("/allocations/").content.decode()
    live = RobotToken.objects.get()
    client.post(
        "/allocations/", {"action": "revoke", "allocation": allocation.pk, "token": live.pk}
    )
    assert RobotToken.objects.get().revoked is not None
    queue = Client().get(
        f"/api/facility_queue/{allocation.pk}/requests", headers={"Authorization": f"Robot {token}"}
    )
    assert queue.status_code == 403

    client.post(
        "/allocations/",
        {
            "action": "edit",
            "allocation": allocation.pk,
            "pi": "M. Coughlin",
            "hours": "20",
            "start": "2026-01-01T00:00Z",
            "end": "2028-01-01T00:00Z",
            "credentials": "",
        },
    )
    allocation.refresh_from_db()
    assert allocation.pi == "M. Coughlin" and allocation.hours == 20
    assert allocation.get_credentials()["api_key"] == "top-secret-123"  # kept

    outsider = Client()
    outsider.force_login(bob)
    assert "S. Antier" not in outsider.get("/allocations/").content.decode()
    refused = outsider.post("/allocations/", {"action": "token", "allocation": allocation.pk})
    assert refused.status_code == 404
    bad = outsider.post("/allocations/", {"action": "create", "group": group_a.pk})
    assert bad.status_code == 302 and Allocation.objects.count() == 1


def test_instrument_page_draws_fields_and_edits_need_the_acl(alice, instrument):
    InstrumentField.objects.create(instrument=instrument, field_id=1, ra=10.0, dec=20.0)
    client = Client()
    client.force_login(alice)
    page = client.get(f"/instruments/{instrument.pk}/").content.decode()
    assert 'id="fields-map"' in page and "[[10.0, 20.0]]" in page
    assert client.post(f"/instruments/{instrument.pk}/", {"filters": "sdssg"}).status_code == 403
    services.grant_acl(alice, acl.MANAGE_INSTRUMENTS)
    client.force_login(type(alice).objects.get(pk=alice.pk))
    client.post(f"/instruments/{instrument.pk}/", {"filters": "sdssg Johnson-V"})
    instrument.refresh_from_db()
    assert instrument.filters == ["sdssg", "sdssr", "sdssi"]  # refused: not an sncosmo band
    client.post(f"/instruments/{instrument.pk}/", {"filters": "sdssg bessellv", "readout": "4"})
    instrument.refresh_from_db()
    assert instrument.filters == ["sdssg", "bessellv"] and instrument.readout == 4
    assert client.get("/instruments/999999/").status_code == 404
