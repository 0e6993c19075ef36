"""Changes to roles, ACLs, groups, sharing and public links. Views and commands call these."""

from __future__ import annotations

import logging

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from tom_targets.models import Target

from accounts import access, acl
from accounts.models import (
    ACLGrant,
    GroupAdministrator,
    JoinRequest,
    Notification,
    PublicLink,
    UserRole,
)
from accounts.refusals import Forbidden

security_logger = logging.getLogger("accounts.security")


class AccessDenied(Forbidden):
    """The acting user may not do this (403, see ``accounts.refusals``)."""


# --------------------------------------------------------------------------- roles, ACLs


def assign_role(user, role: str) -> None:
    """Give a user a role. Super admin also makes the account a Django superuser."""
    if role not in acl.ROLE_ACLS:
        raise ValueError(f"unknown role {role!r}; known: {', '.join(acl.ALL_ROLES)}")
    UserRole.objects.get_or_create(user=user, role=role)
    if role == acl.SUPER_ADMIN and not (user.is_superuser and user.is_staff):
        user.is_superuser = user.is_staff = True
        user.save(update_fields=["is_superuser", "is_staff"])
    _forget_cached_acls(user)


def remove_role(user, role: str) -> None:
    UserRole.objects.filter(user=user, role=role).delete()
    if role == acl.SUPER_ADMIN and user.is_superuser:
        user.is_superuser = user.is_staff = False
        user.save(update_fields=["is_superuser", "is_staff"])
    _forget_cached_acls(user)


def set_only_role(user, role: str) -> None:
    """Make ``role`` the user's single role."""
    with transaction.atomic():
        for other in UserRole.objects.filter(user=user).exclude(role=role):
            remove_role(user, other.role)
        assign_role(user, role)


def grant_acl(user, name: str, granted_by=None) -> bool:
    """Grant one named ACL; True when it was new."""
    if name not in acl.ALL_ACLS:
        raise ValueError(f"unknown ACL {name!r}; known: {', '.join(acl.ALL_ACLS)}")
    _, created = ACLGrant.objects.get_or_create(
        user=user, acl=name, defaults={"granted_by": granted_by}
    )
    _forget_cached_acls(user)
    return created


def revoke_acl(user, name: str) -> bool:
    """Revoke an individual grant; True when there was one. Role ACLs stay with the role."""
    if name not in acl.ALL_ACLS:
        raise ValueError(f"unknown ACL {name!r}; known: {', '.join(acl.ALL_ACLS)}")
    deleted, _ = ACLGrant.objects.filter(user=user, acl=name).delete()
    _forget_cached_acls(user)
    return bool(deleted)


def _forget_cached_acls(user) -> None:
    for attribute in ("_icare_acls", "_icare_group_ids"):
        if hasattr(user, attribute):
            delattr(user, attribute)


# --------------------------------------------------------------------------- groups


def sitewide_group() -> Group:
    return Group.objects.get_or_create(name=access.sitewide_group_name())[0]


def create_group(name: str, creator=None) -> Group:
    """Create a group; its creator (a Full user or above) becomes a member and its admin."""
    name = name.strip()
    if not name:
        raise ValueError("a group needs a name")
    if Group.objects.filter(name__iexact=name).exists():
        raise ValueError(f"a group named {name!r} already exists")
    if creator is not None and not access.may_create_groups(creator):
        raise AccessDenied("only Full users and above may create groups")
    with transaction.atomic():
        group = Group.objects.create(name=name)
        if creator is not None:
            add_member(group, creator, admin=True)
    security_logger.info("group %s created by %s", name, creator)
    return group


def add_member(group: Group, user, admin: bool = False) -> None:
    user.groups.add(group)
    if admin:
        GroupAdministrator.objects.get_or_create(group=group, user=user)
    _forget_cached_acls(user)


def remove_member(group: Group, user) -> None:
    if group.name == access.sitewide_group_name():
        raise ValueError("every approved user belongs to the sitewide group")
    with transaction.atomic():
        GroupAdministrator.objects.filter(group=group, user=user).delete()
        user.groups.remove(group)
    _forget_cached_acls(user)


def set_group_admin(group: Group, user, admin: bool) -> None:
    if not user.groups.filter(pk=group.pk).exists():
        raise ValueError(f"{user} is not a member of {group}")
    if admin:
        GroupAdministrator.objects.get_or_create(group=group, user=user)
    else:
        GroupAdministrator.objects.filter(group=group, user=user).delete()


