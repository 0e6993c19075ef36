"""Store GCN notices: events merged by alias/time, notices unique, localizations as tiles.

One code path for files (``ingest_gcn``) and the Kafka listener (``gcn_listen``):
:func:`ingest_bytes` parses, then either quarantines (reason kept with the raw
bytes) or calls :func:`ingest_notice`. Re-ingesting the same bytes changes
nothing. Sky maps given by URL are stored ``pending`` and fetched later by
:func:`fetch_pending_maps` (a Celery beat task).
"""

from __future__ import annotations

import hashlib
import io
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from gcn import notices as gn
from gcn import skymaps
from gcn.models import GcnEvent, GcnNotice, GcnQuarantine, Localization, LocalizationTile

logger = logging.getLogger(__name__)

# Tables this large after an insert get ANALYZE, so the planner keeps the B-tree range join.
ANALYZE_AFTER_TILES = 50_000
# Credible levels whose merged ranges are precomputed (others are computed in SQL).
REGION_LEVELS = (0.5, 0.9, 0.95, 0.99)
# Plot contours: pixels of order 8 (~0.23°) are smooth enough for a Mollweide map and fast.
CONTOUR_MAX_ORDER = 8


def event_time_tolerance() -> timedelta:
    """Notices of one event from different formats differ by < 1 ms in trigger time."""
    return timedelta(seconds=getattr(settings, "GCN_EVENT_TIME_TOLERANCE_S", 0.1))


@dataclass
class IngestResult:
    """What one call stored. ``status``: ingested, duplicate or quarantined."""

    status: str
    notice: GcnNotice | None = None
    event: GcnEvent | None = None
    event_created: bool = False
    localizations: list[Localization] = field(default_factory=list)
    quarantine: GcnQuarantine | None = None


# --------------------------------------------------------------------------- entry points


def ingest_bytes(
    raw: bytes,
    *,
    origin: str = "",
    filename_hint: str | None = None,
    received_at: datetime | None = None,
    on_localization: Callable[[Localization], None] | None = None,
) -> IngestResult:
    """Parse and store one notice; bad bytes go to :class:`GcnQuarantine` with the reason."""
    received_at = received_at or timezone.now()
    try:
        if is_fits(raw):
            parsed = parse_skymap_file(raw, name=(filename_hint or "skymap.fits"))
        else:
            parsed = gn.parse_notice(raw, filename_hint=filename_hint)
    except gn.NoticeRejected as exc:
        return IngestResult("quarantined", quarantine=quarantine(raw, exc, origin, received_at))
    return ingest_notice(
        parsed, origin=origin, received_at=received_at, on_localization=on_localization
    )


def is_fits(raw: bytes) -> bool:
    """FITS (possibly gzip-compressed) rather than a notice."""
    if raw[:2] == b"\x1f\x8b":
        import gzip

        try:
            with gzip.open(io.BytesIO(raw)) as fh:
                return fh.read(9) == b"SIMPLE  ="
        except (OSError, EOFError):
            return False
    return raw[:9] == b"SIMPLE  ="


