"""Shifts of a group: who is on duty when, replacement requests, calendar feed tokens.

Times are UTC. A series (e.g. nightly 18:00-06:00 for four weeks) is stored as its
individual shifts, each editable on its own; ``series`` only ties them together.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.db.models import Q


class ShiftSeries(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="shift_series")
    name = models.CharField(max_length=100)
    every_days = models.PositiveSmallIntegerField(default=1)
    occurrences = models.PositiveSmallIntegerField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.group})"


class Shift(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="shifts")
    series = models.ForeignKey(
        ShiftSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="shifts"
    )
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True, max_length=5000)
    start_at = models.DateTimeField()
    end_at = models.DateTimeField()
    people_needed = models.PositiveSmallIntegerField(default=1)
    admins = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="administered_shifts"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    understaffed_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start_at", "id"]
        indexes = [models.Index(fields=["group", "start_at"], name="shift_group_start_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end_at__gt=models.F("start_at")), name="shift_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.start_at:%Y-%m-%d %H:%M}"


class ShiftMember(models.Model):
    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shift_memberships"
    )
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shift", "user"], name="one_seat_per_user")]
        indexes = [models.Index(fields=["user", "shift"], name="shift_member_user_idx")]


class ReplacementRequest(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        TAKEN = "taken"
        CANCELLED = "cancelled"

    shift = models.ForeignKey(Shift, on_delete=models.CASCADE, related_name="replacement_requests")
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created = models.DateTimeField(auto_now_add=True)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    taken_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["shift", "requester"],
                condition=Q(status="open"),
                name="one_open_replacement_request",
            )
        ]


def new_calendar_token() -> str:
    return secrets.token_urlsafe(32)


class CalendarToken(models.Model):
    """The secret of a user's iCalendar feed URL (reset makes the old URL answer 404)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shift_calendar"
    )
    token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created = models.DateTimeField(auto_now_add=True)
