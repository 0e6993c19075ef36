"""Telescopes, instruments, their field grids and the allocations groups hold on them.

Units: angles in degrees, elevation in metres, aperture in metres, times in seconds,
slew rate in degrees per second. Field footprints are stored as order-29 nested HEALPix
ranges (``sources.sky``), the layout of the GCN localization tiles, so a field's overlap
with a localization is a range join on the same B-tree predicate.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q

from facilities import secrets


class Telescope(models.Model):
    """A telescope at a site (or a space telescope when ``fixed_location`` is false)."""

    name = models.CharField(max_length=120, unique=True)
    nickname = models.CharField(max_length=40, unique=True, help_text="short name, e.g. TRT")
    latitude = models.FloatField(null=True, blank=True, help_text="geodetic, degrees north")
    longitude = models.FloatField(null=True, blank=True, help_text="degrees east")
    elevation = models.FloatField(null=True, blank=True, help_text="metres above sea level")
    aperture = models.FloatField(help_text="primary mirror diameter, metres")
    robotic = models.BooleanField(default=False)
    fixed_location = models.BooleanField(default=True)
    source = models.TextField(blank=True, help_text="public source of the values above")
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["nickname"]

    def __str__(self) -> str:
        return self.nickname


class Instrument(models.Model):
    """A camera or spectrograph on a telescope, with what a scheduler needs to know.

    ``footprint`` describes one pointing relative to its centre, one of
    ``{"type": "circle", "radius": deg}``, ``{"type": "rectangle", "width": deg,
    "height": deg}`` or ``{"type": "region", "region": "<ds9 region text>"}`` (polygons
    and boxes in offsets from the pointing centre, degrees); see ``facilities.footprint``.
    """

    KINDS = [("imager", "imager"), ("spectrograph", "spectrograph")]

    telescope = models.ForeignKey(Telescope, on_delete=models.CASCADE, related_name="instruments")
    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=20, choices=KINDS, default="imager")
    filters = models.JSONField(default=list, help_text="sncosmo band names")
    footprint = models.JSONField(default=dict)
    readout = models.FloatField(default=0.0, help_text="seconds per exposure")
    overhead_per_exposure = models.FloatField(default=0.0, help_text="seconds")
    filter_change_time = models.FloatField(default=0.0, help_text="seconds")
    slew_rate = models.FloatField(null=True, blank=True, help_text="degrees per second")
    source = models.TextField(blank=True, help_text="public source of the values above")
    fields_digest = models.CharField(max_length=64, blank=True, editable=False)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstrumentField(models.Model):
    """One pointing of an instrument's field grid; its footprint is in ``tiles``."""

    instrument = models.ForeignKey(Instrument, on_delete=models.CASCADE, related_name="fields")
    field_id = models.IntegerField()
    ra = models.FloatField(help_text="centre, degrees ICRS")
    dec = models.FloatField(help_text="centre, degrees ICRS")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["instrument", "field_id"], name="instrument_field_unique_id"
            )
        ]


class InstrumentFieldTile(models.Model):
    """One order-29 nested HEALPix range ``[lower, upper)`` of a field's footprint."""

    id = models.BigAutoField(primary_key=True)
    field = models.ForeignKey(
        InstrumentField, on_delete=models.CASCADE, related_name="tiles", db_index=False
    )
    lower = models.BigIntegerField()
    upper = models.BigIntegerField()

    class Meta:
        indexes = [
            models.Index(fields=["field", "lower"], include=["upper"], name="field_tile_lower"),
            models.Index(fields=["lower"], include=["upper", "field"], name="field_tile_sky"),
        ]


