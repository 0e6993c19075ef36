"""LCO through TOM's LCO facility configured from the allocation: submit, status update by the
beat task, data products, cancel, and a facility error or timeout making the request failed
(resubmittable), all over real HTTP to a local server answering like LCO."""

from __future__ import annotations

import pytest
from django.test import Client
from tom_dataproducts.models import DataProduct

from facilities import tasks
from facilities.models import FollowupRequest
from tests.facilities.conftest import api, make_allocation, valid_parameters
from tests.facilities.lco_standin import FRAME_BYTES, FRAME_ID, REQUEST_ID, LCOStandIn


@pytest.fixture
def lco(settings):
    server = LCOStandIn().start()
    # the stand-in is a facility like any other: reached through the guarded fetch, allowed by
    # host:port and its loopback network, as a site admin would allow a facility's host
    settings.FETCH_ALLOWED_HOSTS = {
        **settings.FETCH_ALLOWED_HOSTS,
        "facilities": [server.url.removeprefix("http://")],
    }
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    yield server
    server.stop()


@pytest.fixture
def lco_allocation(lco, group_a, instrument):
    allocation = make_allocation(group_a, instrument, facility="LCO")
    allocation.set_credentials(
        {
            "api_key": "lco-secret-key",
            "proposal": "GRANDMA2026B-001",
            "portal_url": lco.url,
            "archive_url": lco.url,
        }
    )
    allocation.save()
    return allocation


def _submit(alice, target, allocation):
    client = Client()
    client.force_login(alice)
    response = api(
        client,
        "post",
        "/api/followup_requests",
        {
            "target": target.name,
            "allocation_id": allocation.pk,
            "parameters": valid_parameters(filters=["sdssr", "sdssg"]),
        },
    )
    assert response.status_code == 201, response.content
    return client, FollowupRequest.objects.get(pk=response.json()["id"])


def test_it_submits_polls_and_saves_data_products(
    alice, target_a, lco, lco_allocation, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client, followup = _submit(alice, target_a, lco_allocation)
    assert followup.status == "accepted" and followup.record.observation_id == str(REQUEST_ID)
    assert followup.record.facility == "LCO"
    (sent,) = [r for r in lco.received if r["method"] == "POST"]
    assert sent["authorization"] == "Token lco-secret-key"
    assert sent["body"]["proposal"] == "GRANDMA2026B-001"
    filters = [
        c["instrument_configs"][0]["optical_elements"]["filter"]
        for c in sent["body"]["requests"][0]["configurations"]
    ]
    assert filters == ["rp", "gp"]
    assert sent["body"]["requests"][0]["configurations"][0]["target"]["ra"] == target_a.ra

    assert tasks.poll_robotic_requests() == 1
    followup.refresh_from_db()
    assert followup.status == "accepted" and "PENDING" in followup.message

    lco.state = "COMPLETED"
    tasks.poll_robotic_requests()
    followup.refresh_from_db()
    assert followup.status == "completed" and followup.record.status == "completed"
    product = DataProduct.objects.get(product_id=str(FRAME_ID))
    assert product.observation_record == followup.record and product.target == target_a
    assert product.data.read() == FRAME_BYTES
    assert tasks.poll_robotic_requests() == 0  # final requests are not polled again
    actions = [
        e["action"] for e in client.get(f"/api/followup_requests/{followup.pk}").json()["exchanges"]
    ]
    assert actions == ["submit", "status", "status", "data"]


def test_a_facility_error_fails_the_request_which_can_be_resubmitted(
    alice, target_a, lco, lco_allocation
):
    lco.submit_error = {"errors": {"proposal": ["Proposal GRANDMA2026B-001 does not exist"]}}
    client, followup = _submit(alice, target_a, lco_allocation)
    assert followup.status == "failed"
    assert "Proposal GRANDMA2026B-001 does not exist" in followup.message
    assert followup.record.status == "failed"
    lco.submit_error = None
    response = client.post(f"/api/followup_requests/{followup.pk}/resubmit")
    assert response.status_code == 200 and response.json()["status"] == "accepted"


def test_a_timeout_fails_the_request_with_the_reason(
    alice, target_a, lco, lco_allocation, settings
):
    settings.FACILITY_HTTP_TIMEOUT_S = 0.3
    lco.delay_s = 1.0
    _, followup = _submit(alice, target_a, lco_allocation)
    assert followup.status == "failed" and "did not answer within 0.3 s" in followup.message
    assert followup.exchanges.get().ok is False


def test_cancel_reaches_lco(alice, target_a, lco, lco_allocation):
    client, followup = _submit(alice, target_a, lco_allocation)
    response = client.post(f"/api/followup_requests/{followup.pk}/cancel")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert any(r["path"].endswith("/cancel/") for r in lco.received)


def test_a_portal_off_the_allow_list_is_never_contacted(alice, target_a, lco, lco_allocation):
    credentials = lco_allocation.get_credentials()
    lco_allocation.set_credentials({**credentials, "portal_url": "https://lco.example.org"})
    lco_allocation.save()
    _, followup = _submit(alice, target_a, lco_allocation)
    assert followup.status == "failed"
    assert "not on the allow-list (FETCH_ALLOWED_HOSTS_FACILITIES)" in followup.message
    assert lco.received == []