def parse_skymap_file(raw: bytes, name: str = "skymap.fits") -> gn.ParsedNotice:
    """A bare HEALPix sky-map file (as downloaded from GraceDB) as a notice of its own.

    The event is ``OBJECT`` (when present) at ``DATE-OBS``; ``DISTMEAN``/``DISTSTD``
    (Mpc) become properties. Raises ``NoticeRejected('truncated_fits')`` when the
    header cannot be read or lacks ``DATE-OBS``.
    """
    from astropy.io import fits

    if len(raw) > gn.MAX_NOTICE_BYTES:
        raise gn.NoticeRejected("too_large", f"{len(raw)} bytes")
    stream = io.BytesIO(raw)
    try:
        if raw[:2] == b"\x1f\x8b":
            import gzip

            stream = gzip.GzipFile(fileobj=stream)  # read lazily: flat maps inflate to 100s of MB
        with fits.open(stream, memmap=False, lazy_load_hdus=True) as hdul:
            header = dict(hdul[1].header)
    except Exception as exc:
        raise gn.NoticeRejected("truncated_fits", f"{type(exc).__name__}: {exc}") from exc
    trigger_time = gn._parse_time(header.get("DATE-OBS"))
    if trigger_time is None:
        raise gn.NoticeRejected("truncated_fits", "sky map has no DATE-OBS")
    ordering = str(header.get("ORDERING", "")).strip().upper()
    spec_type = gn.MultiOrderMap if ordering == "NUNIQ" else gn.FlatHealpixMap
    origin = str(header.get("ORIGIN", "")).strip()
    is_lvk = "LIGO" in origin.upper() or "VIRGO" in origin.upper()
    obj = str(header.get("OBJECT", "")).strip()
    props = {
        k: float(header[h])
        for k, h in (("distmean", "DISTMEAN"), ("diststd", "DISTSTD"))
        if isinstance(header.get(h), (int, float))
    }
    if header.get("INSTRUME"):
        props["instruments"] = str(header["INSTRUME"])
    digest = hashlib.sha256(raw).hexdigest()
    return gn.ParsedNotice(
        source="LVK" if is_lvk else (origin or "unknown"),
        notice_type="SkyMap",
        trigger_time=trigger_time,
        aliases=(obj,) if obj else (),
        ivorn=None,
        content_hash=digest,
        format="fits",
        properties=props,
        tags=("GW", "LVK") if is_lvk else (),
        localizations=(spec_type(data=raw, name=name),),
        raw=raw,
    )


def quarantine(
    raw: bytes, exc: gn.NoticeRejected, origin: str, received_at: datetime
) -> GcnQuarantine:
    """Keep rejected bytes once (by SHA-256) with the reason code and detail."""
    digest = hashlib.sha256(raw).hexdigest()
    row, _ = GcnQuarantine.objects.get_or_create(
        content_hash=digest,
        defaults={
            "reason": exc.reason,
            "detail": exc.detail[:2000],
            "origin": origin[:500],
            "size": len(raw),
            "raw": raw,
            "received_at": received_at,
        },
    )
    logger.warning("GCN notice quarantined (%s): %s %s", exc.reason, origin, exc.detail[:200])
    return row


def ingest_notice(
    parsed: gn.ParsedNotice,
    *,
    origin: str = "",
    received_at: datetime | None = None,
    on_localization: Callable[[Localization], None] | None = None,
) -> IngestResult:
    """Store a parsed notice idempotently (unique by IVORN or content hash).

    The event is found by alias, else by trigger time within
    ``GCN_EVENT_TIME_TOLERANCE_S``, else created. A retraction marks it
    retracted. Each localization becomes tiles (or a pending URL). After the
    transaction commits, ``on_localization`` is called for each new ready
    localization (the caller dispatches the crossmatch).
    """
    received_at = received_at or timezone.now()
    if GcnNotice.objects.filter(unique_key=parsed.unique_key).exists():
        return IngestResult("duplicate")
    # Build tiles before opening the transaction: it is the slow, DB-free part.
    built = [_build(spec) for spec in parsed.localizations]
    try:
        with transaction.atomic():
            event, created = _upsert_event(parsed)
            notice = GcnNotice.objects.create(
                event=event,
                unique_key=parsed.unique_key[:300],
                ivorn=parsed.ivorn,
                content_hash=parsed.content_hash,
                source=parsed.source,
                notice_type=parsed.notice_type,
                format=parsed.format,
                origin=origin[:500],
                is_retraction=parsed.is_retraction,
                significant=parsed.significant,
                is_test=parsed.is_test,
                trigger_time=parsed.trigger_time,
                issued_at=parsed.issued_at,
                received_at=received_at,
                properties=_jsonable(dict(parsed.properties)),
                tags=list(parsed.tags),
                raw=parsed.raw,
            )
            locs = []
            if event is not None:
                used_names: set[str] = set()
                for spec, loc_or_error in built:
                    label = getattr(spec, "name", "") or type(spec).__name__
                    name = _unique_name(label, used_names)
                    locs.append(_store_localization(event, notice, spec, name, loc_or_error))
                _refresh_event_area(event)
    except IntegrityError:
        # Another process stored the same notice between our check and insert.
        if GcnNotice.objects.filter(unique_key=parsed.unique_key).exists():
            return IngestResult("duplicate")
        raise
    ready = [loc for loc in locs if loc.status == Localization.Status.READY]
    if on_localization is not None:
        for loc in ready:
            transaction.on_commit(lambda loc=loc: on_localization(loc))
    return IngestResult("ingested", notice, event, created, locs)


