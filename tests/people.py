"""The named people of permission tests, in one place: alice (Full user in group A), bob (Full
user in group B), victor (View only in A), carol (admin of A), a super admin, and ursula (in A,
awaiting approval). Registered for the whole suite by the root conftest; a directory whose
people differ (an e-mail address, another role) overrides a fixture in its own conftest."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts import acl, services


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, role: str, *groups: Group, active: bool = True, admin_of=()):
    """A user holding one role, member of ``groups`` (admin of those in ``admin_of``); the
    password is ``pw-<username>``."""
    user = get_user_model().objects.create_user(
        username=username, password="pw-" + username, is_active=active
    )
    services.set_only_role(user, role)
    for group in groups:
        services.add_member(group, user, admin=group in admin_of)
    return user


@pytest.fixture
def group_a(db):
    return Group.objects.create(name="GRANDMA-A")


@pytest.fixture
def group_b(db):
    return Group.objects.create(name="GRANDMA-B")


@pytest.fixture
def alice(group_a):
    return make_user("alice", acl.FULL_USER, group_a)


@pytest.fixture
def bob(group_b):
    return make_user("bob", acl.FULL_USER, group_b)


@pytest.fixture
def viewer(group_a):
    return make_user("victor", acl.VIEW_ONLY, group_a)


@pytest.fixture
def victor(viewer):
    """The View-only member under his own name."""
    return viewer


@pytest.fixture
def carol(group_a):
    return make_user("carol", acl.GROUP_ADMIN, group_a, admin_of=(group_a,))


@pytest.fixture
def superadmin(db):
    user = get_user_model().objects.create_superuser(username="root", password="pw-root")
    services.assign_role(user, acl.SUPER_ADMIN)
    return user


@pytest.fixture
def unapproved(group_a):
    return make_user("ursula", acl.FULL_USER, group_a, active=False)
