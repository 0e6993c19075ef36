"""Typed reading of environment variables, with errors that name the variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


class Env:
    def __init__(self, environ: Mapping[str, str] | None = None) -> None:
        self.environ = os.environ if environ is None else environ

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name)
        return default if value is None else value

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        if raw is None:
            return default
        value = raw.strip().lower()
        if value in _TRUE:
            return True
        if value in _FALSE:
            return False
        raise ImproperlyConfigured(
            f"{name}={raw!r} is not a boolean: use one of true/false, 1/0, yes/no, on/off"
        )

    def int(self, name: str, default: int, minimum: int | None = None) -> int:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise ImproperlyConfigured(f"{name}={raw!r} is not an integer") from None
        if minimum is not None and value < minimum:
            raise ImproperlyConfigured(f"{name}={value} must be at least {minimum}")
        return value

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self.environ.get(name)
        if raw is None:
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]

    def database(self, name: str = "DATABASE_URL") -> dict[str, Any] | None:
        """Django DATABASES entry for a PostgreSQL URL, or None when the variable is unset."""
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return None
        if not raw.startswith(("postgres://", "postgresql://", "pgsql://")):
            raise ImproperlyConfigured(
                f"{name} must be a PostgreSQL URL (postgresql://user:password@host:port/name); "
                f"got scheme {raw.split(':', 1)[0]!r}. PostgreSQL is the only supported database."
            )
        try:
            config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
        except ValueError as error:
            raise ImproperlyConfigured(f"{name} is not a valid database URL: {error}") from None
        if not config.get("NAME"):
            raise ImproperlyConfigured(f"{name} must name a database: postgresql://host/DBNAME")
        return config

    def redis_url(self, name: str = "REDIS_URL") -> str | None:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return None
        if not raw.startswith(("redis://", "rediss://", "unix://")):
            raise ImproperlyConfigured(
                f"{name} must be a redis://, rediss:// or unix:// URL; got {raw!r}"
            )
        return raw


def celery_broker_url(redis_url: str) -> str:
    """Celery spells Redis over a unix socket ``redis+socket://``."""
    if redis_url.startswith("unix://"):
        return "redis+socket://" + redis_url.removeprefix("unix://")
    return redis_url
