"""The shared object graph: streams, filters, candidates, photometry, classifications.

Targets are TOM Toolkit's ``tom_targets.Target``; which groups may see a target is
answered by ``accounts`` (``TargetGroupObjectPermission`` and ``visible_to``).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.utils import timezone
from tom_targets.models import Target


class Stream(models.Model):
    """An inbound alert stream (e.g. Fink ZTF, Fink LSST)."""

    name = models.CharField(max_length=100, unique=True)
    survey = models.CharField(max_length=20, help_text="ztf or lsst")
    description = models.TextField(blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class Filter(models.Model):
    """A broker filter/topic whose alerts land in a group's scanning queue."""

    name = models.CharField(max_length=200)
    stream = models.ForeignKey(Stream, on_delete=models.CASCADE, related_name="filters")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="alert_filters")
    topic = models.CharField(max_length=200, help_text="Kafka topic the alerts come from")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["stream", "topic", "group"], name="filter_unique_topic_per_group"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.stream}, {self.group})"


class Candidate(models.Model):
    """A target that passed a filter at a time: the unit of scanning."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="candidates")
    filter = models.ForeignKey(Filter, on_delete=models.CASCADE, related_name="candidates")
    alert_id = models.BigIntegerField(help_text="ZTF candid or LSST diaSourceId")
    passed_at = models.DateTimeField(help_text="observation time of the alert that passed")
    kafka_timestamp = models.DateTimeField(null=True, blank=True)
    ingested_at = models.DateTimeField(help_text="commit time of the ingest transaction")
    annotations = models.JSONField(default=dict, blank=True, help_text="broker scores, xmatch")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["filter", "alert_id"], name="candidate_unique_alert")
        ]
        indexes = [
            models.Index(fields=["filter", "-passed_at", "-id"], name="candidate_queue_idx"),
            models.Index(fields=["filter", "-ingested_at", "-id"], name="candidate_arrival_idx"),
            models.Index(fields=["target", "-passed_at"], name="candidate_target_idx"),
        ]


class Photometry(models.Model):
    """One real measurement of a target (µJy, AB magnitudes), stored once.

    ``measurement_key`` names the instrument, band, kind and time of the measurement,
    ``detection_id`` the survey's id of a detection (ZTF candid, LSST diaSourceId; 0 for
    upper limits, forced photometry and uploads): together they identify the physical
    measurement, so the same point arriving in an alert, in a later alert's history or in
    a replay is one row, and two detections of one exposure (same time and band, two
    survey ids) are two rows. Keys grow with time within a band, so ``(target,
    measurement_key)`` order is time order: the primary key serves light curves too.

    This is the largest table (an LSST alert brings hundreds of history points), so it
    carries one index besides its primary key ``(target, measurement_key, detection_id)``,
    which is also what makes each measurement unique (a separate surrogate id and its
    index cost the ingest 40 % of its COPY time), and its foreign keys are not enforced by per-row
    database triggers (one per inserted row, checked at commit, cost the ingest a third
    of its time). Integrity is kept instead by the writers: deletions cascade through Django,
    and the bulk ingest holds a ``FOR KEY SHARE`` lock on every target of its batch
    (see :mod:`brokers.fink.ingest`), which is the lock such a trigger would take.
    """

    ORIGINS = [
        ("alert", "alert"),
        ("history", "history"),
        ("forced", "forced"),
        ("upload", "upload"),
        ("followup", "followup"),
    ]

    pk = models.CompositePrimaryKey("target_id", "measurement_key", "detection_id")
    target = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="photometry",
        db_index=False, db_constraint=False,  # the primary key leads with target
    )  # fmt: skip
    mjd = models.FloatField(help_text="Modified Julian Date (days)")
    band = models.CharField(max_length=20, help_text="sncosmo band name")
    instrument = models.CharField(max_length=40)
    flux = models.FloatField(null=True, blank=True, help_text="µJy, AB zero point 23.9")
    fluxerr = models.FloatField(null=True, blank=True, help_text="µJy")
    mag = models.FloatField(null=True, blank=True, help_text="AB mag, where flux > 0")
    magerr = models.FloatField(null=True, blank=True)
    limiting_mag = models.FloatField(null=True, blank=True, help_text="AB mag (non-detections)")
    origin = models.CharField(max_length=10, choices=ORIGINS)
    alert_id = models.BigIntegerField(null=True, blank=True)
    measurement_key = models.BigIntegerField()
    detection_id = models.BigIntegerField(
        default=0, db_default=0, help_text="survey id of a detection (candid, diaSourceId), else 0"
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        help_text="uploader; empty for points from a stream",
        db_index=False, db_constraint=False,  # indexed where set: see Meta
    )  # fmt: skip
    created = models.DateTimeField(db_default=Now())  # set by the server: bulk COPY omits it

    class Meta:
        verbose_name_plural = "photometry"
        indexes = [
            models.Index(
                fields=["owner"], condition=Q(owner__isnull=False), name="photometry_owner_idx"
            )
        ]


class TargetSummary(models.Model):
    """Per-target facts kept up to date by ingest, so queues and crossmatches need no scans.

    ``healpix`` is the nested HEALPix index at order 29 of (ra, dec).
    """

    target = models.OneToOneField(
        Target, primary_key=True, on_delete=models.CASCADE, related_name="summary"
    )
    healpix = models.BigIntegerField(db_index=True)
    first_detection_mjd = models.FloatField(null=True, blank=True)
    last_detection_mjd = models.FloatField(null=True, blank=True)
    n_detections = models.IntegerField(default=0)
    is_solar_system = models.BooleanField(default=False)


class Taxonomy(models.Model):
    """A classification hierarchy (e.g. Fink's), versioned."""

    name = models.CharField(max_length=100, unique=True)
    version = models.CharField(max_length=50)
    hierarchy = models.JSONField(help_text="nested {class: {subclass: {...}}}")
    provenance = models.CharField(max_length=200, blank=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "taxonomies"

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


class Classification(models.Model):
    """A label on a target in a taxonomy, by a person or a stream (``author_name``)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="classifications")
    taxonomy = models.ForeignKey(Taxonomy, on_delete=models.PROTECT)
    label = models.CharField(max_length=200)
    probability = models.FloatField(null=True, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    author_name = models.CharField(max_length=150, help_text="user name or stream name")
    alert_id = models.BigIntegerField(null=True, blank=True, help_text="set for stream labels")
    groups = models.ManyToManyField(Group, blank=True, related_name="classifications")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "author_name", "alert_id", "label"],
                condition=Q(alert_id__isnull=False),
                name="classification_unique_per_alert",
            )
        ]
        indexes = [models.Index(fields=["target", "-created"], name="classification_latest_idx")]


class ClassificationVote(models.Model):
    classification = models.ForeignKey(
        Classification, on_delete=models.CASCADE, related_name="votes"
    )
    voter = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    vote = models.SmallIntegerField(choices=[(1, "up"), (-1, "down")])
    created = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["classification", "voter"], name="one_vote_per_user")
        ]


class Cutout(models.Model):
    """An image stamp of an alert, as FITS bytes (ZTF: gzipped); PNGs are rendered on
    demand.

    The bytes are in ``fits``, or, where an app already keeps them, in a registered
    cutout store (``sources.cutouts.CUTOUT_STORES``) at ``store_offset``/``store_length``
    of what that store holds for the alert: the Fink ingest points into its raw-alert
    archive, which carries the stamps anyway, so that they are written once.
    """

    KINDS = [("science", "science"), ("template", "template"), ("difference", "difference")]

    target = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="cutouts", db_index=False
    )  # cutout_target_idx leads with target
    alert_id = models.BigIntegerField()
    kind = models.CharField(max_length=10, choices=KINDS)
    fits = models.BinaryField(null=True, blank=True, help_text="the stamp, unless in a store")
    store = models.CharField(max_length=40, blank=True, help_text="cutout store holding it")
    store_offset = models.BigIntegerField(null=True, blank=True, help_text="bytes")
    store_length = models.IntegerField(null=True, blank=True, help_text="bytes")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["alert_id", "kind"], name="cutout_unique_per_alert")
        ]
        indexes = [models.Index(fields=["target", "-alert_id"], name="cutout_target_idx")]


class OpenRowQuerySet(models.QuerySet):
    """Rows that an action opens for a target in some groups and its undo closes; closed
    rows stay as history, one row at most is open per target and group. The model names
    its columns: ``OPENED_BY`` (who opened), ``CLOSED_AT`` and ``CLOSED_BY``."""

    def active(self) -> OpenRowQuerySet:
        """The open rows."""
        return self.filter(**{f"{self.model.CLOSED_AT}__isnull": True})

    def open_for(self, target: Target, group_ids, by) -> list:
        """Open a row for ``target`` in each of ``group_ids`` without one; the new rows."""
        already = set(
            self.active()
            .filter(target=target, group_id__in=group_ids)
            .values_list("group_id", flat=True)
        )
        return [
            self.create(target=target, group_id=g, **{self.model.OPENED_BY: by})
            for g in group_ids
            if g not in already
        ]

    def close_for(self, target: Target, group_ids, by) -> int:
        """Close the open rows of ``target`` in ``group_ids``; how many were closed."""
        return (
            self.active()
            .filter(target=target, group_id__in=group_ids)
            .update(**{self.model.CLOSED_AT: timezone.now(), self.model.CLOSED_BY: by})
        )


class SavedSource(models.Model):
    """A target saved to a group. Unsaving closes the row; history is kept."""

    OPENED_BY, CLOSED_AT, CLOSED_BY = "saved_by", "unsaved_at", "unsaved_by"

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="saves")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="saved_sources")
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    saved_at = models.DateTimeField(auto_now_add=True)
    unsaved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    unsaved_at = models.DateTimeField(null=True, blank=True)

    objects = OpenRowQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "group"],
                condition=Q(unsaved_at__isnull=True),
                name="saved_source_one_active_per_group",
            )
        ]


class Rejection(models.Model):
    """A target hidden from a group's scanning queue. Undoing closes the row; history is kept."""

    OPENED_BY, CLOSED_AT, CLOSED_BY = "rejected_by", "undone_at", "undone_by"

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="rejections")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="rejections")
    rejected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    rejected_at = models.DateTimeField(auto_now_add=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    undone_at = models.DateTimeField(null=True, blank=True)

    objects = OpenRowQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "group"],
                condition=Q(undone_at__isnull=True),
                name="rejection_one_active_per_group",
            )
        ]


