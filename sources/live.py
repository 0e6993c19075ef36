"""Live scanning queue: server-sent events fed by PostgreSQL LISTEN/NOTIFY.

Migration ``sources.0003`` makes every INSERT into ``sources_candidate`` send the new ids on
the ``sources_candidate_inserted`` channel when the inserting transaction commits. Each open
queue holds one dedicated psycopg connection that LISTENs and blocks in
``Connection.notifies`` (no polling); new ids are checked against the viewer's queue filters
(so permissions go through ``accounts`` like the page itself) and sent as rendered cards,
one per object (the page replaces the card of an object it already shows).

Serving: one stream holds one worker thread and one database connection for as long as the
page is open. The threaded development server is fine; in production run gunicorn with
``--worker-class gthread --threads N`` (N ≥ expected open queues per worker) or an ASGI
server, and size PostgreSQL ``max_connections`` accordingly.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import replace

from django.db import connection

from icare_tom.pglisten import listen_connection, sse
from sources.cards import build_cards, render_card
from sources.forms import QueueParams
from sources.queue import queue_queryset

log = logging.getLogger(__name__)

CHANNEL = "sources_candidate_inserted"
KEEPALIVE_S = 15.0


def parse_ids(payload: str) -> list[int]:
    ids = []
    for part in payload.split(","):
        try:
            ids.append(int(part))
        except ValueError:
            log.warning("ignoring malformed candidate id %r on %s", part, CHANNEL)
    return ids


def candidate_events(
    user, params: QueueParams, keepalive_s: float = KEEPALIVE_S, csrf_token: str = ""
) -> Iterator[str]:
    """Server-sent events for candidates inserted from now on that ``user`` would see in the
    queue under ``params`` (the cursor is ignored). Yields a ``ready`` event once listening,
    then one ``candidate`` event per visible new candidate (its rendered card), and a comment
    line every ``keepalive_s`` seconds so proxies keep the connection open. ``csrf_token``
    goes into the cards' action forms."""
    params = replace(params, cursor=None)
    listener = listen_connection()
    try:
        listener.execute(f"LISTEN {CHANNEL}")
        yield sse("ready", "{}")
        while True:
            ids: list[int] = []
            for notification in listener.notifies(timeout=keepalive_s, stop_after=1):
                ids.extend(parse_ids(notification.payload))
            if ids:
                # Take what else already arrived (bulk ingest sends many chunks) in one query.
                for notification in listener.notifies(timeout=0.05):
                    ids.extend(parse_ids(notification.payload))
            if not ids:
                yield ": keepalive\n\n"
                continue
            rows = list(
                queue_queryset(user, params)
                .filter(id__in=ids)
                .select_related("target", "target__summary")
                .order_by("passed_at", "id")
            )
            for card in build_cards(user, rows, params):
                html = render_card(card, csrf_token, live=True)
                yield sse(
                    "candidate",
                    json.dumps({"id": card.candidate.id, "target": card.target.id, "html": html}),
                    event_id=str(card.candidate.id),
                )
            connection.close_if_unusable_or_obsolete()
    finally:
        listener.close()
