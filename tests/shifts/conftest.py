"""Group A: carol (its admin, may manage shifts), alice, dave and erin (members); bob in B."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group

from accounts import acl
from tests.accounts.conftest import make_user


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def group_a(db):
    return Group.objects.create(name="GRANDMA-A")


@pytest.fixture
def group_b(db):
    return Group.objects.create(name="GRANDMA-B")


@pytest.fixture
def carol(group_a):
    return make_user("carol", acl.GROUP_ADMIN, group_a, admin_of=(group_a,))


@pytest.fixture
def alice(group_a):
    return make_user("alice", acl.FULL_USER, group_a)


@pytest.fixture
def dave(group_a):
    return make_user("dave", acl.FULL_USER, group_a)


@pytest.fixture
def erin(group_a):
    return make_user("erin", acl.FULL_USER, group_a)


@pytest.fixture
def bob(group_b):
    return make_user("bob", acl.FULL_USER, group_b)
