"""Admin pages for access control; target lists in the admin filter through ``accounts.access``."""

from django.contrib import admin
from tom_targets.admin import TargetAdmin
from tom_targets.models import Target

from accounts import access
from accounts.models import (
    ACLGrant,
    GroupAdministrator,
    JoinRequest,
    Notification,
    PublicLink,
    TargetGroupObjectPermission,
    UserRole,
)


class VisibleTargetAdmin(TargetAdmin):
    """TOM's target admin, listing only the targets the staff member's groups may see."""

    def get_queryset(self, request):
        return access.visible_targets(request.user, super().get_queryset(request))


if admin.site.is_registered(Target):
    admin.site.unregister(Target)
admin.site.register(Target, VisibleTargetAdmin)


class VisibleThroughTargetAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return access.visible_to(request.user, super().get_queryset(request))


@admin.register(TargetGroupObjectPermission)
class TargetGroupObjectPermissionAdmin(admin.ModelAdmin):
    list_display = ("content_object", "group", "permission")
    list_filter = ("group",)
    raw_id_fields = ("content_object",)

    def get_queryset(self, request):
        return access.visible_to(request.user, super().get_queryset(request), "content_object")


@admin.register(PublicLink)
class PublicLinkAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "group", "created_by", "created", "revoked")
    raw_id_fields = ("target",)
    readonly_fields = ("token",)


@admin.register(UserRole)
class UserRoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "granted")
    list_filter = ("role",)


@admin.register(ACLGrant)
class ACLGrantAdmin(admin.ModelAdmin):
    list_display = ("user", "acl", "granted_by", "granted")
    list_filter = ("acl",)


@admin.register(GroupAdministrator)
class GroupAdministratorAdmin(admin.ModelAdmin):
    list_display = ("group", "user")


@admin.register(JoinRequest)
class JoinRequestAdmin(admin.ModelAdmin):
    list_display = ("group", "user", "status", "created", "decided_by")
    list_filter = ("status",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("recipient", "message", "created", "read")
