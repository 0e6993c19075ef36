"""Bad follow-up requests are refused with the reason: 400 for bad values, 403 for another
group's allocation or a missing ACL, 404 for a target one cannot see."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from facilities.models import FollowupRequest
from tests.facilities.conftest import api, make_allocation, valid_parameters


def _post(user, target_name, allocation_id, parameters):
    client = Client()
    client.force_login(user)
    return api(
        client,
        "post",
        "/api/followup_requests",
        {"target": target_name, "allocation_id": allocation_id, "parameters": parameters},
    )


@pytest.mark.parametrize(
    "overrides, reason",
    [
        ({"filters": ["ztfg"]}, "not one of TAROT-Calern's filters"),
        ({"filters": []}, "filters"),
        ({"exposure_time": 0}, "exposure_time must be > 0"),
        ({"exposure_time": -5}, "exposure_time must be > 0"),
        ({"exposure_time": "long"}, "exposure_time"),
        ({"priority": 9}, "priority"),
        ({"exposure_count": 0}, "exposure_count"),
        ({"end": "2001-01-01T00:00:00Z", "start": "2000-12-31T00:00:00Z"}, "in the past"),
        ({"end": "not a date"}, "end"),
        ({"comment": "x" * 5000}, "comment"),
    ],
)
def test_it_refuses_bad_parameters(alice, target_a, allocation_a, overrides, reason):
    response = _post(alice, target_a.name, allocation_a.pk, valid_parameters(**overrides))
    assert response.status_code == 400, response.content
    assert reason in response.json()["detail"]
    assert not FollowupRequest.objects.exists()


def test_it_refuses_another_groups_allocation(alice, target_a, allocation_b):
    response = _post(alice, target_a.name, allocation_b.pk, valid_parameters())
    assert response.status_code == 403
    assert "another group" in response.json()["detail"]


def test_it_refuses_an_expired_allocation(alice, target_a, group_a, instrument):
    expired = make_allocation(group_a, instrument)
    expired.start = timezone.now() - timedelta(days=60)
    expired.end = timezone.now() - timedelta(days=1)
    expired.save()
    response = _post(alice, target_a.name, expired.pk, valid_parameters())
    assert response.status_code == 400
    assert "not valid now" in response.json()["detail"]


def test_it_refuses_view_only_members(victor, target_a, allocation_a):
    response = _post(victor, target_a.name, allocation_a.pk, valid_parameters())
    assert response.status_code == 403
    assert "Request observations" in response.json()["detail"]


def test_it_hides_targets_of_other_groups(bob, target_a, allocation_b):
    response = _post(bob, target_a.name, allocation_b.pk, valid_parameters())
    assert response.status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"target": "x", "allocation_id": "abc", "parameters": {}},
        {"target": "x", "allocation_id": 1, "parameters": "nope"},
        {"target": "x" * 5000, "allocation_id": 1, "parameters": {}},
        {"target": "x", "allocation_id": 10**30, "parameters": {}},
    ],
)
def test_it_answers_malformed_bodies_with_400(alice, target_a, allocation_a, body):
    client = Client()
    client.force_login(alice)
    response = api(client, "post", "/api/followup_requests", body)
    assert response.status_code in (400, 404), response.content
