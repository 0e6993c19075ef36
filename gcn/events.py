"""Store GCN notices: events merged by alias/time, notices unique, localizations as tiles.

One code path for files (``ingest_gcn``) and the Kafka listener (``gcn_listen``):
:func:`ingest_bytes` parses, then either quarantines (reason kept with the raw
bytes) or calls :func:`ingest_notice`. Re-ingesting the same bytes changes
nothing. Tiles are built and written by :mod:`gcn.tiles`; sky maps given by URL
are stored ``pending`` and fetched later by :mod:`gcn.fetching`.
"""

from __future__ import annotations

import hashlib
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from gcn import notices as gn
from gcn import skymaps, tiles
from gcn.models import GcnEvent, GcnNotice, GcnQuarantine, Localization
from icare_tom import fetch as guarded
from icare_tom.streams import QUARANTINE_PREFIX_BYTES

logger = logging.getLogger(__name__)


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
        if gn.is_fits(raw):
            parsed = gn.parse_skymap_file(raw, name=(filename_hint or "skymap.fits"))
        else:
            parsed = gn.parse_notice(raw, filename_hint=filename_hint)
    except gn.NoticeRejected as exc:
        return IngestResult("quarantined", quarantine=quarantine(raw, exc, origin, received_at))
    return ingest_notice(
        parsed, origin=origin, received_at=received_at, on_localization=on_localization
    )


def quarantine(
    raw: bytes,
    exc: gn.NoticeRejected,
    origin: str,
    received_at: datetime,
    *,
    digest: str | None = None,
    size: int | None = None,
) -> GcnQuarantine:
    """Keep rejected bytes once (by SHA-256) with the reason code and detail: the first
    ``QUARANTINE_PREFIX_BYTES`` only (``digest``/``size`` describe the whole input when
    ``raw`` is already a prefix, as for a file refused before reading)."""
    digest = digest or hashlib.sha256(raw).hexdigest()
    row, _ = GcnQuarantine.objects.get_or_create(
        content_hash=digest,
        defaults={
            "reason": exc.reason,
            "detail": exc.detail[:2000],
            "origin": origin[:500],
            "size": len(raw) if size is None else size,
            "raw": raw[:QUARANTINE_PREFIX_BYTES],
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
    refusal = _refused_map_url(parsed)
    # Build tiles before opening the transaction: it is the slow, DB-free part.
    built = [] if refusal else [tiles.build(spec) for spec in parsed.localizations]
    unreadable = [(spec, error) for spec, error in built if isinstance(error, Exception)]
    if unreadable and refusal is None:
        spec, error = unreadable[0]
        label = getattr(spec, "name", "") or type(spec).__name__
        refusal = gn.NoticeRejected("unreadable_localization", f"{label}: {error}"[:2000])
    if refusal is not None:
        # Merges into nothing: no event, alias or localization comes from this notice.
        raw = parsed.raw if isinstance(parsed.raw, bytes) else str(parsed.raw).encode()
        return IngestResult("quarantined", quarantine=quarantine(raw, refusal, origin, received_at))
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
                    name = tiles.unique_name(label, used_names)
                    locs.append(tiles.store_localization(event, notice, spec, name, loc_or_error))
                refresh_event_area(event)
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


def _refused_map_url(parsed: gn.ParsedNotice) -> gn.NoticeRejected | None:
    """A sky-map URL the fetch helper would refuse (scheme, host allow-list, an address
    literal that is not public) makes the whole notice suspect: it is quarantined. A
    relative reference (no scheme, no host: some published examples carry one) names
    nothing to fetch; it stays pending and fails at its first attempt."""
    for spec in parsed.localizations:
        if isinstance(spec, gn.MapURL) and not _relative_reference(spec.url):
            try:
                guarded.check_url(spec.url, source="gcn", resolve_host=False)
            except guarded.FetchRefused as exc:
                return gn.NoticeRejected("refused_url", f"{exc.reason}: {exc.detail}"[:2000])
    return None


def _relative_reference(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("//")


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


def refresh_event_area(event: GcnEvent) -> None:
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