class Comment(models.Model):
    """A note on a target, readable by the groups it was written for; ``mentions`` are the
    users named with ``@username`` (kept for notifications)."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    text = models.TextField()
    groups = models.ManyToManyField(Group, related_name="comments")
    mentions = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="mentioned_in_comments"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["target", "-created"], name="comment_target_idx")]


class SourceTag(models.Model):
    """A free label on a target, visible to one group only."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="tags")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="source_tags")
    name = models.CharField(max_length=60)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "group", "name"], name="source_tag_unique_per_group"
            )
        ]


class PhotometryGroup(models.Model):
    """A group allowed to see an uploaded point. Points without such rows (stream points)
    are seen by whoever sees their target; points with them only by those groups."""

    id = models.BigAutoField(primary_key=True)
    # no per-row foreign-key triggers (an upload writes thousands of rows at once, like the
    # photometry itself); deletions cascade through Django
    target = models.ForeignKey(
        Target, on_delete=models.CASCADE, related_name="+", db_index=False, db_constraint=False
    )
    measurement_key = models.BigIntegerField()
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="+", db_constraint=False
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "measurement_key", "group"], name="photometry_group_unique"
            )
        ]


class PhotometryValidation(models.Model):
    """A point marked validated or rejected (with a reason) by a holder of Manage sources.
    Rejected points are kept, hidden from plots unless asked for."""

    STATUSES = [("validated", "validated"), ("rejected", "rejected")]

    id = models.BigAutoField(primary_key=True)
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="+", db_index=False)
    measurement_key = models.BigIntegerField()
    status = models.CharField(max_length=10, choices=STATUSES)
    reason = models.CharField(max_length=500, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["target", "measurement_key"], name="photometry_validation_unique"
            )
        ]


class Spectrum(models.Model):
    """A 1-D spectrum of a target: wavelengths (``wave_units``, default Å), fluxes
    (``flux_units``, default erg s⁻¹ cm⁻² Å⁻¹) and optional errors, seen by ``groups``."""

    ORIGINS = [("upload", "upload"), ("followup", "followup")]

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="spectra")
    wavelengths = ArrayField(models.FloatField())
    fluxes = ArrayField(models.FloatField())
    errors = ArrayField(models.FloatField(), null=True, blank=True)
    wave_units = models.CharField(max_length=20, default="Angstrom")
    flux_units = models.CharField(max_length=40, default="erg/s/cm2/Angstrom")
    instrument = models.CharField(max_length=120)
    observed_at = models.DateTimeField()
    origin = models.CharField(max_length=10, choices=ORIGINS, default="upload")
    label = models.CharField(max_length=200, blank=True, help_text="file name or request")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    groups = models.ManyToManyField(Group, related_name="spectra")
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "spectra"
        indexes = [models.Index(fields=["target", "-observed_at"], name="spectrum_target_idx")]
