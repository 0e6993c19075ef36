"""GCN events told to the users whose profiles they match (``notifications.gcn_profiles``).

Receivers of the post-save signals of notices and localizations: when a notice is stored,
or a localization becomes ready (a sky map fetched later), the event is matched once the
transaction commits — so matching sees the event's merged tags, properties and 90 % area,
and a notice that rolls back tells nobody. Each user hears once per notice of an event (the
dedupe key ``gcn:<event>:<notice>``), so a map arriving after its notice notifies only the
profiles its area newly satisfies.
"""

from __future__ import annotations

import logging
import threading

from django.db import transaction

from gcn.models import GcnEvent, GcnNotice, Localization
from notifications.gcn_profiles import EventSummary, notify_matching

log = logging.getLogger(__name__)
_pending = threading.local()


def event_summary(event: GcnEvent, notice: GcnNotice) -> EventSummary:
    """What profiles are matched on; ``area_90`` in deg² from the current localization."""
    area = event.properties.get("area_90")
    return EventSummary(
        notice_type=notice.notice_type,
        tags=frozenset(event.tags) | frozenset(notice.tags),
        properties=dict(event.properties),
        area_90=float(area) if isinstance(area, (int, float)) else None,
    )


def match_event(event_id: int, notice_id: int) -> int:
    """Tell the users whose profiles the event matches, as of this notice; returns how many
    notices were stored."""
    event = GcnEvent.objects.filter(pk=event_id).first()
    notice = GcnNotice.objects.filter(pk=notice_id).first()
    if event is None or notice is None:
        return 0
    title = f"GCN {event.name} ({notice.source} {notice.notice_type})"
    if event.retracted:
        title += " — retracted"
    return notify_matching(
        event_summary(event, notice),
        event_key=str(event.pk),
        stage_key=str(notice.pk),
        title=title,
        url=f"/gcn/events/{event.pk}/",
    )


def _after_commit(event_id: int | None, notice_id: int | None) -> None:
    if event_id is None or notice_id is None:
        return
    keys = getattr(_pending, "keys", None)
    if keys is None:
        keys = _pending.keys = set()
    key = (event_id, notice_id)
    if key in keys:
        return  # already scheduled in this transaction
    keys.add(key)

    def run() -> None:
        keys.discard(key)
        try:
            match_event(event_id, notice_id)
        except Exception:  # a notification failure never breaks GCN ingest
            log.exception("matching GCN event %s against profiles failed", event_id)

    transaction.on_commit(run)


def notice_saved(sender, instance: GcnNotice, created: bool, raw: bool = False, **kwargs):
    if created and not raw:
        _after_commit(instance.event_id, instance.pk)


def localization_saved(sender, instance: Localization, raw: bool = False, **kwargs):
    if not raw and instance.status == Localization.Status.READY:
        _after_commit(instance.event_id, instance.notice_id)
