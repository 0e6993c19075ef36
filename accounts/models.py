"""Who may see and do what. Target permissions use a direct foreign key (not guardian's
generic table), which keeps group filtering a plain indexed join at millions of rows."""

import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from tom_targets.models import Target

from accounts.acl import acl_choices, role_choices


class TargetGroupObjectPermission(GroupObjectPermissionBase):
    """A group's permission (view/change/delete) on one target."""

    # Indexed below together with group and permission: the "may this user see target t"
    # probe is then index-only. (group, permission, target) is the unique constraint's index.
    content_object = models.ForeignKey(Target, on_delete=models.CASCADE, db_index=False)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [
            models.Index(fields=["content_object", "group", "permission"], name="tgop_target_idx"),
        ]


class TargetUserObjectPermission(UserObjectPermissionBase):
    """A single user's permission on one target (rare; groups are the rule)."""

    content_object = models.ForeignKey(Target, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class UserRole(models.Model):
    """One role held by a user (View only, Full user, Group admin, Super admin)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles"
    )
    role = models.CharField(max_length=40, choices=role_choices())
    granted = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role"], name="one_row_per_role")]

    def __str__(self) -> str:
        return f"{self.user} is {self.role}"


class ACLGrant(models.Model):
    """One named permission granted to a user individually, on top of their roles."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="acl_grants"
    )
    acl = models.CharField(max_length=40, choices=acl_choices())
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    granted = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "acl"], name="one_row_per_acl")]

    def __str__(self) -> str:
        return f"{self.user} may {self.acl}"


class GroupAdministrator(models.Model):
    """The admin flag of a group membership: this member manages the group's team.

    Membership itself is Django's ``user.groups`` (what every permission check reads);
    a row here is only valid while the user is a member, which ``accounts.services`` keeps.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="administrators")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="administered_groups"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "user"], name="one_admin_row_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.user} administers {self.group}"


class JoinRequest(models.Model):
    """A user asking to join a group; a group admin accepts or declines it."""

    PENDING, ACCEPTED, DECLINED = "pending", "accepted", "declined"
    STATUSES = [(PENDING, "pending"), (ACCEPTED, "accepted"), (DECLINED, "declined")]

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="join_requests")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    status = models.CharField(max_length=10, choices=STATUSES, default=PENDING)
    created = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"],
                condition=models.Q(status="pending"),
                name="one_pending_request_per_group",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.group} ({self.status})"


class Notification(models.Model):
    """An in-app message for one user (e.g. a registration awaiting approval)."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    read = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["recipient", "read"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.message


def new_public_token() -> str:
    """256 random bits, URL-safe: unguessable."""
    return secrets.token_urlsafe(32)


class PublicLink(models.Model):
    """A read-only public link to one target, published by a group that owns it."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="public_links")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="public_links")
    token = models.CharField(max_length=64, unique=True, default=new_public_token, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    revoked = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"public link to {self.target} ({'revoked' if self.revoked else 'live'})"
