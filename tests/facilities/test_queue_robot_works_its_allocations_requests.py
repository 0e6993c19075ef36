"""A request made by alice reaches the queue robot of her allocation; the robot moves it along;
every exchange is recorded; other tokens and users cannot read or change the queue."""

from __future__ import annotations

from django.test import Client

from facilities.models import FacilityExchange, FollowupRequest
from tests.facilities.conftest import api, robot, valid_parameters


def _request(client, target, allocation) -> int:
    response = api(
        client,
        "post",
        "/api/followup_requests",
        {"target": target.name, "allocation_id": allocation.pk, "parameters": valid_parameters()},
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    return response.json()["id"]


def _token(client, allocation) -> str:
    response = client.post(f"/api/allocations/{allocation.pk}/robot_token")
    assert response.status_code == 201, response.content
    return response.json()["token"]


def test_it_lets_the_robot_accept_and_complete_a_request(alice, target_a, allocation_a):
    allocation_a.admins.add(alice)
    client = Client()
    client.force_login(alice)
    request_id = _request(client, target_a, allocation_a)
    token = _token(client, allocation_a)
    bot = Client()

    queue = bot.get(
        f"/api/facility_queue/{allocation_a.pk}/requests?status=pending", headers=robot(token)
    )
    assert queue.status_code == 200
    (item,) = queue.json()
    assert item["id"] == request_id and item["target"] == target_a.name
    assert item["ra"] == target_a.ra and item["parameters"]["filters"] == ["sdssr"]

    for status in ("accepted", "observing", "completed"):
        answer = api(
            bot,
            "patch",
            f"/api/facility_queue/requests/{request_id}",
            {"status": status, "message": f"now {status}"},
            **robot(token),
        )
        assert answer.status_code == 200, answer.content
    followup = FollowupRequest.objects.get(pk=request_id)
    assert followup.status == "completed" and followup.record.status == "completed"
    assert followup.message == "now completed"

    # nothing left pending; a completed request cannot go back
    assert (
        bot.get(f"/api/facility_queue/{allocation_a.pk}/requests", headers=robot(token)).json()
        == []
    )
    back = api(
        bot,
        "patch",
        f"/api/facility_queue/requests/{request_id}",
        {"status": "pending"},
        **robot(token),
    )
    assert back.status_code == 400 and "cannot become" in back.json()["detail"]

    detail = client.get(f"/api/followup_requests/{request_id}").json()
    actions = [e["action"] for e in detail["exchanges"]]
    assert actions == ["submit", "delivered", "update", "update", "update"]
    assert detail["exchanges"][0]["by"] == "alice"
    assert detail["exchanges"][-1]["by"].startswith("robot icr_")
    assert FacilityExchange.objects.filter(request_id=request_id, ok=True).count() == 5


def test_it_refuses_other_tokens_and_users(alice, bob, target_a, allocation_a, allocation_b):
    allocation_a.admins.add(alice)
    allocation_b.admins.add(bob)
    alice_client, bob_client = Client(), Client()
    alice_client.force_login(alice)
    bob_client.force_login(bob)
    request_id = _request(alice_client, target_a, allocation_a)
    token_b = _token(bob_client, allocation_b)

    # bob cannot make a token for alice's allocation (he does not even see it)
    assert bob_client.post(f"/api/allocations/{allocation_a.pk}/robot_token").status_code == 404

    anonymous = Client()
    queue_a = f"/api/facility_queue/{allocation_a.pk}/requests"
    assert anonymous.get(queue_a).status_code == 403
    assert anonymous.get(queue_a, headers=robot("icr_not-a-token")).status_code == 403
    assert anonymous.get(queue_a, headers=robot(token_b)).status_code == 403
    # a user's session or API token is not a robot token
    assert alice_client.get(queue_a).status_code == 403
    patch = api(
        anonymous,
        "patch",
        f"/api/facility_queue/requests/{request_id}",
        {"status": "completed"},
        **robot(token_b),
    )
    assert patch.status_code == 403
    assert FollowupRequest.objects.get(pk=request_id).status == "pending"
    # bob's own queue does not show alice's request
    assert (
        anonymous.get(
            f"/api/facility_queue/{allocation_b.pk}/requests", headers=robot(token_b)
        ).json()
        == []
    )


def test_only_allocation_admins_create_robot_tokens(alice, target_a, allocation_a):
    client = Client()
    client.force_login(alice)
    response = client.post(f"/api/allocations/{allocation_a.pk}/robot_token")
    assert response.status_code == 403
    assert "admin" in response.json()["detail"]
