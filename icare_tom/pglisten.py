"""PostgreSQL LISTEN connections and server-sent-event framing, shared by the live pages
(the scanning queue's candidate stream, the notification bell)."""

from __future__ import annotations

import psycopg
from django.db import connection

_CONNINFO_KEYS = {"dbname", "user", "password", "host", "port", "sslmode", "sslrootcert"}


def listen_connection() -> psycopg.Connection:
    """A new autocommit connection to the project's database (test database in tests)."""
    settings = connection.settings_dict
    params = {
        "dbname": settings["NAME"],
        "user": settings.get("USER") or None,
        "password": settings.get("PASSWORD") or None,
        "host": settings.get("HOST") or None,
        "port": settings.get("PORT") or None,
        **(settings.get("OPTIONS") or {}),
    }
    params = {k: v for k, v in params.items() if v is not None and k in _CONNINFO_KEYS}
    return psycopg.connect(autocommit=True, **params)


def sse(event: str, data: str, event_id: str | None = None) -> str:
    lines = [f"event: {event}"]
    if event_id:
        lines.append(f"id: {event_id}")
    lines.extend(f"data: {line}" for line in data.splitlines() or [""])
    return "\n".join(lines) + "\n\n"
