"""Admin pages of the scanning data. Lists are searchable and show only what the staff
member's groups may see (``accounts.access``), like every other page.

Photometry has no admin page: Django's admin refuses models with a composite primary key
(``Photometry`` is keyed by target and measurement); its rows are on the source page
(table and CSV) and in ``/api/objects/<name>/photometry/``."""

from __future__ import annotations

from django.contrib import admin

from accounts import access
from sources.models import (
    Candidate,
    Classification,
    Comment,
    Cutout,
    Filter,
    Rejection,
    SavedSource,
    SourceTag,
    Stream,
    Taxonomy,
)


class VisibleThroughTargetAdmin(admin.ModelAdmin):
    """Rows hanging off a target, listed only for targets the staff member may see."""

    list_per_page = 50
    show_full_result_count = False  # no COUNT(*) over millions of rows

    def get_queryset(self, request):
        return access.visible_to(request.user, super().get_queryset(request))


@admin.register(Stream)
class StreamAdmin(admin.ModelAdmin):
    list_display = ("name", "survey", "created")
    search_fields = ("name",)


@admin.register(Filter)
class FilterAdmin(admin.ModelAdmin):
    list_display = ("name", "stream", "group", "topic")
    list_filter = ("stream",)
    search_fields = ("name", "topic", "group__name")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).select_related("stream", "group")
        if access.is_super_admin(request.user):
            return queryset
        return queryset.filter(group__in=access.groups_of(request.user))


@admin.register(Candidate)
class CandidateAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "alert_id", "filter", "passed_at", "ingested_at")
    list_filter = ("filter__stream",)
    search_fields = ("target__name", "=alert_id")
    list_select_related = ("target", "filter", "filter__stream", "filter__group")
    raw_id_fields = ("target",)
    date_hierarchy = "passed_at"


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ("name", "version", "provenance", "updated")
    search_fields = ("name",)


@admin.register(Classification)
class ClassificationAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "label", "probability", "author_name", "taxonomy", "created")
    list_filter = ("taxonomy", "author_name")
    search_fields = ("target__name", "label", "author_name")
    list_select_related = ("target", "taxonomy")
    raw_id_fields = ("target", "author")


@admin.register(Cutout)
class CutoutAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "alert_id", "kind", "store", "created")
    list_filter = ("kind", "store")
    search_fields = ("target__name", "=alert_id")
    list_select_related = ("target",)
    exclude = ("fits",)  # bytes; the PNG is at /cutouts/<alert_id>/<kind>.png
    raw_id_fields = ("target",)


@admin.register(SavedSource)
class SavedSourceAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "group", "saved_by", "saved_at", "unsaved_at")
    list_filter = ("group",)
    search_fields = ("target__name",)
    list_select_related = ("target", "group", "saved_by")
    raw_id_fields = ("target",)


@admin.register(Rejection)
class RejectionAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "group", "rejected_by", "rejected_at", "undone_at")
    list_filter = ("group",)
    search_fields = ("target__name",)
    list_select_related = ("target", "group")
    raw_id_fields = ("target",)


@admin.register(Comment)
class CommentAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "author", "created")
    search_fields = ("target__name", "text")
    list_select_related = ("target", "author")
    raw_id_fields = ("target",)


@admin.register(SourceTag)
class SourceTagAdmin(VisibleThroughTargetAdmin):
    list_display = ("target", "name", "group", "created")
    list_filter = ("group",)
    search_fields = ("target__name", "name")
    raw_id_fields = ("target",)
