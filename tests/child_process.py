"""Environment for child processes (workers, consumers) that must use this test's
database and Redis, whether they are configured by URL or embedded (unix sockets)."""

from __future__ import annotations

import os
from urllib.parse import quote

from django.conf import settings
from django.db import connection


def database_url() -> str:
    """URL of the database this test runs on (the test database), for child processes."""
    db = connection.settings_dict
    host = quote(db.get("HOST") or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgresql://{quote(db['USER'], safe='')}{password}@{host}{port}/{db['NAME']}"


def child_env(**extra: str) -> dict[str, str]:
    """This process's environment pointed at the test database and Redis, plus ``extra``."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=settings.REDIS_URL,
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="icare_tom.settings",
    )
    env.pop("DATABASE_TEST_NAME", None)
    env.update(extra)
    return env
