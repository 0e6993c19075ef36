"""Notifications of one user, their delivery by channel, and what the user asked to be told.

A :class:`Notification` is the hub: shown in the bell when ``in_app`` is set, and the parent
of one :class:`Delivery` per external channel (email, Slack). A delivery's ``key`` is its
idempotency key (``<notification id>:<channel>``, or ``group:<group id>:<…>`` for a group's
Slack webhook); a worker claims it by a state transition before sending (see
``notifications.delivery``), so a retried or re-delivered task never sends twice.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from notifications.kinds import channel_choices, kind_choices

TEXT_MAX = 500
URL_MAX = 500


class Notification(models.Model):
    """One message for one user. ``dedupe_key`` (optional) makes a repeated event a no-op."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notices"
    )
    kind = models.CharField(max_length=20, choices=kind_choices())
    text = models.CharField(max_length=TEXT_MAX)
    url = models.CharField(max_length=URL_MAX, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    read = models.DateTimeField(null=True, blank=True)
    in_app = models.BooleanField(default=True, help_text="shown in the bell and the list")
    dedupe_key = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["recipient", "-created"],
                condition=Q(in_app=True),
                name="notice_inbox_idx",
            ),
            models.Index(
                fields=["recipient"],
                condition=Q(in_app=True, read__isnull=True),
                name="notice_unread_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=~Q(dedupe_key=""),
                name="notice_once_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}: {self.text[:60]}"


class Preference(models.Model):
    """How a user wants to hear about one kind. No row: the defaults (in-app only).

    ``quiet_start``/``quiet_end``: UTC times; no email or Slack in between (wrapping midnight
    when start > end). ``only_on_shift``: nothing at all unless the user is on shift.
    ``labels``: for classifications, only these labels (empty: every label).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_preferences"
    )
    kind = models.CharField(max_length=20, choices=kind_choices())
    channels = ArrayField(models.CharField(max_length=10, choices=channel_choices()), default=list)
    only_on_shift = models.BooleanField(default=False)
    quiet_start = models.TimeField(null=True, blank=True)
    quiet_end = models.TimeField(null=True, blank=True)
    labels = ArrayField(models.CharField(max_length=200), default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="one_pref_per_kind")]


class ChannelAddress(models.Model):
    """Where a user's Slack messages go (an incoming-webhook URL under an allowed prefix).
    Email goes to the account's address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notice_address"
    )
    slack_url = models.CharField(max_length=500, blank=True)


class GroupChannel(models.Model):
    """A group's Slack incoming webhook: announcements to the whole group go there once."""

    group = models.OneToOneField(Group, on_delete=models.CASCADE, related_name="notice_channel")
    slack_url = models.CharField(max_length=500, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )


class Delivery(models.Model):
    """One message on one external channel; ``key`` is its idempotency key."""

    class State(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        SENT = "sent"
        FAILED = "failed"

    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    group = models.ForeignKey(
        Group, null=True, blank=True, on_delete=models.CASCADE, related_name="notice_deliveries"
    )
    channel = models.CharField(max_length=10, choices=channel_choices())
    key = models.CharField(max_length=200, unique=True)
    address = models.CharField(max_length=500, blank=True, help_text="email address or webhook")
    subject = models.CharField(max_length=200, blank=True)
    text = models.CharField(max_length=TEXT_MAX + URL_MAX + 10, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.IntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(state__in=["pending", "sending"]),
                name="delivery_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.key} ({self.state})"


class GcnProfile(models.Model):
    """A user's description of the GCN events they want to hear about.

    ``notice_types``/``tags``: any of (empty: all). ``max_area_90``: deg² (events without a
    known area pass only when null). ``properties``: a list of ``{"name", "op", "value"}``
    conditions on the event's properties (see ``notifications.gcn_profiles``), all required.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="gcn_profiles"
    )
    name = models.CharField(max_length=100)
    notice_types = ArrayField(models.CharField(max_length=100), default=list, blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    max_area_90 = models.FloatField(null=True, blank=True)
    properties = models.JSONField(default=list, blank=True)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]


class SavedView(models.Model):
    """A named filter of the scanning queue (its query string); new candidates passing it are
    announced. ``last_candidate_id``: the newest candidate already looked at."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_views"
    )
    name = models.CharField(max_length=100)
    query = models.CharField(max_length=1000, blank=True)
    last_candidate_id = models.BigIntegerField(default=0)
    active = models.BooleanField(default=True)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "name"], name="saved_view_unique_name")
        ]
