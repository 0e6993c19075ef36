"""Celery tasks of the GCN app: thin wrappers around gcn.fetching and gcn.crossmatch."""

from __future__ import annotations

import logging

from celery import shared_task

from gcn import crossmatch, fetching
from gcn.models import Localization

logger = logging.getLogger(__name__)


@shared_task(name="gcn.crossmatch_localization")
def crossmatch_localization(localization_id: int) -> int:
    """Record the sources inside a new localization's region (returns how many were new)."""
    loc = Localization.objects.select_related("event").filter(pk=localization_id).first()
    if loc is None:
        return 0
    return crossmatch.record_matches(loc)


@shared_task(name="gcn.crossmatch_active_events")
def crossmatch_active_events() -> int:
    """Beat: match candidates that arrived since the last run against every active event."""
    added = 0
    for event in crossmatch.active_events():
        loc = event.current_localization()
        if loc is not None:
            added += crossmatch.record_matches(loc)
    return added


@shared_task(name="gcn.retry_pending_skymaps")
def retry_pending_skymaps() -> dict[str, int]:
    """Beat: fetch sky maps announced by URL that are due for another attempt."""
    return fetching.fetch_pending_maps(on_localization=queue_crossmatch)


def queue_crossmatch(loc: Localization) -> None:
    """Queue the crossmatch of a new localization; if the broker is down the beat scan of
    active events catches up, so a failure here is only logged."""
    try:
        crossmatch_localization.apply_async((loc.pk,), retry=False)
    except Exception as exc:
        logger.warning("could not queue crossmatch of localization %s: %s", loc.pk, exc)
