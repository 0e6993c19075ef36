"""The request parameters every follow-up plugin takes, checked against the allocation.

``filters`` (band names the instrument has), ``exposure_time`` (s, > 0), ``exposure_count``,
``priority`` (1 highest … 5), ``start`` and ``end`` (ISO 8601 UTC; the window must not be
over, and must overlap the allocation's validity) and ``comment``.
"""

from __future__ import annotations

from datetime import UTC, timedelta

from django import forms
from django.utils import timezone

MAX_EXPOSURE_S = 36_000
MAX_EXPOSURE_COUNT = 500
MAX_COMMENT = 2_000


class FollowupParametersForm(forms.Form):
    filters = forms.MultipleChoiceField(choices=())
    exposure_time = forms.FloatField(help_text="seconds per exposure")
    exposure_count = forms.IntegerField(min_value=1, max_value=MAX_EXPOSURE_COUNT, initial=1)
    priority = forms.IntegerField(min_value=1, max_value=5, initial=3, help_text="1 is highest")
    start = forms.DateTimeField(required=False, help_text="ISO 8601 UTC; default now")
    end = forms.DateTimeField(required=False, help_text="ISO 8601 UTC; default start + 24 h")
    comment = forms.CharField(required=False, max_length=MAX_COMMENT, widget=forms.Textarea)

    def __init__(self, *args, allocation, **kwargs):
        super().__init__(*args, **kwargs)
        self.allocation = allocation
        self.fields["filters"].choices = [(b, b) for b in allocation.instrument.filters]
        self.fields["filters"].error_messages["invalid_choice"] = (
            f"filter %(value)s is not one of {allocation.instrument.name}'s filters "
            f"({', '.join(allocation.instrument.filters)})"
        )

    def clean_exposure_time(self):
        value = self.cleaned_data["exposure_time"]
        if not 0 < value <= MAX_EXPOSURE_S:
            raise forms.ValidationError(f"exposure_time must be > 0 and ≤ {MAX_EXPOSURE_S} s")
        return value

    def clean(self):
        data = super().clean()
        now = timezone.now()
        start = data.get("start") or now
        end = data.get("end") or start + timedelta(days=1)
        if "start" in self.errors or "end" in self.errors:
            return data
        if end <= now:
            raise forms.ValidationError("the time window is in the past")
        if end <= start:
            raise forms.ValidationError("end must be after start")
        if end <= self.allocation.start or start >= self.allocation.end:
            raise forms.ValidationError("the time window is outside the allocation's validity")
        data["start"], data["end"] = start, end
        return data

    def parameters(self) -> dict:
        """The cleaned parameters as JSON values (times in ISO 8601 UTC)."""
        data = self.cleaned_data
        return {
            "filters": list(data["filters"]),
            "exposure_time": data["exposure_time"],
            "exposure_count": data.get("exposure_count") or 1,
            "priority": data.get("priority") or 3,
            "start": data["start"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "end": data["end"].astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "comment": data.get("comment", ""),
        }


def errors_text(form: forms.Form) -> str:
    """One line naming each refused field and why."""
    parts = []
    for name, errors in form.errors.items():
        prefix = "" if name == "__all__" else f"{name}: "
        parts.append(prefix + " ".join(str(e) for e in errors))
    return "; ".join(parts)
