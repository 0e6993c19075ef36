from django.contrib import admin

from gcn.models import GalaxyCatalog, GcnEvent, GcnNotice, GcnQuarantine, Localization


@admin.register(GcnEvent)
class GcnEventAdmin(admin.ModelAdmin):
    list_display = ["name", "trigger_time", "source", "retracted", "far_hz"]
    list_filter = ["source", "retracted", "significant", "is_test"]
    search_fields = ["name"]


@admin.register(GcnNotice)
class GcnNoticeAdmin(admin.ModelAdmin):
    """Unknown notice types are listed with the filter ``notice_type = unknown``."""

    list_display = ["unique_key", "source", "notice_type", "format", "event", "received_at"]
    list_filter = ["notice_type", "source", "format"]
    search_fields = ["unique_key", "content_hash"]
    exclude = ["raw"]
    readonly_fields = ["raw_preview"]
    list_select_related = ["event"]

    @admin.display(description="raw (first 4 kB)")
    def raw_preview(self, obj) -> str:
        return bytes(obj.raw[:4096]).decode("utf-8", "replace")


@admin.register(GcnQuarantine)
class GcnQuarantineAdmin(admin.ModelAdmin):
    list_display = ["received_at", "reason", "origin", "size", "content_hash"]
    list_filter = ["reason"]
    search_fields = ["origin", "content_hash", "detail"]
    exclude = ["raw"]
    readonly_fields = ["raw_preview"]

    @admin.display(description="raw (first 4 kB)")
    def raw_preview(self, obj) -> str:
        return bytes(obj.raw[:4096]).decode("utf-8", "replace")


@admin.register(Localization)
class LocalizationAdmin(admin.ModelAdmin):
    list_display = ["event", "name", "kind", "status", "area_90", "attempts", "created_at"]
    list_filter = ["status", "kind"]
    exclude = ["contours"]
    raw_id_fields = ["event", "notice"]


admin.site.register(GalaxyCatalog)
