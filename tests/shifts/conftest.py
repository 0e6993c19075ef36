"""Group A: carol (its admin, may manage shifts), alice, dave and erin (members); bob in B."""

from __future__ import annotations

import pytest

from accounts import acl
from tests.people import make_user


@pytest.fixture
def dave(group_a):
    return make_user("dave", acl.FULL_USER, group_a)


@pytest.fixture
def erin(group_a):
    return make_user("erin", acl.FULL_USER, group_a)
