"""A self-registered account sees nothing until a super admin, notified in-app, approves it."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts import access, acl
from accounts.models import Notification


@pytest.mark.django_db
def test_it_registers_inactive_notifies_super_admins_and_approval_opens_access(
    superadmin, target_a
):
    signup = Client().post(
        "/accounts/signup/",
        {
            "username": "newcomer",
            "email": "newcomer@example.org",
            "password1": "a-long-passphrase-42",
            "password2": "a-long-passphrase-42",
        },
    )
    assert signup.status_code in (200, 302)
    user = get_user_model().objects.get(username="newcomer")
    assert not user.is_active
    assert access.roles_of(user) == []  # nothing while unapproved
    note = Notification.objects.get(recipient=superadmin)
    assert "newcomer" in note.message

    login = Client().post(
        "/accounts/login/", {"login": "newcomer", "password": "a-long-passphrase-42"}
    )
    assert "_auth_user_id" not in login.client.session
    assert access.visible_targets(user).count() == 0

    admin = Client()
    admin.force_login(superadmin)
    notifications = admin.get("/notifications/")
    assert "newcomer" in notifications.content.decode()
    approved = admin.post(f"/users/{user.pk}/approve/")
    assert approved.status_code == 302

    user.refresh_from_db()
    assert user.is_active
    assert access.roles_of(user) == [acl.FULL_USER]
    assert user.groups.filter(name=access.sitewide_group_name()).exists()
    assert Client().login(username="newcomer", password="a-long-passphrase-42")


@pytest.mark.django_db
def test_it_refuses_approval_by_anyone_but_a_super_admin(alice, unapproved):
    client = Client()
    client.force_login(alice)
    client.post(f"/users/{unapproved.pk}/approve/")
    unapproved.refresh_from_db()
    assert not unapproved.is_active
