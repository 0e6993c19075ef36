"""The single place that answers "what may this user see and do".

Every view, API endpoint and admin list filters through these functions. Seeing data
follows group membership: a target belongs to the groups holding ``view_target`` on it
(``TargetGroupObjectPermission``). Doing things follows ACLs (``accounts.acl``). Inactive
accounts — including registrations still awaiting approval — see nothing and may do nothing.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from tom_targets.models import Target

from accounts import acl
from accounts.models import (
    ACLGrant,
    GroupAdministrator,
    PublicLink,
    TargetGroupObjectPermission,
    UserRole,
)

# The one rule of seeing data: a group sees a target when it holds this permission on it.
VIEW_TARGET_APP, VIEW_TARGET_CODENAME = "tom_targets", "view_target"


def view_target_permission() -> Permission:
    return Permission.objects.get(
        content_type__app_label=VIEW_TARGET_APP, codename=VIEW_TARGET_CODENAME
    )


def is_approved(user) -> bool:
    """A signed-in account that is active (approved by a super admin when registration needs it)."""
    return (
        user is not None
        and not isinstance(user, AnonymousUser)
        and user.is_authenticated
        and user.is_active
    )


def is_super_admin(user) -> bool:
    return is_approved(user) and user.is_superuser


def user_group_ids(user) -> list[int]:
    if not is_approved(user):
        return []
    cached = getattr(user, "_icare_group_ids", None)
    if cached is None:
        cached = list(user.groups.values_list("id", flat=True))
        user._icare_group_ids = cached
    return cached


def _view_target_permission_id() -> Subquery:
    """view_target's id as a scalar subquery: PostgreSQL evaluates it once (an InitPlan),
    which keeps the semi-join a plain index probe instead of a join through auth tables."""
    return Subquery(
        Permission.objects.filter(
            content_type__app_label=VIEW_TARGET_APP, codename=VIEW_TARGET_CODENAME
        ).values("id")[:1]
    )


def _grants_for(user, target_ref: OuterRef) -> QuerySet:
    return TargetGroupObjectPermission.objects.filter(
        content_object=target_ref,
        group_id__in=user_group_ids(user),
        permission_id=_view_target_permission_id(),
    )


def visible_targets(user, queryset: QuerySet[Target] | None = None) -> QuerySet[Target]:
    """Targets one of the user's groups may view (all of them for a super admin).

    Two queries whatever the page size: the user's group ids, then one semi-join.
    """
    queryset = Target.objects.all() if queryset is None else queryset
    if is_super_admin(user):
        return queryset
    if not is_approved(user):
        return queryset.none()
    return queryset.filter(Exists(_grants_for(user, OuterRef("pk"))))


def visible_to(user, queryset: QuerySet, target_field: str = "target") -> QuerySet:
    """Rows of any model hanging off a target (candidates, photometry, …) the user may see."""
    if is_super_admin(user):
        return queryset
    if not is_approved(user):
        return queryset.none()
    return queryset.filter(Exists(_grants_for(user, OuterRef(f"{target_field}_id"))))


def can_view_target(user, target: Target | int) -> bool:
    target_id = target if isinstance(target, int) else target.pk
    return visible_targets(user, Target.objects.filter(pk=target_id)).exists()


def target_for(user, *, name: str | None = None, pk: int | str | None = None) -> Target:
    """The target called ``name`` (or with id ``pk``) if one of the user's groups may see it.

    Raises ``Http404`` otherwise — the same answer for a target that does not exist, one of
    another group, and an id that is not an id — so a refusal never confirms existence.
    """
    from django.http import Http404

    if (name is None) == (pk is None):
        raise TypeError("target_for takes exactly one of name= or pk=")
    if pk is not None:
        try:
            pk = int(pk)
        except (TypeError, ValueError):
            raise Http404("no such target") from None
        if not -(2**63) <= pk < 2**63:
            raise Http404("no such target")
        queryset = Target.objects.filter(pk=pk)
    else:
        if not isinstance(name, str) or "\x00" in name or len(name) > 200:
            raise Http404("no such target")
        queryset = Target.objects.filter(name=name)
    target = visible_targets(user, queryset).first()
    if target is None:
        raise Http404("no such target")
    return target


def groups_of(user) -> QuerySet[Group]:
    """Groups the user belongs to (every group for a super admin)."""
    if is_super_admin(user):
        return Group.objects.all()
    return Group.objects.filter(id__in=user_group_ids(user))


def owning_groups(target: Target | int) -> QuerySet[Group]:
    """Groups a target belongs to (holding view_target on it)."""
    return Group.objects.filter(
        id__in=TargetGroupObjectPermission.objects.filter(
            content_object=target, permission_id=_view_target_permission_id()
        ).values("group_id")
    )


def groups_seeing(user, target: Target | int) -> QuerySet[Group]:
    """The user's groups among those owning the target."""
    return owning_groups(target).filter(id__in=user_group_ids(user))


