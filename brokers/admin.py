from django.contrib import admin

from brokers.models import ArchivedAlert, QuarantinedAlert


@admin.register(QuarantinedAlert)
class QuarantinedAlertAdmin(admin.ModelAdmin):
    list_display = ("created", "reason", "survey", "topic", "partition", "offset", "raw_size")
    list_filter = ("reason", "survey", "topic")
    search_fields = ("reason", "detail", "topic")
    readonly_fields = ("raw_size", "reason", "detail", "survey", "topic", "partition", "offset")
    exclude = ("raw",)
    date_hierarchy = "created"

    @admin.display(description="raw bytes")
    def raw_size(self, obj: QuarantinedAlert) -> int:
        return len(obj.raw or b"")


@admin.register(ArchivedAlert)
class ArchivedAlertAdmin(admin.ModelAdmin):
    list_display = (
        "alert_id",
        "object_name",
        "survey",
        "topic",
        "partition",
        "offset",
        "received_at",
    )
    list_filter = ("survey", "topic")
    search_fields = ("object_name", "=alert_id")
    exclude = ("payload",)
    readonly_fields = (
        "survey",
        "alert_id",
        "object_name",
        "topic",
        "partition",
        "offset",
        "received_at",
    )
