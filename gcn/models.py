"""GCN events, their notices and localizations, sky-map tiles, galaxy catalogs, crossmatches.

Sky positions are indexed by the nested HEALPix index at order 29 (nside 2**29)
of (ra, dec) — the same numbering as ``sources.TargetSummary.healpix``. A
localization is stored as non-overlapping tiles ``[lower, upper)`` in that
numbering; a point ``p`` is inside a tile when ``lower <= p < upper``. That
pair of B-tree comparisons is what the crossmatch uses: a containment test
``tile.healpix @> p`` does one GiST probe per point and is far slower at
millions of rows (``bench/crossmatch.py`` measures both).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField, BigIntegerRangeField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from tom_targets.models import Target


class GcnEventQuerySet(models.QuerySet):
    def with_alias(self, alias: str) -> GcnEventQuerySet:
        return self.filter(aliases__contains=[alias])

    def lookup(self, key: str) -> GcnEvent | None:
        """The event whose primary key or one of whose aliases is ``key`` (None if absent)."""
        # ASCII digits only ("²".isdigit() is true but int("²") fails), within bigint
        if key.isascii() and key.isdigit() and int(key) < 2**63:
            found = self.filter(pk=int(key)).first()
            if found is not None:
                return found
        found = self.with_alias(key).order_by("-trigger_time").first()
        return found or self.filter(name=key).order_by("-trigger_time").first()


class GcnEvent(models.Model):
    """One astrophysical trigger, keyed by its trigger time (UTC), known under several aliases.

    ``aliases``: official names first (S-names, ``bnYYMMDDfff``, GRB names), then
    mission trigger ids as ``"<Source>#<id>"``. ``far_hz``: latest false-alarm
    rate in Hz (null when none was given). ``properties``: the merged notice
    properties (FAR in Hz, source-class probabilities, HasNS, HasRemnant,
    signalness, distmean/diststd in Mpc, area_50/area_90 in deg²).
    """

    trigger_time = models.DateTimeField(db_index=True)
    name = models.CharField(max_length=100, help_text="preferred display name (first alias)")
    aliases = ArrayField(models.CharField(max_length=100), default=list)
    source = models.CharField(max_length=50, help_text="mission of the first notice")
    tags = ArrayField(models.CharField(max_length=50), default=list)
    properties = models.JSONField(default=dict)
    far_hz = models.FloatField(null=True, blank=True, db_index=True)
    significant = models.BooleanField(null=True)
    is_test = models.BooleanField(default=False)
    retracted = models.BooleanField(default=False)
    latest_issued_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = GcnEventQuerySet.as_manager()

    class Meta:
        ordering = ["-trigger_time"]
        indexes = [
            GinIndex(fields=["aliases"], name="gcn_event_aliases_gin"),
            GinIndex(fields=["tags"], name="gcn_event_tags_gin"),
        ]

    def __str__(self) -> str:
        return self.name

    def current_localization(self) -> Localization | None:
        """The most recent usable localization (the one crossmatches use by default)."""
        return (
            self.localizations.filter(status=Localization.Status.READY)
            .order_by("-created_at", "-id")
            .first()
        )


class GcnNotice(models.Model):
    """One received notice, unique by IVORN or, lacking one, the SHA-256 of its bytes.

    ``notice_type == 'unknown'`` marks a notice we could not interpret; it is kept
    raw (and listed in the admin) rather than dropped.
    """

    event = models.ForeignKey(
        GcnEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="notices"
    )
    unique_key = models.CharField(max_length=300, unique=True)
    ivorn = models.CharField(max_length=300, null=True, blank=True)
    content_hash = models.CharField(max_length=64, db_index=True)
    source = models.CharField(max_length=50)
    notice_type = models.CharField(max_length=100, db_index=True)
    format = models.CharField(max_length=30)
    origin = models.CharField(max_length=500, blank=True, help_text="file path or topic:partition")
    is_retraction = models.BooleanField(default=False)
    significant = models.BooleanField(null=True)
    is_test = models.BooleanField(default=False)
    trigger_time = models.DateTimeField(null=True, blank=True)
    issued_at = models.DateTimeField(null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    properties = models.JSONField(default=dict)
    tags = ArrayField(models.CharField(max_length=50), default=list)
    raw = models.BinaryField()

    class Meta:
        ordering = ["received_at", "id"]

    def __str__(self) -> str:
        return f"{self.source} {self.notice_type} {self.unique_key}"


class GcnQuarantine(models.Model):
    """Bytes that could not be read as a notice, kept with the reason (never silently dropped)."""

    reason = models.CharField(max_length=50, db_index=True)
    detail = models.TextField(blank=True)
    origin = models.CharField(max_length=500, blank=True)
    content_hash = models.CharField(max_length=64, unique=True)
    size = models.BigIntegerField()
    raw = models.BinaryField()
    received_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-received_at"]
        verbose_name_plural = "GCN quarantine"

    def __str__(self) -> str:
        return f"{self.reason}: {self.origin or self.content_hash[:12]}"


class Localization(models.Model):
    """A sky localization of an event, stored as order-29 HEALPix tiles once ready.

    ``area_50``/``area_90``: areas of the 50 %/90 % credible regions in deg².
    ``distance_mean``/``distance_std``: luminosity distance posterior in Mpc.
    ``contours``: GeoJSON FeatureCollection of the credible-region outlines
    (lon = ra, degrees). A sky map given by URL is ``pending`` until fetched;
    ``failed`` after too many attempts or when the fetched bytes are not a map.
    """

    class Status(models.TextChoices):
        READY = "ready"
        PENDING = "pending"
        FAILED = "failed"

    event = models.ForeignKey(GcnEvent, on_delete=models.CASCADE, related_name="localizations")
    notice = models.ForeignKey(GcnNotice, on_delete=models.CASCADE, related_name="localizations")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, help_text="MultiOrderMap, PointError, MapURL, …")
    status = models.CharField(max_length=10, choices=Status.choices, db_index=True)
    url = models.CharField(max_length=1000, blank=True)
    attempts = models.IntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    area_50 = models.FloatField(null=True, blank=True)
    area_90 = models.FloatField(null=True, blank=True)
    distance_mean = models.FloatField(null=True, blank=True)
    distance_std = models.FloatField(null=True, blank=True)
    contours = models.JSONField(default=dict, blank=True)
    n_tiles = models.IntegerField(default=0)
    region_ranges = models.JSONField(
        default=dict,
        blank=True,
        help_text='{"0.9": [[lower, upper], ...]}: the tiles of each standard credible region '
        "merged into contiguous order-29 ranges (what the crossmatch probes)",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    ready_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["notice", "name"], name="gcn_localization_per_notice")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.name} ({self.status})"


class LocalizationTile(models.Model):
    """One tile ``[lower, upper)`` of a localization in nested HEALPix order-29 indices.

    ``healpix`` holds the same range as an ``int8range`` (for ad-hoc containment
    queries and interoperability; deliberately without a GiST index, which would
    make storing an LVK map several times slower and that the crossmatch does not
    use); ``lower``/``upper`` are what the fast crossmatch uses.
    ``probdensity`` per steradian; ``cumprob`` the inclusive greedy credible level
    (inside the p region ⇔ ``cumprob <= p``); ``distmu``/``distsigma`` in Mpc,
    ``distnorm`` in Mpc⁻² (ligo.skymap distance ansatz), null without distances.
    """

    id = models.BigAutoField(primary_key=True)
    # No separate FK index: (localization, lower) below serves lookups and cascades.
    localization = models.ForeignKey(
        Localization, on_delete=models.CASCADE, related_name="tiles", db_index=False
    )
    lower = models.BigIntegerField()
    upper = models.BigIntegerField()
    healpix = BigIntegerRangeField()
    probdensity = models.FloatField()
    cumprob = models.FloatField()
    distmu = models.FloatField(null=True)
    distsigma = models.FloatField(null=True)
    distnorm = models.FloatField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["localization", "lower"],
                include=["upper", "cumprob", "probdensity"],
                name="gcn_tile_loc_lower",
            ),
        ]


class GalaxyCatalog(models.Model):
    name = models.CharField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    n_galaxies = models.BigIntegerField(default=0)
    loaded_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class Galaxy(models.Model):
    """A catalogued galaxy. ``ra``/``dec`` ICRS degrees; ``distance_mpc`` luminosity distance
    and ``distance_err_mpc`` its error in Mpc; magnitudes are apparent (catalog system)."""

    id = models.BigAutoField(primary_key=True)
    catalog = models.ForeignKey(GalaxyCatalog, on_delete=models.CASCADE, related_name="galaxies")
    name = models.CharField(max_length=100)
    ra = models.FloatField()
    dec = models.FloatField()
    healpix = models.BigIntegerField()
    distance_mpc = models.FloatField(null=True)
    distance_err_mpc = models.FloatField(null=True)
    mag_b = models.FloatField(null=True)
    mag_k = models.FloatField(null=True)
    mag_w1 = models.FloatField(null=True)

    class Meta:
        verbose_name_plural = "galaxies"
        # Covering: the region join and the ranking read only the index; names and
        # magnitudes are fetched for the best rows only.
        indexes = [
            models.Index(
                fields=["healpix"],
                include=["id", "catalog", "distance_mpc", "distance_err_mpc"],
                name="gcn_galaxy_healpix_cover",
            )
        ]

    def __str__(self) -> str:
        return self.name


class SourceMatch(models.Model):
    """A target found inside a localization's credible region within the event's time window.

    Recorded by the automatic crossmatch (when a localization arrives and while the
    event is active); ``cumprob`` is the credible level of the tile holding the target.
    """

    localization = models.ForeignKey(
        Localization, on_delete=models.CASCADE, related_name="source_matches"
    )
    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="gcn_matches")
    cumprob = models.FloatField()
    probdensity = models.FloatField()
    matched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["localization", "target"], name="gcn_match_unique")
        ]


class CircularDraft(models.Model):
    """One version of a GCN Circular draft written by a group about an event.

    Versions of one (event, group) are numbered from 1; each save (a new draft or an edit)
    adds a version. ``report`` holds what the text was written from (sources with their
    status and reason, galaxies, authors, localization, credible level).
    """

    event = models.ForeignKey(GcnEvent, on_delete=models.CASCADE, related_name="circular_drafts")
    group = models.ForeignKey(
        "auth.Group", on_delete=models.CASCADE, related_name="circular_drafts"
    )
    version = models.PositiveIntegerField()
    subject = models.CharField(max_length=200)
    text = models.TextField(max_length=100_000)
    report = models.JSONField(default=dict)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event", "group", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "group", "version"], name="circular_version_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} / {self.group} v{self.version}"
