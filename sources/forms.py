"""The scanning queue's request: its GET parameters as a form, validated into QueueParams."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django import forms

ANNOTATION_KEY = re.compile(r"^[A-Za-z0-9_]{1,100}$")
WINDOWS = {"24h": timedelta(hours=24), "3n": timedelta(days=3)}
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50
MAX_SCOPE_VALUE = 100  # characters of a scope parameter's value
# Sorts on a time column of the candidate: when the alert was observed, or when it arrived
# here (what a shifter watching for new arrivals wants).
TIME_SORTS = {"passed": "passed_at", "arrived": "ingested_at"}


class QueueError(ValueError):
    """A malformed queue request (bad cursor, unknown group…); the message says why."""


class MultiValueField(forms.Field):
    """Repeated GET parameters or one comma-separated value → a list of strings."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        if not value:
            return []
        values = value if isinstance(value, (list, tuple)) else [value]
        return [part.strip() for item in values for part in str(item).split(",") if part.strip()]


class IntListField(MultiValueField):
    def to_python(self, value):
        try:
            return [int(item) for item in super().to_python(value)]
        except ValueError as error:
            raise forms.ValidationError("expected integer ids") from error


class QueueForm(forms.Form):
    """The queue's filters, as GET parameters (so a view is a shareable URL)."""

    group = IntListField(required=False, help_text="program (group) ids; default all mine")
    filter = IntListField(required=False, help_text="filter/topic ids")
    stream = IntListField(required=False, help_text="stream ids")
    window = forms.ChoiceField(
        required=False,
        choices=[
            ("24h", "last 24 h"),
            ("3n", "last 3 nights"),
            ("custom", "custom"),
            ("all", "all"),
        ],
    )
    since = forms.DateTimeField(required=False, help_text="custom window start (UTC)")
    until = forms.DateTimeField(required=False, help_text="custom window end (UTC)")
    saved = forms.ChoiceField(
        required=False,
        choices=[("unsaved", "not saved to my groups"), ("saved", "saved"), ("all", "all")],
    )
    saved_group = forms.IntegerField(required=False, help_text="with saved=saved: this group")
    labelled = forms.ChoiceField(
        required=False,
        choices=[("", "any"), ("yes", "labelled"), ("no", "not labelled")],
        help_text="labelled: a person classified the source or voted on a classification",
    )
    class_in = MultiValueField(required=False, help_text="classification labels to include")
    class_out = MultiValueField(required=False, help_text="classification labels to exclude")
    ann = forms.CharField(required=False, help_text="annotation key for a range")
    ann_min = forms.FloatField(required=False)
    ann_max = forms.FloatField(required=False)
    show_rejected = forms.BooleanField(required=False)
    sort = forms.CharField(
        required=False,
        help_text="'passed' (observation time), 'arrived' (ingest time) or an annotation key",
    )
    order = forms.ChoiceField(required=False, choices=[("desc", "desc"), ("asc", "asc")])
    cursor = forms.CharField(required=False, max_length=1000)
    page_size = forms.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE)

    def clean_ann(self):
        return _annotation_key(self.cleaned_data.get("ann"), "ann")

    def clean_sort(self):
        sort = self.cleaned_data.get("sort") or "passed"
        return sort if sort in TIME_SORTS else _annotation_key(sort, "sort")

    def clean(self):
        data = super().clean()
        if data.get("window") == "custom" and not (data.get("since") or data.get("until")):
            self.add_error("since", "a custom window needs a start or an end")
        return data

    def scopes(self) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
        """The registered queue scopes (``sources.queue.register_queue_scope``) this request
        turns on, with their raw parameter values (each bounded)."""
        from sources.queue import queue_scopes

        active = []
        for name, scope in sorted(queue_scopes().items()):
            if not self.data.get(scope.params[0]):
                continue
            values = tuple((p, str(self.data.get(p) or "")[:MAX_SCOPE_VALUE]) for p in scope.params)
            active.append((name, values))
        return tuple(active)

    def params(self) -> QueueParams:
        data = self.cleaned_data
        return QueueParams(
            scopes=self.scopes(),
            groups=data["group"],
            filters=data["filter"],
            streams=data["stream"],
            window=data["window"] or "24h",
            since=data["since"],
            until=data["until"],
            saved=data["saved"] or "unsaved",
            saved_group=data["saved_group"],
            labelled=data["labelled"] or None,
            class_in=data["class_in"],
            class_out=data["class_out"],
            annotation=data["ann"] or None,
            annotation_min=data["ann_min"],
            annotation_max=data["ann_max"],
            hide_rejected=not data["show_rejected"],
            sort=data["sort"],
            descending=(data["order"] or "desc") == "desc",
            cursor=data["cursor"] or None,
            page_size=data["page_size"] or DEFAULT_PAGE_SIZE,
        )


def _annotation_key(value: str | None, name: str) -> str:
    if value and not ANNOTATION_KEY.match(value):
        raise forms.ValidationError(f"{name}: letters, digits and underscores only")
    return value or ""


@dataclass(frozen=True)
class QueueParams:
    groups: list[int] = field(default_factory=list)
    filters: list[int] = field(default_factory=list)
    streams: list[int] = field(default_factory=list)
    window: str = "24h"
    since: datetime | None = None
    until: datetime | None = None
    saved: str = "unsaved"
    saved_group: int | None = None
    labelled: str | None = None
    class_in: list[str] = field(default_factory=list)
    class_out: list[str] = field(default_factory=list)
    annotation: str | None = None
    annotation_min: float | None = None
    annotation_max: float | None = None
    hide_rejected: bool = True
    sort: str = "passed"
    descending: bool = True
    cursor: str | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    # Registered scopes turned on: ((name, ((param, value), …)), …); see sources.queue.
    scopes: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


def parse_queue_params(data) -> QueueParams:
    """Validate GET parameters; raises :class:`QueueError` with the form's messages."""
    form = QueueForm(data)
    if not form.is_valid():
        raise QueueError(
            "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        )
    return form.params()
