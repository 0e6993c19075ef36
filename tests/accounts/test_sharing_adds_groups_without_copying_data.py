"""'Share with' adds groups to a target: one permission row each, no copy of the data."""

import pytest
from django.test import Client
from tom_targets.models import Target

from accounts import access
from sources.models import Photometry
from tests.accounts.conftest import refused


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_shares_a_target_with_another_group_without_copying(alice, bob, group_b, target_a):
    assert not access.visible_targets(bob).filter(pk=target_a.pk).exists()
    targets, points = Target.objects.count(), Photometry.objects.count()

    response = _client(alice).post(f"/targets/{target_a.pk}/access/", {"groups": [group_b.pk]})

    assert response.status_code == 302
    assert access.visible_targets(bob).filter(pk=target_a.pk).exists()
    assert access.visible_to(bob, Photometry.objects.all()).count() == 3
    assert (Target.objects.count(), Photometry.objects.count()) == (targets, points)
    assert set(access.owning_groups(target_a).values_list("name", flat=True)) == {
        "GRANDMA-A",
        "GRANDMA-B",
    }
    page = _client(bob).get(f"/targets/{target_a.pk}/")
    assert page.status_code == 200


@pytest.mark.django_db
def test_it_refuses_sharing_to_view_only_users_and_outsiders(viewer, bob, group_b, target_a):
    response = _client(viewer).post(f"/targets/{target_a.pk}/access/", {"groups": [group_b.pk]})
    assert refused(response)
    hidden = _client(bob).post(f"/targets/{target_a.pk}/access/", {"groups": [group_b.pk]})
    assert hidden.status_code == 404
    assert not access.visible_targets(bob).filter(pk=target_a.pk).exists()


@pytest.mark.django_db
def test_it_shows_owning_groups_on_the_access_page(alice, target_a):
    page = _client(alice).get(f"/targets/{target_a.pk}/access/")
    assert page.status_code == 200
    assert "GRANDMA-A" in page.content.decode()
    assert "Share with" in page.content.decode()
