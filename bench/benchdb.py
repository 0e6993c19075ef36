"""What every benchmark shares: Django set up as an entry point, the scratch database it
works in (next to the configured or embedded one), and percentiles."""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
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


def setup_django(database_suffix: str | None = None) -> None:
    """Django for a benchmark (an entry point like ``manage.py``): ``DATABASE_URL`` pointed
    at ``<database>_<database_suffix>`` when a suffix is given, the embedded services where
    ``DATABASE_URL``/``REDIS_URL`` are unset, then ``django.setup()``."""
    if database_suffix:
        os.environ["DATABASE_URL"] = bench_database_url(database_suffix)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")
    from icare_tom.embedded import provide_services

    provide_services()
    import django

    django.setup()


def scratch_test_database(suffix: str) -> str:
    """Point Django's connection at ``<NAME>_<suffix>`` (created and migrated on first use,
    kept afterwards) and return its URL for child processes."""
    from django.db import connection

    db = connection.settings_dict
    db.setdefault("TEST", {})["NAME"] = f"{db['NAME']}_{suffix}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=True)
    db = connection.settings_dict
    host = quote(db.get("HOST") or "127.0.0.1", safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    return f"postgresql://{quote(db['USER'], safe='')}{password}@{host}{port}/{db['NAME']}"


def percentile(values: Sequence[float], fraction: float) -> float:
    """The ``fraction`` (0-1) quantile of ``values`` by nearest rank (p99 of 100 values is
    the 99th smallest)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]
