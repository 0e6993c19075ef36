"""Reading and writing a user's notification preferences as one JSON document:

    {"<kind>": {"channels": ["in_app", "email", "slack"], "only_on_shift": false,
                "quiet_hours": {"start": "22:00", "end": "07:00"} | null,
                "labels": ["SN Ia", ...]}, ...}

Times are UTC. ``labels`` only means something for ``classification``. Any mistake raises
:class:`PreferenceError` naming the field (``"mention.channels"``) so the API can answer 400.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time

from django.db import transaction

from notifications.errors import FieldError
from notifications.kinds import CHANNELS, CLASSIFICATION, DEFAULT_CHANNELS, KINDS
from notifications.models import Preference

MAX_LABELS = 50
_KEYS = {"channels", "only_on_shift", "quiet_hours", "labels"}


PreferenceError = FieldError


@dataclass(frozen=True)
class KindPreference:
    channels: tuple[str, ...] = DEFAULT_CHANNELS
    only_on_shift: bool = False
    quiet_start: time | None = None
    quiet_end: time | None = None
    labels: tuple[str, ...] = field(default_factory=tuple)

    def quiet_at(self, now: time) -> bool:
        """Whether ``now`` (UTC) falls in the quiet hours [start, end)."""
        if self.quiet_start is None or self.quiet_end is None or self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start < self.quiet_end:
            return self.quiet_start <= now < self.quiet_end
        return now >= self.quiet_start or now < self.quiet_end

    def as_json(self) -> dict:
        quiet = None
        if self.quiet_start is not None and self.quiet_end is not None:
            quiet = {
                "start": self.quiet_start.strftime("%H:%M"),
                "end": self.quiet_end.strftime("%H:%M"),
            }
        return {
            "channels": list(self.channels),
            "only_on_shift": self.only_on_shift,
            "quiet_hours": quiet,
            "labels": list(self.labels),
        }


def _from_row(row: Preference) -> KindPreference:
    return KindPreference(
        channels=tuple(c for c in CHANNELS if c in row.channels),
        only_on_shift=row.only_on_shift,
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        labels=tuple(row.labels),
    )


def preferences_for(user_ids, kind: str) -> dict[int, KindPreference]:
    """Each user's preference for ``kind`` (defaults for users without a row), one query."""
    ids = list(user_ids)
    rows = Preference.objects.filter(user_id__in=ids, kind=kind).values_list(
        "user_id", "channels", "only_on_shift", "quiet_start", "quiet_end", "labels"
    )
    found = {
        uid: KindPreference(
            channels=tuple(c for c in CHANNELS if c in channels),
            only_on_shift=only,
            quiet_start=start,
            quiet_end=end,
            labels=tuple(labels),
        )
        for uid, channels, only, start, end, labels in rows
    }
    default = KindPreference()
    return {uid: found.get(uid, default) for uid in ids}


def read_preferences(user) -> dict:
    rows = {row.kind: _from_row(row) for row in Preference.objects.filter(user=user)}
    return {kind: rows.get(kind, KindPreference()).as_json() for kind in KINDS}


def _time(value, field_name: str) -> time:
    if not isinstance(value, str) or len(value) > 8:
        raise PreferenceError(field_name, "a time as HH:MM (UTC)")
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise PreferenceError(field_name, f"{value!r} is not a time HH:MM (UTC)") from None


def parse_kind(kind: str, doc) -> KindPreference:
    if not isinstance(doc, dict):
        raise PreferenceError(kind, "an object with channels, only_on_shift, quiet_hours, labels")
    unknown = set(doc) - _KEYS
    if unknown:
        name = sorted(unknown)[0]
        raise PreferenceError(f"{kind}.{str(name)[:50]}", "unknown field")
    channels = doc.get("channels", list(DEFAULT_CHANNELS))
    if not isinstance(channels, list) or not all(isinstance(c, str) for c in channels):
        raise PreferenceError(f"{kind}.channels", "a list of channel names")
    bad = [c for c in channels if c not in CHANNELS]
    if bad:
        raise PreferenceError(
            f"{kind}.channels", f"unknown channel {bad[0][:30]!r}; use {', '.join(CHANNELS)}"
        )
    only = doc.get("only_on_shift", False)
    if not isinstance(only, bool):
        raise PreferenceError(f"{kind}.only_on_shift", "true or false")
    quiet = doc.get("quiet_hours")
    start = end = None
    if quiet is not None:
        if not isinstance(quiet, dict) or set(quiet) != {"start", "end"}:
            raise PreferenceError(
                f"{kind}.quiet_hours", 'null or {"start": "HH:MM", "end": "HH:MM"}'
            )
        start = _time(quiet["start"], f"{kind}.quiet_hours.start")
        end = _time(quiet["end"], f"{kind}.quiet_hours.end")
    labels = doc.get("labels", [])
    if not isinstance(labels, list) or not all(
        isinstance(x, str) and 0 < len(x) <= 200 for x in labels
    ):
        raise PreferenceError(f"{kind}.labels", "a list of class labels (1-200 characters each)")
    if len(labels) > MAX_LABELS:
        raise PreferenceError(f"{kind}.labels", f"at most {MAX_LABELS} labels")
    if labels and kind != CLASSIFICATION:
        raise PreferenceError(f"{kind}.labels", "labels only apply to classification")
    return KindPreference(
        channels=tuple(c for c in CHANNELS if c in channels),
        only_on_shift=only,
        quiet_start=start,
        quiet_end=end,
        labels=tuple(dict.fromkeys(labels)),
    )


def parse_preferences(doc) -> dict[str, KindPreference]:
    """Validate a (partial) preferences document; kinds left out are not changed."""
    if not isinstance(doc, dict):
        raise PreferenceError("preferences", "an object keyed by notification kind")
    parsed = {}
    for kind, value in doc.items():
        if kind not in KINDS:
            raise PreferenceError(str(kind)[:50], f"unknown kind; use {', '.join(KINDS)}")
        parsed[kind] = parse_kind(kind, value)
    return parsed


@transaction.atomic
def write_preferences(user, parsed: dict[str, KindPreference]) -> dict:
    for kind, pref in parsed.items():
        Preference.objects.update_or_create(
            user=user,
            kind=kind,
            defaults={
                "channels": list(pref.channels),
                "only_on_shift": pref.only_on_shift,
                "quiet_start": pref.quiet_start,
                "quiet_end": pref.quiet_end,
                "labels": list(pref.labels),
            },
        )
    return read_preferences(user)
