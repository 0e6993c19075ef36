"""The bell, live: server-sent events fed by PostgreSQL LISTEN/NOTIFY.

Migration ``notifications.0002`` makes every INSERT into the notices table send the
recipients' ids on the ``notifications_notice_inserted`` channel when the transaction
commits. An open page holds one stream: it LISTENs, and when its user's id arrives it sends
the new unread count and the newest notice. A stream ends after ``MAX_LIFETIME_S``; the
browser's EventSource reconnects on its own, so no connection is held forever.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator

from django.db import connection

from icare_tom.pglisten import listen_connection, sse
from notifications.services import inbox

log = logging.getLogger(__name__)

CHANNEL = "notifications_notice_inserted"
KEEPALIVE_S = 15.0
MAX_LIFETIME_S = 300.0


def _state(user) -> str:
    notices = inbox(user)
    latest = notices.order_by("-created", "-id").values("id", "kind", "text", "url").first()
    connection.close_if_unusable_or_obsolete()
    return json.dumps({"unread": notices.filter(read__isnull=True).count(), "latest": latest})


def _mentions(payload: str, user_id: int) -> bool:
    wanted = str(user_id)
    return any(part == wanted for part in payload.split(","))


def bell_events(
    user, keepalive_s: float = KEEPALIVE_S, max_lifetime_s: float = MAX_LIFETIME_S
) -> Iterator[str]:
    """``count`` events ({"unread", "latest"}) for ``user``: one at once, then one each time
    a notice for them is committed; keep-alive comments in between."""
    listener = listen_connection()
    started = time.monotonic()
    try:
        listener.execute(f"LISTEN {CHANNEL}")
        yield "retry: 1000\n\n"
        yield sse("count", _state(user))
        while time.monotonic() - started < max_lifetime_s:
            mine = False
            for note in listener.notifies(timeout=keepalive_s, stop_after=1):
                mine = mine or _mentions(note.payload, user.pk)
            if mine:
                for _chunk in listener.notifies(timeout=0.02):
                    pass  # the same commit's other chunks
                yield sse("count", _state(user))
            else:
                yield ": keepalive\n\n"
    finally:
        listener.close()
