"""The plan request body, shared by the plan API and the automatic plans' checks."""

from __future__ import annotations

from rest_framework import serializers


class PlanRequestSerializer(serializers.Serializer):
    localization_id = serializers.IntegerField(required=False, help_text="default: current")
    instrument_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    allocation_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    start = serializers.DateTimeField(required=False, help_text="ISO 8601 UTC; default now")
    end = serializers.DateTimeField(
        required=False, help_text="default: the next morning twilight (-12°) of the sites"
    )
    filters = serializers.ListField(child=serializers.CharField(), required=False)
    exposure_time = serializers.FloatField(required=False, help_text="s, every filter")
    exposure_times = serializers.ListField(
        child=serializers.FloatField(), required=False, help_text="s, one per filter"
    )
    filter_strategy = serializers.ChoiceField(["block", "integrated"], required=False)
    min_filter_separation = serializers.FloatField(required=False, help_text="s")
    schedule_type = serializers.ChoiceField(
        ["greedy", "greedy_slew", "sear", "airmass_weighted"], required=False
    )
    tiling = serializers.ChoiceField(["fields", "galaxies"], required=False)
    galaxy_catalog = serializers.CharField(required=False)
    probability = serializers.FloatField(required=False, help_text="credible level, (0, 1]")
    max_airmass = serializers.FloatField(required=False)
    galactic_limit = serializers.FloatField(required=False, help_text="|b| to avoid, deg")
    max_fields = serializers.IntegerField(required=False)
    allow_overlap = serializers.BooleanField(required=False)
    send_to_queue = serializers.BooleanField(required=False)
