"""Sky maps given by URL: fetched later, with exponential back-off, then tiled.

Every download goes through :func:`download_map`, the one outbound call of
the GCN app.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gcn import notices as gn
from gcn.events import refresh_event_area
from gcn.models import Localization
from gcn.tiles import build_localization, store_tiles
from icare_tom import fetch as guarded


def fetch_pending_maps(
    *,
    now: datetime | None = None,
    fetch: Callable[[str], bytes] | None = None,
    on_localization: Callable[[Localization], None] | None = None,
) -> dict[str, int]:
    """Try every pending sky-map URL that is due; back off exponentially on failure.

    The delay after the n-th failure is ``min(60 · 2^(n-1), 3600)`` s; after
    ``GCN_MAP_MAX_ATTEMPTS`` failures (or bytes that are not FITS) the localization
    is marked failed. Returns counts ``{"fetched", "failed", "retry"}``.
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
            if not gn.is_fits(data):
                raise gn.NoticeRejected("truncated_fits", "the URL did not return a FITS file")
            built = build_localization(gn.MultiOrderMap(data=data, name=loc.name))
        except Exception as exc:
            loc.attempts += 1
            loc.last_error = f"{type(exc).__name__}: {exc}"[:2000]  # for admins only
            refused = isinstance(exc, guarded.FetchRefused) and exc.reason in REFUSED_AT_ONCE
            if loc.attempts >= max_attempts or isinstance(exc, gn.NoticeRejected) or refused:
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
            refresh_event_area(loc.event)
        counts["fetched"] += 1
        if on_localization is not None:
            on_localization(loc)
    return counts


# Refusals that a later attempt cannot change: the localization fails at once.
REFUSED_AT_ONCE = {"bad_url", "host_not_allowed", "address_refused", "too_large"}


def download_map(url: str) -> bytes:
    """GET a sky map through the guarded fetch helper (source "gcn": its host allow-list,
    public addresses only, at most ``gcn.notices.MAX_NOTICE_BYTES``, 60 s in all)."""
    return guarded.fetch(url, source="gcn", max_bytes=gn.MAX_NOTICE_BYTES, timeout_s=60)
