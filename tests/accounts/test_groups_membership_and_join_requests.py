"""Full users create groups and administer them; others ask to join and an admin decides."""

import pytest
from django.contrib.auth.models import Group
from django.test import Client

from accounts import access, services
from accounts.models import GroupAdministrator, Notification
from tests.accounts.conftest import refused


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_makes_the_creator_of_a_group_its_admin(alice, viewer):
    response = _client(alice).post("/groups/", {"name": "Kilonova hunters"})
    group = Group.objects.get(name="Kilonova hunters")
    assert response.status_code == 302
    assert GroupAdministrator.objects.filter(group=group, user=alice).exists()
    assert access.is_group_admin(alice, group)
    assert refused(_client(viewer).post("/groups/", {"name": "Viewers only"}))
    assert not Group.objects.filter(name="Viewers only").exists()
    duplicate = _client(alice).post("/groups/", {"name": "kilonova HUNTERS"}, follow=True)
    assert "already exists" in duplicate.content.decode()


@pytest.mark.django_db
def test_it_runs_a_join_request_from_asking_to_membership(bob, carol, group_a):
    assert _client(bob).post(f"/groups/{group_a.pk}/join/").status_code == 302
    assert Notification.objects.filter(recipient=carol, message__contains="bob").exists()
    join_request = group_a.join_requests.get(user=bob)

    assert _client(bob).get(f"/groups/{group_a.pk}/").status_code == 404
    decided = _client(carol).post(
        f"/groups/{group_a.pk}/requests/{join_request.pk}/", {"decision": "accept"}
    )
    assert decided.status_code == 302
    assert bob.groups.filter(pk=group_a.pk).exists()
    assert Notification.objects.filter(recipient=bob, message__contains="accepted").exists()


@pytest.mark.django_db
def test_it_lets_only_group_admins_manage_members(alice, bob, carol, group_a):
    response = _client(alice).post(f"/groups/{group_a.pk}/members/add/", {"username": "bob"})
    assert refused(response)
    assert not bob.groups.filter(pk=group_a.pk).exists()

    _client(carol).post(f"/groups/{group_a.pk}/members/add/", {"username": "bob"})
    assert bob.groups.filter(pk=group_a.pk).exists()
    _client(carol).post(f"/groups/{group_a.pk}/members/{bob.pk}/admin/", {"is_admin": "on"})
    assert access.is_group_admin(bob, group_a)
    _client(carol).post(f"/groups/{group_a.pk}/members/{bob.pk}/remove/")
    assert not bob.groups.filter(pk=group_a.pk).exists()
    assert not GroupAdministrator.objects.filter(group=group_a, user=bob).exists()


@pytest.mark.django_db
def test_it_keeps_every_approved_user_in_the_sitewide_group(alice, unapproved):
    sitewide = services.sitewide_group()
    assert alice.groups.filter(pk=sitewide.pk).exists()
    with pytest.raises(ValueError, match="sitewide"):
        services.remove_member(sitewide, alice)
    assert not access.groups_of(unapproved).exists()
