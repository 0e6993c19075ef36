"""Roles carry ACLs; effective ACLs are roles' ACLs plus individual grants."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from accounts import access, acl, services


@pytest.mark.django_db
def test_it_makes_new_users_full_users(db):
    user = get_user_model().objects.create_user(username="newbie", password="x")
    assert access.roles_of(user) == [acl.FULL_USER]
    assert access.effective_acls(user) == frozenset(acl.ROLE_ACLS[acl.FULL_USER])


@pytest.mark.django_db
def test_it_unions_roles_and_grants_and_revokes_grants(viewer):
    assert access.effective_acls(viewer) == frozenset()
    services.grant_acl(viewer, acl.MANAGE_GCNS)
    assert access.effective_acls(viewer) == {acl.MANAGE_GCNS}
    services.assign_role(viewer, acl.GROUP_ADMIN)
    assert access.effective_acls(viewer) == {acl.MANAGE_GCNS, *acl.ROLE_ACLS[acl.GROUP_ADMIN]}
    assert services.revoke_acl(viewer, acl.MANAGE_GCNS)
    assert not access.has_acl(viewer, acl.MANAGE_GCNS)
    with pytest.raises(ValueError, match="unknown ACL"):
        services.grant_acl(viewer, "Launch rockets")


@pytest.mark.django_db
def test_it_gives_super_admins_every_acl_and_inactive_users_none(superadmin, unapproved):
    assert access.effective_acls(superadmin) == frozenset(acl.ALL_ACLS)
    assert access.effective_acls(unapproved) == frozenset()


@pytest.mark.django_db
def test_it_lists_roles_and_effective_acls_on_the_profile_page(viewer):
    services.grant_acl(viewer, acl.POST_TAXONOMY)
    client = Client()
    client.force_login(viewer)
    body = client.get("/users/profile/").content.decode()
    assert acl.VIEW_ONLY in body
    assert acl.POST_TAXONOMY in body
    assert "granted" in body
    assert acl.COMMENT not in body


@pytest.mark.django_db
def test_it_applies_ownership_rules_to_uploaded_data(alice, viewer, bob, target_a):
    from sources.models import Photometry

    point = Photometry.objects.filter(target=target_a).first()
    point.owner = viewer
    point.save()
    assert access.may_modify(viewer, point, acl.MANAGE_PHOTOMETRY)  # the uploader
    assert not access.may_modify(alice, point, acl.MANAGE_PHOTOMETRY)
    services.grant_acl(alice, acl.MANAGE_PHOTOMETRY)
    assert access.may_modify(alice, point, acl.MANAGE_PHOTOMETRY)
    services.grant_acl(bob, acl.MANAGE_PHOTOMETRY)
    assert not access.may_modify(bob, point, acl.MANAGE_PHOTOMETRY)  # not his group's target
