"""Roles and the named permissions (ACLs) they carry. Django-free, so anything may import it.

A role is a named bundle of ACLs; a user's effective ACLs are the union of their roles'
ACLs and the ACLs granted to them individually. Viewing data needs no ACL: it follows group
membership (see ``accounts.access``).
"""

from __future__ import annotations

COMMENT = "Comment"
ANNOTATE = "Annotate"
CLASSIFY = "Classify"
UPLOAD_DATA = "Upload data"
REQUEST_OBSERVATIONS = "Request observations"
MANAGE_SOURCES = "Manage sources"
MANAGE_PHOTOMETRY = "Manage photometry"
MANAGE_SHIFTS = "Manage shifts"
MANAGE_GROUPS = "Manage groups"
MANAGE_USERS = "Manage users"
MANAGE_GCNS = "Manage GCNs"
MANAGE_ALLOCATIONS = "Manage allocations"
MANAGE_INSTRUMENTS = "Manage instruments"
MANAGE_OBSERVATION_PLANS = "Manage observation plans"
POST_TAXONOMY = "Post taxonomy"
SYSTEM_ADMIN = "System admin"

ALL_ACLS: tuple[str, ...] = (
    COMMENT,
    ANNOTATE,
    CLASSIFY,
    UPLOAD_DATA,
    REQUEST_OBSERVATIONS,
    MANAGE_SOURCES,
    MANAGE_PHOTOMETRY,
    MANAGE_SHIFTS,
    MANAGE_GROUPS,
    MANAGE_USERS,
    MANAGE_GCNS,
    MANAGE_ALLOCATIONS,
    MANAGE_INSTRUMENTS,
    MANAGE_OBSERVATION_PLANS,
    POST_TAXONOMY,
    SYSTEM_ADMIN,
)

VIEW_ONLY = "View only"
FULL_USER = "Full user"
GROUP_ADMIN = "Group admin"
SUPER_ADMIN = "Super admin"

_FULL_USER_ACLS = (COMMENT, ANNOTATE, CLASSIFY, UPLOAD_DATA, REQUEST_OBSERVATIONS)

ROLE_ACLS: dict[str, tuple[str, ...]] = {
    VIEW_ONLY: (),
    FULL_USER: _FULL_USER_ACLS,
    GROUP_ADMIN: (*_FULL_USER_ACLS, MANAGE_SOURCES, MANAGE_SHIFTS),
    SUPER_ADMIN: ALL_ACLS,
}
ALL_ROLES: tuple[str, ...] = tuple(ROLE_ACLS)
DEFAULT_ROLE = FULL_USER

# Roles whose holders may create groups (and so become their admins).
GROUP_CREATOR_ROLES = frozenset({FULL_USER, GROUP_ADMIN, SUPER_ADMIN})


def acl_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in ALL_ACLS]


def role_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in ALL_ROLES]