# --------------------------------------------------------------------------- events


def _find_event(parsed: gn.ParsedNotice) -> GcnEvent | None:
    if parsed.aliases:
        found = (
            GcnEvent.objects.select_for_update()
            .filter(aliases__overlap=list(parsed.aliases))
            .order_by("trigger_time")
            .first()
        )
        if found is not None:
            return found
    if parsed.trigger_time is not None:
        tol = event_time_tolerance()
        return (
            GcnEvent.objects.select_for_update()
            .filter(
                trigger_time__gte=parsed.trigger_time - tol,
                trigger_time__lte=parsed.trigger_time + tol,
            )
            .order_by("trigger_time")
            .first()
        )
    return None


def _upsert_event(parsed: gn.ParsedNotice) -> tuple[GcnEvent | None, bool]:
    """Create or merge the event of a notice; None for a timeless notice of an unknown event."""
    event = _find_event(parsed)
    if parsed.notice_type == "unknown":
        # Kept raw and attached to a known event, but never creating or changing one.
        return event, False
    props = _jsonable(dict(parsed.properties))
    if event is None:
        if parsed.trigger_time is None:
            return None, False
        aliases = list(dict.fromkeys(parsed.aliases))
        event = GcnEvent(
            trigger_time=parsed.trigger_time,
            name=aliases[0] if aliases else _time_name(parsed),
            aliases=aliases,
            source=parsed.source,
            tags=[],
            properties={},
        )
        created = True
    else:
        created = False
    newer = (
        event.latest_issued_at is None
        or parsed.issued_at is None
        or parsed.issued_at >= event.latest_issued_at
    )
    if newer:
        event.properties = {**event.properties, **props}
        if parsed.significant is not None:
            event.significant = parsed.significant
        if parsed.issued_at is not None:
            event.latest_issued_at = parsed.issued_at
    else:  # an older notice arriving late only fills gaps
        event.properties = {**props, **event.properties}
        if event.significant is None:
            event.significant = parsed.significant
    for alias in parsed.aliases:
        if alias not in event.aliases:
            event.aliases.append(alias)
    if event.name not in event.aliases and event.aliases:
        # An official name arriving later (e.g. an S-name after a trigger id) becomes the name.
        event.name = event.aliases[0]
    event.tags = _merge_tags(event.tags, parsed.tags)
    event.is_test = event.is_test or parsed.is_test
    if parsed.is_retraction:
        event.retracted = True
        event.tags = _merge_tags(event.tags, ["retracted"])
    far = event.properties.get("FAR")
    event.far_hz = float(far) if isinstance(far, (int, float)) and math.isfinite(far) else None
    event.save()
    return event, created


def _time_name(parsed: gn.ParsedNotice) -> str:
    return f"{parsed.source} {parsed.trigger_time:%Y-%m-%dT%H:%M:%S}"


def _merge_tags(old: Iterable[str], new: Iterable[str]) -> list[str]:
    return list(dict.fromkeys([*old, *new]))


def _refresh_event_area(event: GcnEvent) -> None:
    """Copy the current localization's areas into the event's properties and size tags."""
    loc = event.current_localization()
    if loc is None:
        return
    props = dict(event.properties)
    props["area_50"] = loc.area_50
    props["area_90"] = loc.area_90
    size_tags = {"< 1000 deg²", "< 100 deg²"}
    tags = [t for t in event.tags if t not in size_tags]
    event.properties = props
    event.tags = _merge_tags(tags, skymaps.area_tags(loc.area_90))
    event.save(update_fields=["properties", "tags", "updated_at"])


