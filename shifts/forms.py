"""Forms of the shift pages (times in UTC)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django import forms


class ShiftForm(forms.Form):
    name = forms.CharField(max_length=100)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )
    start_date = forms.DateField(help_text="UTC")
    start_time = forms.TimeField(help_text="UTC, HH:MM")
    duration_hours = forms.FloatField(min_value=0.25, max_value=48)
    people_needed = forms.IntegerField(min_value=1, max_value=100, initial=1)
    occurrences = forms.IntegerField(
        min_value=1, max_value=366, initial=1, help_text="1: a single shift"
    )
    every_days = forms.IntegerField(min_value=1, max_value=366, initial=1)
    admins = forms.MultipleChoiceField(required=False, choices=[])

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["admins"].choices = [(str(u.pk), u.username) for u in members]

    def start_end(self) -> tuple[datetime, datetime]:
        data = self.cleaned_data
        start = datetime.combine(data["start_date"], data["start_time"], tzinfo=UTC)
        return start, start + timedelta(hours=data["duration_hours"])
