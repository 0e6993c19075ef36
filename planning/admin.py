from django.contrib import admin

from planning.models import DefaultPlanRequest, ExecutedObservation, ObservationPlanRequest


@admin.register(DefaultPlanRequest)
class DefaultPlanRequestAdmin(admin.ModelAdmin):
    list_display = ["name", "group", "active", "send_to_queue", "max_area_90"]
    list_filter = ["active", "group"]
    filter_horizontal = ["allocations"]


@admin.register(ObservationPlanRequest)
class ObservationPlanRequestAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "group", "status", "stage", "created_at"]
    list_filter = ["status", "group"]
    readonly_fields = ["statistics", "error", "notes", "progress", "stage", "task_id"]
    raw_id_fields = ["event", "localization", "requester", "default"]


@admin.register(ExecutedObservation)
class ExecutedObservationAdmin(admin.ModelAdmin):
    list_display = ["id", "instrument", "field", "filter", "obstime", "group"]
    list_filter = ["group", "instrument"]
    raw_id_fields = ["field", "planned"]
