"""Set-based writer of target visibility for bulk ingest: grant groups ``view_target`` on
many targets in one statement. Tables and columns come from the models' metadata
(:mod:`icare_tom.bulk`); who may then see what is still answered by :mod:`accounts.access`.
"""

from __future__ import annotations

from functools import cache

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from tom_targets.models import Target

from accounts.models import TargetGroupObjectPermission
from icare_tom.bulk import column, table


@cache
def _grant_view_sql() -> str:
    g = TargetGroupObjectPermission
    return f"""
        INSERT INTO {table(g)}
            ({column(g, "group")}, {column(g, "permission")}, {column(g, "content_object")})
        SELECT %s, p.{column(Permission, "id")}, t.id
        FROM unnest(%s::int[]) AS t(id),
             {table(Permission)} p
             JOIN {table(ContentType)} ct
               ON ct.{column(ContentType, "id")} = p.{column(Permission, "content_type")}
        WHERE ct.{column(ContentType, "app_label")} = %s AND p.{column(Permission, "codename")} = %s
        ON CONFLICT DO NOTHING
    """


# The permission that makes a target visible to a group (as in accounts.access).
VIEW_TARGET_CODENAME = "view_target"


def grant_view_to_group(cursor, group_id: int, target_ids: list[int]) -> None:
    """``group_id`` may view each of ``target_ids`` (already granted: unchanged)."""
    cursor.execute(
        _grant_view_sql(), [group_id, target_ids, Target._meta.app_label, VIEW_TARGET_CODENAME]
    )
