"""The bell, live: server-sent events fed by PostgreSQL LISTEN/NOTIFY.

Migration ``notifications.0002`` makes every INSERT into the notices table send the
recipients' ids on the ``notifications_notice_inserted`` channel when the transaction
commits. The bell is on every page, so open pages share one listener per process
(:class:`Hub`: one LISTEN connection and one thread, whatever the number of pages); each
stream waits on its own queue and, when its user's id arrives, sends the new unread count
and the newest notice. A stream holds no database connection while it waits (its count is
read and the connection closed again), and ends after ``MAX_LIFETIME_S``; the browser's
EventSource reconnects on its own.

Serving: one open page holds one server thread; run gunicorn with
``--worker-class gthread --threads N`` (see docker-compose.yml) or an ASGI server.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
from collections.abc import Iterator

from django.db import connection

from icare_tom.pglisten import listen_connection, sse
from notifications.services import inbox

log = logging.getLogger(__name__)

CHANNEL = "notifications_notice_inserted"
KEEPALIVE_S = 15.0
MAX_LIFETIME_S = 300.0
RECONNECT_S = 1.0


class Hub:
    """One LISTEN connection per process, fanning recipients' ids out to open streams."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[int, set[queue.SimpleQueue]] = {}
        self._thread: threading.Thread | None = None
        self._listening = threading.Event()
        self._dbname: str | None = None

    def subscribe(self, user_id: int, wait_s: float = 5.0) -> queue.SimpleQueue:
        """A queue that receives an item each time a notice for ``user_id`` is committed;
        returns once the listener is listening (nothing committed later is missed)."""
        inbox_queue: queue.SimpleQueue = queue.SimpleQueue()
        with self._lock:
            self._subscribers.setdefault(user_id, set()).add(inbox_queue)
            dbname = connection.settings_dict["NAME"]
            if self._thread is None or not self._thread.is_alive() or self._dbname != dbname:
                self._dbname = dbname
                self._listening.clear()
                self._thread = threading.Thread(
                    target=self._run, args=(dbname,), name="notifications-hub", daemon=True
                )
                self._thread.start()
        self._listening.wait(wait_s)
        return inbox_queue

    def unsubscribe(self, user_id: int, inbox_queue: queue.SimpleQueue) -> None:
        with self._lock:
            queues = self._subscribers.get(user_id)
            if queues is not None:
                queues.discard(inbox_queue)
                if not queues:
                    del self._subscribers[user_id]

    def stop(self, wait_s: float = 5.0) -> None:
        """Stop listening (before the database goes away: a test or a benchmark ending)."""
        with self._lock:
            self._dbname = None
            thread = self._thread
        if thread is not None:
            thread.join(wait_s)

    def _dispatch(self, payload: str) -> None:
        with self._lock:
            for part in payload.split(","):
                try:
                    user_id = int(part)
                except ValueError:
                    continue
                for inbox_queue in self._subscribers.get(user_id, ()):
                    inbox_queue.put_nowait(user_id)

    def _run(self, dbname: str) -> None:
        while self._dbname == dbname:
            try:
                listener = listen_connection()
            except Exception:
                log.exception("the notification hub cannot connect; retrying")
                time.sleep(RECONNECT_S)
                continue
            try:
                listener.execute(f"LISTEN {CHANNEL}")
                self._listening.set()
                while self._dbname == dbname:
                    for note in listener.notifies(timeout=KEEPALIVE_S):
                        self._dispatch(note.payload)
            except Exception:
                if self._dbname != dbname:
                    return  # stopped: the connection went away on purpose
                log.exception("the notification hub lost its connection; reconnecting")
                self._listening.clear()
                time.sleep(RECONNECT_S)
            finally:
                listener.close()


hub = Hub()


def _state(user) -> str:
    notices = inbox(user)
    latest = notices.order_by("-created", "-id").values("id", "kind", "text", "url").first()
    state = json.dumps({"unread": notices.filter(read__isnull=True).count(), "latest": latest})
    if not connection.in_atomic_block:
        connection.close()  # hold no database connection while the stream waits
    return state


def bell_events(
    user, keepalive_s: float = KEEPALIVE_S, max_lifetime_s: float = MAX_LIFETIME_S
) -> Iterator[str]:
    """``count`` events ({"unread", "latest"}) for ``user``: one at once, then one each time
    a notice for them is committed; keep-alive comments in between."""
    inbox_queue = hub.subscribe(user.pk)
    started = time.monotonic()
    try:
        yield "retry: 1000\n\n"
        yield sse("count", _state(user))
        while time.monotonic() - started < max_lifetime_s:
            try:
                inbox_queue.get(timeout=keepalive_s)
            except queue.Empty:
                yield ": keepalive\n\n"
                continue
            while True:  # the same commit may have sent several chunks
                try:
                    inbox_queue.get(timeout=0.02)
                except queue.Empty:
                    break
            yield sse("count", _state(user))
    finally:
        hub.unsubscribe(user.pk, inbox_queue)
