"""A follow-up request's status changes are told to its requester and to the allocation's
admins (notification kind ``followup``), once per change."""

from __future__ import annotations

from django.test import Client

from notifications.models import Notification
from tests.facilities.conftest import api, robot, valid_parameters


def test_it_tells_the_requester_and_the_allocation_admins(alice, victor, target_a, allocation_a):
    allocation_a.admins.add(alice, victor)
    client = Client()
    client.force_login(alice)
    response = api(
        client,
        "post",
        "/api/followup_requests",
        {
            "target": target_a.name,
            "allocation_id": allocation_a.pk,
            "parameters": valid_parameters(),
        },
    )
    assert response.status_code == 201, response.content
    request_id = response.json()["id"]
    assert not Notification.objects.filter(kind="followup").exists()  # created, not changed
    token = client.post(f"/api/allocations/{allocation_a.pk}/robot_token")
    assert token.status_code == 201, token.content
    bot = Client()
    for status in ("accepted", "completed"):
        answer = api(
            bot,
            "patch",
            f"/api/facility_queue/requests/{request_id}",
            {"status": status, "message": f"now {status}"},
            **robot(token.json()["token"]),
        )
        assert answer.status_code == 200, answer.content
    for user in (alice, victor):
        texts = list(
            Notification.objects.filter(recipient=user, kind="followup")
            .order_by("id")
            .values_list("text", flat=True)
        )
        assert len(texts) == 2, texts
        assert texts[0].startswith(f"Follow-up of {target_a.name} on ")
        assert texts[0].endswith(": accepted (now accepted)")
        assert texts[1].endswith(": completed (now completed)")
