"""Observation plans for GCN events: requests, planned observations, automatic defaults,
executed observations.

A plan belongs to one group (the group holding the allocations it uses) and is seen by that
group's members only. Times are aware UTC; exposure times and separations in seconds;
probabilities in [0, 1]; areas in deg²; angles in degrees.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import models

from facilities.models import Allocation, Instrument, InstrumentField
from gcn.models import GcnEvent, Localization


class PlanStatus(models.TextChoices):
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETE = "complete"
    FAILED = "failed"
    CANCELLED = "cancelled"


class PlanStage(models.TextChoices):
    REQUESTED = "requested"
    FIELDS_SELECTED = "fields selected"
    TILES_WEIGHTED = "tiles weighted"
    SCHEDULE_BUILT = "schedule built"
    STORED = "stored"


STAGE_PROGRESS = {
    PlanStage.REQUESTED: 0,
    PlanStage.FIELDS_SELECTED: 25,
    PlanStage.TILES_WEIGHTED: 50,
    PlanStage.SCHEDULE_BUILT: 85,
    PlanStage.STORED: 100,
}


class ObservationPlanRequest(models.Model):
    """One plan: what was asked, its progress, and (once complete) its statistics.

    ``statistics`` is computed in SQL from the stored tiles when the plan is stored:
    ``n_observations``, ``total_time`` (s, exposures), ``total_time_with_overheads`` (s),
    ``area`` (deg², union of the planned fields), ``probability`` (of the localization
    inside that union), ``first``/``last`` (ISO UTC) and the same per filter.
    """

    event = models.ForeignKey(GcnEvent, on_delete=models.CASCADE, related_name="observation_plans")
    localization = models.ForeignKey(
        Localization, on_delete=models.CASCADE, related_name="observation_plans"
    )
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="observation_plans")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    allocations = models.ManyToManyField(Allocation, related_name="observation_plans")
    default = models.ForeignKey(
        "DefaultPlanRequest",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="plans",
        help_text="the automatic default that made this plan (null: asked by a person)",
    )
    start = models.DateTimeField()
    end = models.DateTimeField()
    filters = ArrayField(models.CharField(max_length=20))
    exposure_times = ArrayField(models.FloatField(), help_text="seconds, one per filter")
    filter_strategy = models.CharField(max_length=12, default="block")
    min_filter_separation = models.FloatField(default=0.0, help_text="seconds (integrated)")
    schedule_type = models.CharField(max_length=20, default="greedy")
    tiling = models.CharField(max_length=10, default="fields")
    galaxy_catalog = models.CharField(max_length=100, blank=True)
    probability = models.FloatField(default=0.9)
    max_airmass = models.FloatField(default=2.0)
    galactic_limit = models.FloatField(default=0.0, help_text="avoid |b| below this, degrees")
    max_fields = models.IntegerField(null=True, blank=True)
    allow_overlap = models.BooleanField(default=False)
    send_to_queue = models.BooleanField(default=False, help_text="send when complete")

    status = models.CharField(
        max_length=10, choices=PlanStatus.choices, default=PlanStatus.QUEUED, db_index=True
    )
    stage = models.CharField(max_length=20, choices=PlanStage.choices, default=PlanStage.REQUESTED)
    progress = models.IntegerField(default=0, help_text="percent")
    error = models.TextField(blank=True)
    notes = models.JSONField(default=list, blank=True)
    n_candidate_fields = models.IntegerField(default=0)
    selection_ms = models.FloatField(null=True, blank=True)
    statistics = models.JSONField(default=dict, blank=True)
    task_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["event", "group"], name="plan_event_group")]

    def __str__(self) -> str:
        return f"plan {self.pk} for {self.event} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (PlanStatus.COMPLETE, PlanStatus.FAILED, PlanStatus.CANCELLED)


class PlannedObservation(models.Model):
    """One planned exposure of one field. ``order`` is its rank in time within the plan;
    ``probability`` gwemopt's weight of the field; ``queue_status`` what the telescope's
    queue made of it once sent (blank: not sent)."""

    plan = models.ForeignKey(
        ObservationPlanRequest, on_delete=models.CASCADE, related_name="planned_observations"
    )
    allocation = models.ForeignKey(Allocation, on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(InstrumentField, on_delete=models.CASCADE, related_name="+")
    ra = models.FloatField()
    dec = models.FloatField()
    filter = models.CharField(max_length=20)
    obstime = models.DateTimeField()
    exposure_time = models.FloatField()
    overhead = models.FloatField(default=0.0, help_text="seconds added to the exposure")
    airmass = models.FloatField()
    probability = models.FloatField()
    order = models.IntegerField()
    queue_status = models.CharField(max_length=20, blank=True)
    queue_request_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["order"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "order"], name="planned_obs_order_unique")
        ]


class DefaultPlanRequest(models.Model):
    """A group's automatic plan: run ``parameters`` on every new localization whose notice
    matches (notice types, tags, 90 % area, event properties) and optionally send it.

    ``parameters``: the request body of the plan API without localization/instruments
    (filters, exposure_time(s), window length ``duration_hours``, schedule_type, …).
    ``property_filters``: ``[{"name": "FAR", "op": "<", "value": 3.17e-8}, …]`` on the
    event's properties (FAR in Hz, HasNS, …); ``op`` one of ``< <= > >= ==``.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="default_plans")
    name = models.CharField(max_length=100)
    allocations = models.ManyToManyField(Allocation, related_name="default_plans")
    notice_types = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    max_area_90 = models.FloatField(null=True, blank=True, help_text="deg²")
    property_filters = models.JSONField(default=list, blank=True)
    parameters = models.JSONField(default=dict, blank=True)
    send_to_queue = models.BooleanField(default=False)
    active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["group", "name"], name="default_plan_name_per_group")
        ]

    def __str__(self) -> str:
        return f"{self.group}: {self.name}"


class AutomaticPlanRun(models.Model):
    """Which default ran on which localization (so a re-delivered notice plans once)."""

    default = models.ForeignKey(DefaultPlanRequest, on_delete=models.CASCADE, related_name="runs")
    localization = models.ForeignKey(Localization, on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(
        ObservationPlanRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["default", "localization"], name="automatic_plan_once")
        ]


class ExecutedObservation(models.Model):
    """An exposure actually taken, reported by a queue robot or uploaded by a group member.

    ``field`` is the instrument field observed (given by id, or the field nearest to the
    reported RA/Dec); ``limiting_mag`` AB when known; seen by ``group`` only."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="+")
    field = models.ForeignKey(InstrumentField, on_delete=models.CASCADE, related_name="+")
    obstime = models.DateTimeField(db_index=True)
    filter = models.CharField(max_length=20)
    exposure_time = models.FloatField()
    limiting_mag = models.FloatField(null=True, blank=True)
    planned = models.ForeignKey(
        PlannedObservation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["obstime", "id"]
        indexes = [models.Index(fields=["group", "obstime"], name="executed_group_time")]
