"""The single place that answers "what may this user see".

Every view, API endpoint and admin list filters through these functions.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser, Group, Permission
from django.db.models import Exists, OuterRef, QuerySet
from tom_targets.models import Target

from accounts.models import TargetGroupObjectPermission


def view_target_permission() -> Permission:
    return Permission.objects.get(content_type__app_label="tom_targets", codename="view_target")


def user_group_ids(user) -> list[int]:
    if user is None or isinstance(user, AnonymousUser) or not user.is_active:
        return []
    return list(user.groups.values_list("id", flat=True))


def visible_targets(user, queryset: QuerySet[Target] | None = None) -> QuerySet[Target]:
    """Targets one of the user's groups may view (all of them for a superuser)."""
    queryset = Target.objects.all() if queryset is None else queryset
    if user is not None and user.is_active and user.is_superuser:
        return queryset
    grants = TargetGroupObjectPermission.objects.filter(
        content_object=OuterRef("pk"),
        group_id__in=user_group_ids(user),
        permission__codename="view_target",
    )
    return queryset.filter(Exists(grants))


def visible_to(user, queryset: QuerySet, target_field: str = "target") -> QuerySet:
    """Rows of any model hanging off a target (candidates, photometry, …) the user may see."""
    if user is not None and user.is_active and user.is_superuser:
        return queryset
    grants = TargetGroupObjectPermission.objects.filter(
        content_object=OuterRef(f"{target_field}_id"),
        group_id__in=user_group_ids(user),
        permission__codename="view_target",
    )
    return queryset.filter(Exists(grants))


def groups_of(user) -> QuerySet[Group]:
    if user is not None and user.is_active and user.is_superuser:
        return Group.objects.all()
    return Group.objects.filter(id__in=user_group_ids(user))
