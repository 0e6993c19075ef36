"""Who may see and do what. Target permissions use a direct foreign key (not guardian's
generic table), which keeps group filtering a plain indexed join at millions of rows."""

from django.db import models
from guardian.models import GroupObjectPermissionBase, UserObjectPermissionBase
from tom_targets.models import Target


class TargetGroupObjectPermission(GroupObjectPermissionBase):
    """A group's permission (view/change/delete) on one target."""

    content_object = models.ForeignKey(Target, on_delete=models.CASCADE)

    class Meta(GroupObjectPermissionBase.Meta):
        abstract = False
        indexes = [
            models.Index(fields=["group", "permission", "content_object"], name="tgop_group_idx"),
        ]


class TargetUserObjectPermission(UserObjectPermissionBase):
    """A single user's permission on one target (rare; groups are the rule)."""

    content_object = models.ForeignKey(Target, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
