"""The scanning queue: which candidates a user sees, in which order, one keyset page at a time.

Everything a page shows (light curves, latest classification, saved/rejected state, the
groups a candidate can be saved to) is fetched with a fixed number of queries whatever the
page size. Permission decisions go through ``accounts.access``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django import forms
from django.db.models import Exists, F, Func, OuterRef, Q, QuerySet, TextField, Window
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import RowNumber
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.access import groups_of, visible_to
from sources.models import (
    Candidate,
    Classification,
    ClassificationVote,
    Filter,
    Photometry,
    Rejection,
    SavedSource,
    Stream,
)

ANNOTATION_KEY = re.compile(r"^[A-Za-z0-9_]{1,100}$")
WINDOWS = {"24h": timedelta(hours=24), "3n": timedelta(days=3)}
MAX_PAGE_SIZE = 200
DEFAULT_PAGE_SIZE = 50

# Fink values a scanner reads first, per survey, in display order: (annotation key, label).
KEY_VALUES = {
    "ztf": [
        ("rf_snia_vs_nonia", "RF SN Ia"),
        ("snn_snia_vs_nonia", "SNN SN Ia"),
        ("snn_sn_vs_all", "SNN SN"),
        ("rf_kn_vs_nonkn", "KN"),
        ("candidate_drb", "DRB"),
        ("cdsxmatch", "SIMBAD"),
        ("DR3Name", "Gaia"),
        ("tns", "TNS"),
        ("roid", "SSO flag"),
    ],
    "lsst": [
        ("clf_cats_score", "CATS"),
        ("clf_earlySNIa_score", "early SN Ia"),
        ("clf_snnSnVsOthers_score", "SNN SN"),
        ("diaSource_reliability", "reliability"),
        ("xm_simbad_otype", "SIMBAD"),
        ("xm_gaiadr3_DR3Name", "Gaia"),
        ("xm_tns_fullname", "TNS"),
        ("pred_is_sso", "SSO flag"),
    ],
}


class QueueError(ValueError):
    """A malformed queue request (bad cursor, unknown group…); the message says why."""


class JsonbTypeof(Func):
    function = "jsonb_typeof"
    output_field = TextField()


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
    cursor = forms.CharField(required=False)
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

    def params(self) -> QueueParams:
        data = self.cleaned_data
        return QueueParams(
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


def parse_queue_params(data) -> QueueParams:
    """Validate GET parameters; raises :class:`QueueError` with the form's messages."""
    form = QueueForm(data)
    if not form.is_valid():
        raise QueueError(
            "; ".join(f"{name}: {' '.join(errors)}" for name, errors in form.errors.items())
        )
    return form.params()


# --------------------------------------------------------------------------- queryset


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


def queue_queryset(user, params: QueueParams, now: datetime | None = None) -> QuerySet[Candidate]:
    """Candidates the user may scan under ``params``, unordered and unpaginated."""
    now = now or timezone.now()
    my_groups = list(groups_of(user).values_list("id", flat=True))
    queryset = visible_to(
        user, Candidate.objects.filter(filter_id__in=scanning_filters(user, params))
    )

    if params.window in WINDOWS:
        queryset = queryset.filter(passed_at__gte=now - WINDOWS[params.window])
    elif params.window == "custom":
        if params.since:
            queryset = queryset.filter(passed_at__gte=params.since)
        if params.until:
            queryset = queryset.filter(passed_at__lt=params.until)

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


