"""The scanning queue's query: which objects a user sees, in which order, one keyset page
at a time.

The queue shows one card per object (target): its newest alert among those that match the
queue's filters (the *representative* candidate). Other matching alerts of the object are
counted (:func:`alert_summaries`) and listed on demand, never shown as cards of their own.
Permission decisions go through ``accounts.access``.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, F, Func, OuterRef, Q, QuerySet, TextField
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.access import groups_of, visible_to
from sources.forms import TIME_SORTS, WINDOWS, QueueError, QueueParams
from sources.models import (
    Candidate,
    Classification,
    ClassificationVote,
    Filter,
    Rejection,
    SavedSource,
)


@dataclass(frozen=True)
class QueueScope:
    """A restriction of the queue to some targets that another app knows (e.g. those inside
    a GCN event's region): its GET parameters (the first one turns it on) and
    ``targets(user, values) -> target ids`` (raises ``QueueError`` for a bad value)."""

    params: tuple[str, ...]
    targets: Callable[[Any, dict[str, str]], Iterable[int]]
    describe: Callable[[Any, dict[str, str]], str] | None = None


_scopes: dict[str, QueueScope] = {}


def register_queue_scope(
    name: str,
    params: tuple[str, ...],
    targets: Callable[[Any, dict[str, str]], Iterable[int]],
    describe: Callable[[Any, dict[str, str]], str] | None = None,
) -> None:
    """Let the queue take ``params`` (from the app's ``AppConfig.ready()``); ``sources``
    never imports the apps above it."""
    _scopes[name] = QueueScope(tuple(params), targets, describe)


def queue_scopes() -> dict[str, QueueScope]:
    return dict(_scopes)


def scope_descriptions(user, params: QueueParams) -> list[str]:
    """What each active scope limits the queue to, for the page's heading."""
    out = []
    for name, values in params.scopes:
        scope = _scopes.get(name)
        if scope and scope.describe:
            out.append(scope.describe(user, dict(values)))
    return out


def _scoped(queryset: QuerySet[Candidate], user, params: QueueParams) -> QuerySet[Candidate]:
    for name, values in params.scopes:
        scope = _scopes.get(name)
        if scope is None:
            continue
        ids = list(scope.targets(user, dict(values)))
        queryset = queryset.filter(target_id__in=ids)
    return queryset


class JsonbTypeof(Func):
    function = "jsonb_typeof"
    output_field = TextField()


def scanning_filters(user, params: QueueParams) -> list[int]:
    """Ids of the filters whose candidates the queue shows: those of the user's groups,
    narrowed by program, filter and stream."""
    my_groups = set(groups_of(user).values_list("id", flat=True))
    if params.groups:
        unknown = set(params.groups) - my_groups
        if unknown:
            raise QueueError(f"group: not a group of yours: {sorted(unknown)}")
        my_groups = set(params.groups)
    filters = Filter.objects.filter(group_id__in=my_groups)
    if params.filters:
        filters = filters.filter(id__in=params.filters)
    if params.streams:
        filters = filters.filter(stream_id__in=params.streams)
    return list(filters.values_list("id", flat=True))


def matching_alerts(
    queryset: QuerySet[Candidate], params: QueueParams, filter_ids: list[int], now: datetime
) -> QuerySet[Candidate]:
    """``queryset`` narrowed by what the queue asks of each alert (filters, time window,
    annotation range), as opposed to what it asks of the object (saved, rejected, class)."""
    queryset = queryset.filter(filter_id__in=filter_ids)
    if params.window in WINDOWS:
        queryset = queryset.filter(passed_at__gte=now - WINDOWS[params.window])
    elif params.window == "custom":
        if params.since:
            queryset = queryset.filter(passed_at__gte=params.since)
        if params.until:
            queryset = queryset.filter(passed_at__lt=params.until)
    if params.annotation and (
        params.annotation_min is not None or params.annotation_max is not None
    ):
        value = KeyTransform(params.annotation, "annotations")
        queryset = queryset.alias(range_value=value, range_type=JsonbTypeof(value)).filter(
            range_type="number"
        )
        if params.annotation_min is not None:
            queryset = queryset.filter(range_value__gte=params.annotation_min)
        if params.annotation_max is not None:
            queryset = queryset.filter(range_value__lte=params.annotation_max)
    return queryset


def representative_column(params: QueueParams) -> str:
    """The time that picks an object's card among its alerts: the newest observed, or with
    ``sort=arrived`` the newest arrived."""
    return TIME_SORTS.get(params.sort, "passed_at")


def queue_queryset(
    user, params: QueueParams, now: datetime | None = None, *, per_object: bool = True
) -> QuerySet[Candidate]:
    """Candidates the user may scan under ``params``, unordered and unpaginated.

    With ``per_object`` (the queue), only each object's representative alert: no newer
    matching alert of the same target exists (one index probe per row on
    ``candidate_target_idx``)."""
    now = now or timezone.now()
    my_groups = list(groups_of(user).values_list("id", flat=True))
    filter_ids = scanning_filters(user, params)
    queryset = visible_to(user, matching_alerts(Candidate.objects.all(), params, filter_ids, now))
    queryset = _scoped(queryset, user, params)

    active_saves = SavedSource.objects.filter(
        target_id=OuterRef("target_id"), unsaved_at__isnull=True
    )
    if params.saved == "unsaved":
        queryset = queryset.filter(~Exists(active_saves.filter(group_id__in=my_groups)))
    elif params.saved == "saved":
        if params.saved_group is not None and params.saved_group not in my_groups:
            raise QueueError(f"saved_group: not a group of yours: {params.saved_group}")
        saved_to = [params.saved_group] if params.saved_group is not None else my_groups
        queryset = queryset.filter(Exists(active_saves.filter(group_id__in=saved_to)))

    if params.hide_rejected:
        rejections = Rejection.objects.active().filter(
            target_id=OuterRef("target_id"), group_id__in=my_groups
        )
        queryset = queryset.filter(~Exists(rejections))

    labels = Classification.objects.filter(target_id=OuterRef("target_id"))
    if params.labelled:
        is_labelled = Exists(labels.filter(author__isnull=False)) | Exists(
            ClassificationVote.objects.filter(classification__target_id=OuterRef("target_id"))
        )
        queryset = queryset.filter(is_labelled if params.labelled == "yes" else ~is_labelled)
    if params.class_in:
        queryset = queryset.filter(Exists(labels.filter(label__in=params.class_in)))
    if params.class_out:
        queryset = queryset.filter(~Exists(labels.filter(label__in=params.class_out)))

    if per_object:
        column = representative_column(params)
        newer = matching_alerts(
            Candidate.objects.filter(target_id=OuterRef("target_id")), params, filter_ids, now
        ).filter(
            Q(**{f"{column}__gt": OuterRef(column)})
            | Q(**{column: OuterRef(column), "id__gt": OuterRef("id")})
        )
        queryset = queryset.filter(~Exists(newer))
    return queryset


def encode_cursor(value: Any, candidate_id: int) -> str:
    raw = json.dumps([value, candidate_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, candidate_id = json.loads(base64.urlsafe_b64decode(padded))
        candidate_id = int(candidate_id)
        if not 0 <= candidate_id < 2**63:
            raise ValueError("candidate id out of range")
        return value, candidate_id
    except (binascii.Error, ValueError, TypeError, OverflowError) as error:
        raise QueueError("cursor: not a cursor this queue issued") from error


def attach_filters(rows: list[Candidate]) -> None:
    """Set each candidate's filter (with stream and group) from one small query; cheaper to
    plan than three more joins in the page query."""
    filters = Filter.objects.select_related("stream", "group").in_bulk({r.filter_id for r in rows})
    for row in rows:
        row.filter = filters[row.filter_id]


def ordered_page(
    queryset: QuerySet[Candidate], params: QueueParams
) -> tuple[list[Candidate], str | None]:
    """One keyset page (no OFFSET): rows after the cursor in the sort order, and the next
    cursor (``None`` on the last page). Sorting by an annotation keeps numeric values only."""
    if params.sort in TIME_SORTS:
        queryset = queryset.annotate(sort_value=F(TIME_SORTS[params.sort]))
    else:
        value = KeyTransform(params.sort, "annotations")
        queryset = (
            queryset.annotate(sort_value=value)
            .alias(sort_type=JsonbTypeof(value))
            .filter(sort_type="number")
        )
    if params.cursor:
        after_value, after_id = decode_cursor(params.cursor)
        if params.sort in TIME_SORTS:
            try:  # an impossible date (month 13) raises instead of returning None
                after_value = parse_datetime(str(after_value))
            except ValueError:
                after_value = None
            if after_value is None:
                raise QueueError("cursor: not a cursor this queue issued")
        elif (
            isinstance(after_value, bool)
            or not isinstance(after_value, (int, float))
            or not math.isfinite(after_value)
        ):
            raise QueueError("cursor: not a cursor this queue issued")
        # The redundant bound (≤ / ≥) keeps the condition an index range scan.
        if params.descending:
            queryset = queryset.filter(
                Q(sort_value__lte=after_value)
                & (Q(sort_value__lt=after_value) | Q(id__lt=after_id))
            )
        else:
            queryset = queryset.filter(
                Q(sort_value__gte=after_value)
                & (Q(sort_value__gt=after_value) | Q(id__gt=after_id))
            )
    order = ("-sort_value", "-id") if params.descending else ("sort_value", "id")
    # Two steps: the page's ids from the candidate table alone (an index range plus
    # per-row permission/saved/rejected probes), then those rows with their targets. Joining
    # targets into the ordered query lets the planner scan targets before limiting.
    keys = list(queryset.order_by(*order).values_list("id", "sort_value")[: params.page_size + 1])
    by_id = Candidate.objects.select_related("target", "target__summary").in_bulk(
        [candidate_id for candidate_id, _ in keys]
    )
    rows = []
    for candidate_id, sort_value in keys:
        row = by_id[candidate_id]
        row.sort_value = sort_value
        rows.append(row)
    has_more = len(rows) > params.page_size
    rows = rows[: params.page_size]
    if not has_more or not rows:
        return rows, None
    last = rows[-1]
    last_value = last.sort_value.isoformat() if params.sort in TIME_SORTS else last.sort_value
    return rows, encode_cursor(last_value, last.id)


@dataclass
class AlertSummary:
    """The matching alerts of one object: how many, through which filters and streams."""

    count: int = 0
    filters: list[Filter] = field(default_factory=list)

    @property
    def streams(self) -> list[str]:
        return sorted({f.stream.name for f in self.filters})

    @property
    def filter_names(self) -> list[str]:
        return sorted({f.name for f in self.filters})


def alert_summaries(
    user, params: QueueParams, rows: list[Candidate], now: datetime | None = None
) -> dict[int, AlertSummary]:
    """For each row's object, its alerts matching the queue (count, filters, streams), and
    every row's ``filter`` attached, in two queries whatever the number of rows."""
    if not rows:
        return {}
    now = now or timezone.now()
    filter_ids = scanning_filters(user, params)
    counts: dict[int, int] = defaultdict(int)
    filters_of: dict[int, set[int]] = defaultdict(set)
    for target_id, filter_id, n in (
        matching_alerts(
            Candidate.objects.filter(target_id__in={r.target_id for r in rows}),
            params,
            filter_ids,
            now,
        )
        .values("target_id", "filter_id")
        .annotate(n=Count("id"))
        .values_list("target_id", "filter_id", "n")
    ):
        counts[target_id] += n
        filters_of[target_id].add(filter_id)
    wanted = {r.filter_id for r in rows} | {f for ids in filters_of.values() for f in ids}
    filters = Filter.objects.select_related("stream", "group").in_bulk(wanted)
    for row in rows:
        row.filter = filters[row.filter_id]
    return {
        r.target_id: AlertSummary(
            count=max(counts.get(r.target_id, 0), 1),
            filters=sorted(
                (filters[f] for f in filters_of.get(r.target_id, {r.filter_id})),
                key=lambda f: (f.stream.name, f.name),
            ),
        )
        for r in rows
    }