# --------------------------------------------------------------------------- localizations


def _build(spec: Any) -> tuple[Any, skymaps.Localization | Exception | None]:
    if isinstance(spec, gn.MapURL):
        return spec, None
    try:
        return spec, build_localization(spec)
    except gn.NoticeRejected as exc:
        return spec, exc
    except Exception as exc:  # a map we cannot tile must not lose the notice
        logger.exception("cannot build localization %s", getattr(spec, "name", spec))
        return spec, exc


def build_localization(spec: Any) -> skymaps.Localization:
    """Tiles plus plot contours (contours traced at order <= 8: fast and smooth)."""
    from dataclasses import replace

    loc = skymaps.from_spec(spec, with_contours=False)
    return replace(loc, contours=skymaps.compute_contours(loc, max_order=CONTOUR_MAX_ORDER))


def _unique_name(name: str, used: set[str]) -> str:
    base, n = name[:190], 1
    while name in used:
        n += 1
        name = f"{base} ({n})"
    used.add(name)
    return name


def _store_localization(
    event: GcnEvent,
    notice: GcnNotice,
    spec: Any,
    name: str,
    built: skymaps.Localization | Exception | None,
) -> Localization:
    kind = type(spec).__name__
    if isinstance(spec, gn.MapURL):
        return Localization.objects.create(
            event=event,
            notice=notice,
            name=name,
            kind=kind,
            status=Localization.Status.PENDING,
            url=spec.url,
            next_attempt_at=timezone.now(),
        )
    if isinstance(built, Exception):
        return Localization.objects.create(
            event=event,
            notice=notice,
            name=name,
            kind=kind,
            status=Localization.Status.FAILED,
            last_error=f"{type(built).__name__}: {built}"[:2000],
        )
    loc = Localization.objects.create(
        event=event, notice=notice, name=name, kind=kind, status=Localization.Status.PENDING
    )
    store_tiles(loc, built)
    return loc


def store_tiles(loc: Localization, built: skymaps.Localization) -> Localization:
    """Write the tiles of ``built`` with COPY and mark ``loc`` ready (areas, distance, contours)."""
    copy_tiles(loc.pk, built)
    loc.status = Localization.Status.READY
    loc.area_50 = _finite(built.area_50)
    loc.area_90 = _finite(built.area_90)
    loc.distance_mean = _finite(built.distance_mean)
    loc.distance_std = _finite(built.distance_std)
    loc.contours = built.contour_geojson()
    loc.n_tiles = len(built)
    loc.region_ranges = {f"{level:g}": region_ranges(built, level) for level in REGION_LEVELS}
    loc.ready_at = timezone.now()
    loc.last_error = ""
    loc.save()
    return loc


def region_ranges(built: skymaps.Localization, cumprob: float) -> list[list[int]]:
    """The tiles with ``cumprob <= level`` merged into contiguous ``[lower, upper)`` ranges."""
    sel = built.cumprob <= cumprob
    if not sel.any():
        return []
    lo, hi = built.lower[sel], built.upper[sel]
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    starts = np.ones(lo.size, dtype=bool)
    starts[1:] = lo[1:] != hi[:-1]
    first = np.flatnonzero(starts)
    last = np.append(first[1:], lo.size) - 1
    return np.stack([lo[first], hi[last]], axis=1).tolist()