def grant_view(target: Target, group_ids) -> None:
    """Make the groups ``group_ids`` owners of ``target`` (one permission row each; no check:
    callers decide who may, see ``accounts.services``)."""
    permission = view_target_permission()
    TargetGroupObjectPermission.objects.bulk_create(
        [
            TargetGroupObjectPermission(
                group_id=getattr(group, "pk", group), permission=permission, content_object=target
            )
            for group in group_ids
        ],
        ignore_conflicts=True,
    )


# --------------------------------------------------------------------------- roles and ACLs


def roles_of(user) -> list[str]:
    if not is_approved(user):
        return []
    return sorted(UserRole.objects.filter(user=user).values_list("role", flat=True))


def granted_acls(user) -> set[str]:
    """ACLs granted to the user individually (not through a role)."""
    if not is_approved(user):
        return set()
    return set(ACLGrant.objects.filter(user=user).values_list("acl", flat=True))


def effective_acls(user) -> frozenset[str]:
    """Union of the user's roles' ACLs and individual grants; every ACL for a super admin."""
    if not is_approved(user):
        return frozenset()
    cached = getattr(user, "_icare_acls", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        result = frozenset(acl.ALL_ACLS)
    else:
        names: set[str] = set(granted_acls(user))
        for role in roles_of(user):
            names.update(acl.ROLE_ACLS.get(role, ()))
        result = frozenset(names)
    user._icare_acls = result
    return result


def has_acl(user, name: str) -> bool:
    if name not in acl.ALL_ACLS:
        raise ValueError(f"unknown ACL {name!r}; known: {', '.join(acl.ALL_ACLS)}")
    return name in effective_acls(user)


def may_create_groups(user) -> bool:
    """Full users and above may create groups (and become their admin)."""
    if is_super_admin(user) or has_acl(user, acl.MANAGE_GROUPS):
        return True
    return bool(set(roles_of(user)) & acl.GROUP_CREATOR_ROLES)


def is_group_admin(user, group: Group | int) -> bool:
    """May manage this group's members: its admins, holders of Manage groups, super admins."""
    if not is_approved(user):
        return False
    if user.is_superuser or has_acl(user, acl.MANAGE_GROUPS):
        return True
    group_id = group if isinstance(group, int) else group.pk
    return GroupAdministrator.objects.filter(group_id=group_id, user=user).exists()


def may_modify(user, datum, acl_name: str, owner_field: str = "owner") -> bool:
    """Whoever uploaded a datum may edit or delete it; others need ``acl_name``.

    ``datum`` must hang off a target the user can see (its ``target_id``), so an ACL never
    reaches another group's data.
    """
    if not is_approved(user):
        return False
    target_id = getattr(datum, "target_id", None)
    if target_id is not None and not can_view_target(user, target_id):
        return False
    if getattr(datum, f"{owner_field}_id", None) == user.pk:
        return True
    return has_acl(user, acl_name)


def may_share(user, target: Target) -> bool:
    """Share with other groups: a user who sees the target and may upload or manage sources."""
    return can_view_target(user, target) and (
        has_acl(user, acl.UPLOAD_DATA) or has_acl(user, acl.MANAGE_SOURCES)
    )


def may_scan(user) -> bool:
    """Save, unsave, reject and unreject sources: any role that may write (not View only)."""
    return has_acl(user, acl.ANNOTATE) or has_acl(user, acl.MANAGE_SOURCES)


def is_sitewide(group: Group | int) -> bool:
    """The group every approved user is in: adding a target to it publishes the target."""
    if isinstance(group, Group):
        return group.name == sitewide_group_name()
    return Group.objects.filter(pk=group, name=sitewide_group_name()).exists()


def may_add_groups(user, target: Target, group_ids) -> bool:
    """Adding ``group_ids`` to a target: the sitewide group follows the publishing rule."""
    if any(is_sitewide(group) for group in group_ids):
        return may_publish(user, target)
    return True


def may_publish(user, target: Target) -> bool:
    """Publish or revoke a public link: Manage sources, or admin of an owning group."""
    if not can_view_target(user, target):
        return False
    if has_acl(user, acl.MANAGE_SOURCES):
        return True
    return GroupAdministrator.objects.filter(
        user=user, group__in=owning_groups(target).filter(id__in=user_group_ids(user))
    ).exists()


def live_public_link(token: str) -> PublicLink | None:
    """The unrevoked public link with this token, whoever asks (the token is the credential)."""
    return (
        PublicLink.objects.select_related("target")
        .filter(token=token, revoked__isnull=True)
        .first()
    )


def sitewide_group_name() -> str:
    return getattr(settings, "ICARE_SITEWIDE_GROUP", "Public")