class Allocation(models.Model):
    """Time a group holds on an instrument, served by one facility plugin.

    ``credentials`` (API keys, proposal ids) are encrypted at rest and never shown again
    after entry: read them through :meth:`get_credentials` only where a facility needs them.
    """

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="allocations")
    instrument = models.ForeignKey(Instrument, on_delete=models.PROTECT, related_name="allocations")
    facility = models.CharField(max_length=60, help_text="facility plugin name, e.g. Queue")
    pi = models.CharField(max_length=200, blank=True)
    hours = models.FloatField(default=0.0, help_text="hours granted")
    start = models.DateTimeField()
    end = models.DateTimeField()
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="administered_allocations"
    )
    credentials_encrypted = models.TextField(blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")), name="allocation_window")
        ]

    def __str__(self) -> str:
        return f"{self.instrument} / {self.group} ({self.facility})"

    @property
    def has_credentials(self) -> bool:
        return bool(self.credentials_encrypted)

    def set_credentials(self, values: dict[str, str]) -> None:
        self.credentials_encrypted = secrets.encrypt_json(values) if values else ""

    def get_credentials(self) -> dict[str, str]:
        return (
            secrets.decrypt_json(self.credentials_encrypted) if self.credentials_encrypted else {}
        )

    def is_active(self, at=None) -> bool:
        from django.utils import timezone

        at = at or timezone.now()
        return self.start <= at < self.end


class RobotToken(models.Model):
    """A credential scoped to one allocation: the telescope side reads and updates that
    allocation's queue with it, and nothing else. Only a SHA-256 of the token is stored;
    the token itself is shown once, when created."""

    allocation = models.ForeignKey(
        Allocation, on_delete=models.CASCADE, related_name="robot_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=12, help_text="first characters, to tell tokens apart")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    last_used = models.DateTimeField(null=True, blank=True)
    revoked = models.DateTimeField(null=True, blank=True)


class FollowupRequest(models.Model):
    """A follow-up request: a TOM ``ObservationRecord`` tied to the allocation it uses.

    ``status`` is the request's life cycle (mirrored to the record's ``status``)::

        pending → accepted → observing → completed
        any non-final state → failed | cancelled;  failed → pending (resubmitted)
    """

    PENDING, ACCEPTED, OBSERVING = "pending", "accepted", "observing"
    COMPLETED, FAILED, CANCELLED = "completed", "failed", "cancelled"
    STATUSES = [(s, s) for s in (PENDING, ACCEPTED, OBSERVING, COMPLETED, FAILED, CANCELLED)]
    FINAL = frozenset({COMPLETED, FAILED, CANCELLED})

    record = models.OneToOneField(
        "tom_observations.ObservationRecord", on_delete=models.CASCADE, related_name="followup"
    )
    allocation = models.ForeignKey(
        Allocation, on_delete=models.PROTECT, related_name="requests", db_index=False
    )  # followup_queue_idx leads with allocation
    target = models.ForeignKey(
        "tom_targets.BaseTarget", on_delete=models.CASCADE, related_name="followup_requests"
    )
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=20, choices=STATUSES, default=PENDING)
    message = models.TextField(blank=True, help_text="last message from the facility")
    parameters = models.JSONField(default=dict)
    priority = models.SmallIntegerField(default=3, help_text="1 (highest) to 5")
    delivered = models.DateTimeField(null=True, blank=True, help_text="first read by the robot")
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["allocation", "status", "id"], name="followup_queue_idx"),
            models.Index(fields=["target", "-created"], name="followup_target_idx"),
        ]

    @property
    def is_final(self) -> bool:
        return self.status in self.FINAL


class FacilityExchange(models.Model):
    """One exchange with a facility about a request: what was sent, what came back, when,
    and by whom (a user, or the robot token of the allocation)."""

    request = models.ForeignKey(FollowupRequest, on_delete=models.CASCADE, related_name="exchanges")
    action = models.CharField(max_length=40, help_text="submit, update, status, cancel, data, …")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    robot_token = models.ForeignKey(
        RobotToken, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sent = models.JSONField(default=dict, blank=True)
    received = models.JSONField(default=dict, blank=True)
    ok = models.BooleanField(default=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]