def encode_cursor(value: Any, candidate_id: int) -> str:
    raw = json.dumps([value, candidate_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value, candidate_id = json.loads(base64.urlsafe_b64decode(padded))
        return value, int(candidate_id)
    except (binascii.Error, ValueError, TypeError) as error:
        raise QueueError("cursor: not a cursor this queue issued") from error


def attach_filters(rows: list[Candidate]) -> None:
    """Set each candidate's filter (with stream and group) from one small query; cheaper to
    plan than three more joins in the page query."""
    filters = Filter.objects.select_related("stream", "group").in_bulk({r.filter_id for r in rows})
    for row in rows:
        row.filter = filters[row.filter_id]


# Sorts on a time column of the candidate: when the alert was observed, or when it arrived
# here (what a shifter watching for new arrivals wants).
TIME_SORTS = {"passed": "passed_at", "arrived": "ingested_at"}


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
            after_value = parse_datetime(str(after_value))
            if after_value is None:
                raise QueueError("cursor: not a cursor this queue issued")
        elif not isinstance(after_value, (int, float)):
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
    attach_filters(rows)
    has_more = len(rows) > params.page_size
    rows = rows[: params.page_size]
    if not has_more or not rows:
        return rows, None
    last = rows[-1]
    last_value = last.sort_value.isoformat() if params.sort in TIME_SORTS else last.sort_value
    return rows, encode_cursor(last_value, last.id)


# --------------------------------------------------------------------------- page contents


@dataclass
class LightCurvePoint:
    """One measurement: MJD (days), flux and error (µJy), AB magnitudes."""

    mjd: float
    band: str
    flux: float | None
    fluxerr: float | None
    mag: float | None
    magerr: float | None
    limiting_mag: float | None


@dataclass
class CandidateCard:
    candidate: Candidate
    survey: str
    ra: float
    dec: float
    ra_hms: str
    dec_dms: str
    galactic_b: float
    photometry: list[LightCurvePoint]
    classification: Classification | None
    key_values: list[tuple[str, Any]]
    saved_groups: list[int]
    passed_groups: list[int]
    rejected: bool
    links: dict[str, str]

    @property
    def target(self):
        return self.candidate.target

    # Display strings, formatted here once rather than by template filters (hot path).
    @property
    def degrees(self) -> str:
        return f"{self.ra:.5f} {self.dec:+.5f}"

    @property
    def galactic_b_text(self) -> str:
        return f"{self.galactic_b:+.2f}"

    @property
    def detections_text(self) -> str:
        summary = getattr(self.target, "summary", None)
        if summary is None:
            return "-"
        first, last = summary.first_detection_mjd, summary.last_detection_mjd
        return " / ".join("-" if v is None else f"{v:.3f}" for v in (first, last))

    @property
    def probability_text(self) -> str:
        if self.classification is None or self.classification.probability is None:
            return ""
        return f"{self.classification.probability:.2f}"


def sexagesimal(ra_deg: np.ndarray, dec_deg: np.ndarray) -> tuple[list[str], list[str]]:
    """RA (deg) → 'hh:mm:ss.ss', Dec (deg) → '±dd:mm:ss.s', vectorised."""
    ra_seconds = np.round(np.mod(ra_deg, 360.0) / 15.0 * 3600.0, 2) % 86400.0
    hours, rest = np.divmod(ra_seconds, 3600.0)
    minutes, seconds = np.divmod(rest, 60.0)
    ras = [
        f"{int(h):02d}:{int(m):02d}:{s:05.2f}"
        for h, m, s in zip(hours, minutes, seconds, strict=True)
    ]
    dec_arcsec = np.round(np.abs(dec_deg) * 3600.0, 1)
    degrees, rest = np.divmod(dec_arcsec, 3600.0)
    arcmin, arcsec = np.divmod(rest, 60.0)
    decs = [
        f"{'-' if d < 0 else '+'}{int(dd):02d}:{int(mm):02d}:{ss:04.1f}"
        for d, dd, mm, ss in zip(dec_deg, degrees, arcmin, arcsec, strict=True)
    ]
    return ras, decs


# ICRS → Galactic rotation (the matrix astropy uses for the Galactic frame).
_ICRS_TO_GALACTIC = None


def galactic_latitude(ra_deg: np.ndarray, dec_deg: np.ndarray) -> np.ndarray:
    """Galactic latitude b (deg) of ICRS positions (deg), vectorised."""
    global _ICRS_TO_GALACTIC
    if _ICRS_TO_GALACTIC is None:
        from astropy.coordinates import SkyCoord

        basis = SkyCoord(
            x=[1.0, 0.0, 0.0], y=[0.0, 1.0, 0.0], z=[0.0, 0.0, 1.0],
            representation_type="cartesian", frame="icrs",
        )  # fmt: skip
        # Column j is the image of the ICRS unit vector j: the rotation matrix itself.
        _ICRS_TO_GALACTIC = basis.galactic.cartesian.xyz.value
    ra, dec = np.radians(ra_deg), np.radians(dec_deg)
    xyz = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    z = (_ICRS_TO_GALACTIC @ xyz)[2]
    return np.degrees(np.arcsin(np.clip(z, -1.0, 1.0)))


def display_value(value: Any) -> str:
    """An annotation as a scanner reads it: 3 decimals for scores, yes/no for flags."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def external_links(survey: str, name: str, ra: float, dec: float) -> dict[str, str]:
    if survey == "lsst":
        portal = f"https://lsst.fink-portal.org/{name}"
    else:
        portal = f"https://fink-portal.org/{name}"
    return {
        "Fink": portal,
        "TNS": (
            f"https://www.wis-tns.org/search?ra={ra:.6f}&decl={dec:.6f}&radius=5&coords_unit=arcsec"
        ),
        "Legacy Survey": f"https://www.legacysurvey.org/viewer?ra={ra:.6f}&dec={dec:+.6f}&zoom=16",
        "Aladin": f"https://aladin.cds.unistra.fr/AladinLite/?target={ra:.6f}%20{dec:+.6f}&fov=0.05",
    }


def visible_classifications(user) -> QuerySet[Classification]:
    """Classifications the user may read: stream labels and labels shared with their groups
    (the target itself is checked through ``visible_to``)."""
    from django.contrib.auth.models import Group

    shared = Group.objects.filter(
        classifications=OuterRef("pk"), id__in=groups_of(user).values("id")
    )
    unscoped = Group.objects.filter(classifications=OuterRef("pk"))
    queryset = visible_to(user, Classification.objects.all())
    if user.is_superuser:
        return queryset
    return queryset.filter(Q(Exists(shared)) | ~Exists(unscoped))


CARD_POINTS = 120


def light_curves(
    target_ids: list[int], latest: int | None = None, *, user=None, include_rejected=False
) -> dict[int, list[LightCurvePoint]]:
    """Photometry of several targets in one query, by target, in time order; with
    ``latest``, only each target's ``latest`` most recent points (what a card draws).
    With ``user``, only the points that user may see (``sources.uploads.visible_photometry``:
    uploads of other groups and rejected points are left out).

    Ordered by ``measurement_key``, which is time order (see ``Photometry``), so the
    unique ``(target, measurement_key)`` index feeds the window without a sort."""
    curves: dict[int, list[LightCurvePoint]] = defaultdict(list)
    rows = Photometry.objects.filter(target_id__in=target_ids)
    if user is not None:
        from sources.uploads import visible_photometry

        rows = visible_photometry(user, rows, include_rejected=include_rejected)
    if latest is not None:
        rows = rows.annotate(
            recency=Window(
                RowNumber(), partition_by=[F("target_id")], order_by=F("measurement_key").desc()
            )
        ).filter(recency__lte=latest)
    columns = ("target_id", "mjd", "band", "flux", "fluxerr", "mag", "magerr", "limiting_mag")
    for target_id, *point in rows.order_by("target_id", "measurement_key").values_list(*columns):
        curves[target_id].append(LightCurvePoint(*point))
    return curves


def build_cards(user, candidates: list[Candidate]) -> list[CandidateCard]:
    """Everything a page of cards shows, in a number of queries independent of its size."""
    if not candidates:
        return []
    my_groups = list(groups_of(user).values_list("id", flat=True))
    target_ids = list({c.target_id for c in candidates})
    curves = light_curves(target_ids, latest=CARD_POINTS, user=user)

    latest = {
        c.target_id: c
        for c in visible_classifications(user)
        .filter(target_id__in=target_ids)
        .select_related("taxonomy")
        .order_by("target_id", "-created", "-id")
        .distinct("target_id")
    }
    saved: dict[int, list[int]] = defaultdict(list)
    for target_id, group_id in SavedSource.objects.filter(
        target_id__in=target_ids, group_id__in=my_groups, unsaved_at__isnull=True
    ).values_list("target_id", "group_id"):
        saved[target_id].append(group_id)
    passed: dict[int, set[int]] = defaultdict(set)
    for target_id, group_id in (
        Candidate.objects.filter(target_id__in=target_ids, filter__group_id__in=my_groups)
        .values_list("target_id", "filter__group_id")
        .distinct()
    ):
        passed[target_id].add(group_id)
    rejected = set(
        Rejection.objects.active()
        .filter(target_id__in=target_ids, group_id__in=my_groups)
        .values_list("target_id", flat=True)
    )

    ra = np.array([c.target.ra or 0.0 for c in candidates], dtype=float)
    dec = np.array([c.target.dec or 0.0 for c in candidates], dtype=float)
    ra_hms, dec_dms = sexagesimal(ra, dec)
    galactic_b = galactic_latitude(ra, dec)

    cards = []
    for index, candidate in enumerate(candidates):
        survey = candidate.filter.stream.survey
        annotations = candidate.annotations or {}
        cards.append(
            CandidateCard(
                candidate=candidate,
                survey=survey,
                ra=float(ra[index]),
                dec=float(dec[index]),
                ra_hms=ra_hms[index],
                dec_dms=dec_dms[index],
                galactic_b=float(galactic_b[index]),
                photometry=curves.get(candidate.target_id, []),
                classification=latest.get(candidate.target_id),
                key_values=[
                    (label, display_value(annotations[key]))
                    for key, label in KEY_VALUES.get(survey, [])
                    if annotations.get(key) not in (None, "", "nan", "Unknown", "None", "null")
                ],
                saved_groups=sorted(saved.get(candidate.target_id, [])),
                passed_groups=sorted(passed.get(candidate.target_id, set())),
                rejected=candidate.target_id in rejected,
                links=external_links(
                    survey, candidate.target.name, float(ra[index]), float(dec[index])
                ),
            )
        )
    return cards


def scanning_page(user, params: QueueParams) -> tuple[list[CandidateCard], str | None]:
    """The page of cards ``params`` asks for and the cursor of the next one."""
    rows, next_cursor = ordered_page(queue_queryset(user, params), params)
    return build_cards(user, rows), next_cursor


def choices_for(user) -> dict[str, Any]:
    """Programs, filters and streams the user can pick in the queue's form."""
    groups = list(groups_of(user).order_by("name"))
    filters = list(
        Filter.objects.filter(group__in=groups).select_related("stream", "group").order_by("name")
    )
    streams = list(Stream.objects.filter(filters__in=filters).distinct().order_by("name"))
    return {"groups": groups, "filters": filters, "streams": streams}
