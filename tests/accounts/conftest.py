"""People and data for access tests: alice (group A), bob (group B), a view-only member of A,
a group admin of A, a super admin, and an account still awaiting approval (in group A)."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from tom_targets.models import Target, TargetName

from accounts import acl, services

SECRET_NAME = "ZTF26secretAlice"
SECRET_ALIAS = "AT2026secretAlias"


def refused(response) -> bool:
    """403, which TOM Toolkit turns into a redirect to the login page for browser URLs."""
    location = response.headers.get("Location", "")
    return response.status_code == 403 or (
        response.status_code == 302 and location.startswith("/accounts/login/")
    )


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def make_user(username: str, role: str, *groups: Group, active: bool = True, admin_of=()):
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


@pytest.fixture
def target_a(group_a):
    """A target owned by group A, with photometry, named so a leak is easy to spot."""
    target = Target.objects.create(name=SECRET_NAME, type="SIDEREAL", ra=150.1, dec=2.2)
    services.assign_target_to_groups(target, [group_a])
    TargetName.objects.create(target=target, name=SECRET_ALIAS)
    from sources.models import Photometry

    Photometry.objects.bulk_create(
        [
            Photometry(
                target=target,
                mjd=61000.0 + i,
                band="ztfg",
                instrument="ZTF",
                flux=10.0 + i,
                fluxerr=1.0,
                mag=21.4 - 0.1 * i,
                magerr=0.1,
                origin="alert",
                measurement_key=1000 + i,
            )
            for i in range(3)
        ]
    )
    return target
