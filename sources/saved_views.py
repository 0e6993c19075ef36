"""New candidates passing a user's saved queue views (``notifications.SavedView``: a named
query string of the scanning page) are announced to that user.

Each view keeps a mark, the newest candidate id already looked at; a run asks the queue
(``queue_queryset``, so permissions and filters are the page's own) for candidates above
the mark, tells the user once per batch and moves the mark. A view whose query no longer
validates is skipped (and reported in the log).
"""

from __future__ import annotations

import logging

from django.db.models import Max
from django.http import QueryDict
from django.urls import reverse

from notifications import kinds
from notifications.models import SavedView
from notifications.services import advance_saved_view, notify
from sources.forms import QueueError, parse_queue_params
from sources.models import Candidate
from sources.queue import queue_queryset

log = logging.getLogger(__name__)

MAX_NAMES = 5
MAX_NEW = 1000


def match_saved_view(view: SavedView) -> int:
    """Announce the candidates that passed ``view`` since its mark; returns how many."""
    if view.last_candidate_id == 0:
        newest = Candidate.objects.aggregate(m=Max("id"))["m"] or 0
        advance_saved_view(view, newest)
        return 0
    try:
        params = parse_queue_params(QueryDict(view.query))
        rows = list(
            queue_queryset(view.user, params, per_object=False)
            .filter(id__gt=view.last_candidate_id)
            .order_by("id")
            .values_list("id", "target__name")[:MAX_NEW]
        )
    except QueueError as error:
        log.warning("saved view %s skipped: %s", view.pk, error)
        return 0
    if not rows:
        return 0
    names = list(dict.fromkeys(name for _, name in rows))
    shown = ", ".join(names[:MAX_NAMES]) + (" …" if len(names) > MAX_NAMES else "")
    newest = rows[-1][0]
    queue = reverse("sources:candidates")
    notify(
        [view.user_id],
        kinds.SAVED_VIEW,
        f'{len(names)} new in your view "{view.name}": {shown}',
        f"{queue}?{view.query}" if view.query else queue,
        dedupe_key=f"saved_view:{view.pk}:{newest}",
    )
    advance_saved_view(view, newest)
    return len(names)


def match_saved_views() -> int:
    """Every active view of an active user, in turn; returns how many sources were told."""
    views = SavedView.objects.filter(active=True, user__is_active=True).select_related("user")
    return sum(match_saved_view(view) for view in views)