def request_to_join(group: Group, user) -> JoinRequest:
    if user.groups.filter(pk=group.pk).exists():
        raise ValueError(f"you are already a member of {group}")
    request, created = JoinRequest.objects.get_or_create(
        group=group, user=user, status=JoinRequest.PENDING
    )
    if created:
        url = reverse("accounts:group-detail", args=[group.pk])
        for admin in GroupAdministrator.objects.filter(group=group).select_related("user"):
            notify(admin.user, f"{user.username} asks to join {group.name}", url)
    return request


def decide_join_request(join_request: JoinRequest, decided_by, accept: bool) -> None:
    if not access.is_group_admin(decided_by, join_request.group_id):
        raise AccessDenied("only the group's admins decide join requests")
    if join_request.status != JoinRequest.PENDING:
        raise ValueError("this request was already decided")
    with transaction.atomic():
        join_request.status = JoinRequest.ACCEPTED if accept else JoinRequest.DECLINED
        join_request.decided_by = decided_by
        join_request.decided = timezone.now()
        join_request.save()
        if accept:
            add_member(join_request.group, join_request.user)
    verdict = "accepted" if accept else "declined"
    notify(join_request.user, f"Your request to join {join_request.group.name} was {verdict}")


# --------------------------------------------------------------------------- registration


def notify(recipient, message: str, url: str = "") -> Notification:
    return Notification.objects.create(recipient=recipient, message=message[:300], url=url)


def notify_super_admins_of_registration(user) -> None:
    """In-app notice to every active super admin that a registration awaits approval."""
    url = reverse("user-list")
    for admin in get_user_model().objects.filter(is_superuser=True, is_active=True):
        notify(admin, f"New registration awaiting approval: {user.username}", url)


def approve_user(user, approved_by=None) -> None:
    """Activate an account awaiting approval (the same thing TOM's approval view does)."""
    if not user.is_active:
        user.is_active = True
        user.save(update_fields=["is_active"])
        security_logger.info("registration of %s approved by %s", user.username, approved_by)


def on_user_saved(user, created: bool) -> None:
    """New accounts start as Full users; approved accounts join the sitewide group."""
    if created and not UserRole.objects.filter(user=user).exists():
        UserRole.objects.create(user=user, role=acl.DEFAULT_ROLE)
        if user.is_superuser:
            UserRole.objects.get_or_create(user=user, role=acl.SUPER_ADMIN)
    if user.is_active:
        user.groups.add(sitewide_group())
    if created and not user.is_active:
        notify_super_admins_of_registration(user)


# --------------------------------------------------------------------------- API tokens


def create_api_token(user) -> Token:
    """A fresh token for the user, replacing (and so revoking) any previous one."""
    with transaction.atomic():
        Token.objects.filter(user=user).delete()
        return Token.objects.create(user=user)


def revoke_api_token(user) -> bool:
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)


# --------------------------------------------------------------------------- sharing


def share_target(user, target: Target, groups: QuerySet[Group] | list[Group]) -> list[Group]:
    """Add groups to a target (no copy of the data: one permission row per group).

    Returns the groups that were newly added.
    """
    if not access.may_share(user, target):
        raise AccessDenied("you may not share this target")
    already = set(access.owning_groups(target).values_list("id", flat=True))
    added = [group for group in groups if group.pk not in already]
    if not access.may_add_groups(user, target, added):
        raise AccessDenied(
            "sharing with the sitewide group publishes the target: only those who may "
            "publish it may do that"
        )
    access.grant_view(target, added)
    security_logger.info("target %s shared with %s by %s", target.pk, [g.name for g in added], user)
    return added


def assign_target_to_groups(target: Target, groups) -> None:
    """Make ``groups`` owners of ``target`` (ingest and uploads; no user check)."""
    access.grant_view(target, groups)


# --------------------------------------------------------------------------- public links


def publish_target(user, target: Target) -> PublicLink:
    if not access.may_publish(user, target):
        raise AccessDenied("you may not publish this target")
    group = access.owning_groups(target).filter(id__in=access.user_group_ids(user)).first()
    if group is None:  # a super admin outside the owning groups publishes for the first owner
        group = access.owning_groups(target).first()
    if group is None:
        raise ValueError("this target belongs to no group")
    link = PublicLink.objects.create(target=target, group=group, created_by=user)
    security_logger.info("public link %s for target %s by %s", link.pk, target.pk, user)
    return link


def revoke_public_link(user, link: PublicLink) -> None:
    if not access.may_publish(user, link.target):
        raise AccessDenied("you may not revoke this link")
    if link.revoked is None:
        link.revoked = timezone.now()
        link.revoked_by = user
        link.save(update_fields=["revoked", "revoked_by"])
        security_logger.info("public link %s revoked by %s", link.pk, user)