def copy_tiles(localization_id: int, built: skymaps.Localization) -> int:
    """Binary-COPY the tiles into ``gcn_localizationtile`` (an LVK map: ~20k rows, < 0.5 s)."""
    from psycopg.types.range import Range

    n = len(built)
    if n == 0:
        return 0
    lo = built.lower.astype(np.int64).tolist()
    hi = built.upper.astype(np.int64).tolist()
    pd = _nullable(built.probdensity)
    cp = _nullable(built.cumprob)
    dm, ds, dn = (
        _nullable(a) if a is not None else [None] * n
        for a in (built.distmu, built.distsigma, built.distnorm)
    )
    table = LocalizationTile._meta.db_table
    with connection.cursor() as cur:
        pg = cur.cursor  # the psycopg cursor under Django's wrapper
        with pg.copy(
            f"COPY {table} (localization_id, lower, upper, healpix, probdensity, cumprob, "
            "distmu, distsigma, distnorm) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "int8", "int8", "int8range", *["float8"] * 5])
            for i in range(n):
                copy.write_row(
                    (
                        localization_id,
                        lo[i],
                        hi[i],
                        Range(lo[i], hi[i], "[)"),
                        pd[i],
                        cp[i],
                        dm[i],
                        ds[i],
                        dn[i],
                    )
                )
        if n >= ANALYZE_AFTER_TILES:
            cur.execute(f"ANALYZE {table}")
    return n


def _nullable(arr: np.ndarray) -> list[float | None]:
    """Floats as Python floats; NaN/inf (no distance for that tile) become NULL."""
    return [v if math.isfinite(v) else None for v in np.asarray(arr, np.float64).tolist()]


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _jsonable(obj: Any) -> Any:
    """Make notice properties JSON-safe (NaN/inf → None, numpy → Python, tuples → lists)."""
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, datetime):
        return obj.isoformat()
    if isinstance(obj, bytes):
        return obj.decode("utf-8", "replace")
    return obj


# --------------------------------------------------------------------------- pending maps


MAX_MAP_BYTES = gn.MAX_NOTICE_BYTES


def fetch_pending_maps(
    *,
    now: datetime | None = None,
    fetch: Callable[[str], bytes] | None = None,
    on_localization: Callable[[Localization], None] | None = None,
) -> dict[str, int]:
    """Try every pending sky-map URL that is due; back off exponentially on failure.

    After ``GCN_MAP_MAX_ATTEMPTS`` failures the localization is marked failed.
    Returns counts ``{"fetched", "failed", "retry"}``.
    """
    now = now or timezone.now()
    fetch = fetch or download_map
    max_attempts = getattr(settings, "GCN_MAP_MAX_ATTEMPTS", 8)
    counts = {"fetched": 0, "failed": 0, "retry": 0}
    due = Localization.objects.filter(
        status=Localization.Status.PENDING, next_attempt_at__lte=now
    ).order_by("next_attempt_at")
    for loc in due:
        try:
            data = fetch(loc.url)
            if not is_fits(data):
                raise gn.NoticeRejected("truncated_fits", "the URL did not return a FITS file")
            built = build_localization(gn.MultiOrderMap(data=data, name=loc.name))
        except Exception as exc:
            loc.attempts += 1
            loc.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if loc.attempts >= max_attempts or isinstance(exc, gn.NoticeRejected):
                loc.status = Localization.Status.FAILED
                counts["failed"] += 1
            else:
                delay = min(60 * 2 ** (loc.attempts - 1), 3600)
                loc.next_attempt_at = now + timedelta(seconds=delay)
                counts["retry"] += 1
            loc.save()
            continue
        with transaction.atomic():
            loc.attempts += 1
            store_tiles(loc, built)
            _refresh_event_area(loc.event)
        counts["fetched"] += 1
        if on_localization is not None:
            on_localization(loc)
    return counts


def download_map(url: str) -> bytes:
    """GET a sky map (size-limited, 30 s timeout)."""
    import requests

    with requests.get(url, timeout=30, stream=True) as resp:
        resp.raise_for_status()
        chunks, size = [], 0
        for chunk in resp.iter_content(1 << 16):
            size += len(chunk)
            if size > MAX_MAP_BYTES:
                raise gn.NoticeRejected("too_large", f"sky map at {url} exceeds the limit")
            chunks.append(chunk)
    return b"".join(chunks)
