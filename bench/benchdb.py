"""The scratch database a benchmark works in, next to the configured (or embedded) one."""

from __future__ import annotations

import os
from urllib.parse import quote, urlsplit, urlunsplit


def base_database_url() -> str:
    """``DATABASE_URL``, or the embedded PostgreSQL's socket spelled as a URL."""
    configured = os.environ.get("DATABASE_URL")
    if configured:
        return configured
    from icare_tom import embedded

    db = embedded.start_postgres()
    return f"postgresql://{db['USER']}@{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"


def bench_database_url(suffix: str) -> str:
    """URL of ``<database>_<suffix>``, created on first use and kept for later runs."""
    import psycopg

    parts = urlsplit(base_database_url())
    name = f"{parts.path.lstrip('/')}_{suffix}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path="/" + name))
