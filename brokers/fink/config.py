"""Configuration of one Fink stream consumer, read from a YAML file.

A file describes one consumer (one survey)::

    name: fink-ztf                      # how /health and the logs call this consumer
    survey: ztf                         # ztf | lsst
    servers: ${FINK_ZTF_SERVERS}        # Kafka bootstrap servers, comma separated
    topics: [fink_sn_candidates_ztf]    # one or more Fink topics
    group_id: ${FINK_ZTF_GROUP_ID}      # Kafka consumer group (shared by scaled-out copies)
    username: ${FINK_USERNAME:-}        # SASL/SCRAM credentials (empty: no authentication)
    password: ${FINK_PASSWORD:-}
    owning_group: Fink                  # the TOM group that owns incoming alerts
    poll_timeout_s: 1.0                 # how long one poll waits for a batch to fill (seconds)
    batch_size: 500                     # alerts per poll, stored in one transaction
    auto_offset_reset: earliest         # where a new consumer group starts
    kafka: {}                           # extra librdkafka settings, passed through

Values may name environment variables as ``${NAME}`` (required) or
``${NAME:-default}`` (:mod:`icare_tom.config`); secrets never need to live in the
file. Every problem is reported as a :class:`ConfigError` naming the file and the key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from icare_tom.config import ConfigError, expand, read_yaml

__all__ = ["ConfigError", "StreamConfig", "load_config", "parse_config"]

SURVEYS = ("ztf", "lsst")
_KNOWN_KEYS = {
    "name",
    "survey",
    "servers",
    "topics",
    "group_id",
    "username",
    "password",
    "owning_group",
    "poll_timeout_s",
    "batch_size",
    "auto_offset_reset",
    "kafka",
}
# Settings that the consumer manages itself: letting a file override them would
# break the "commit only after the database transaction" guarantee.
_RESERVED_KAFKA_KEYS = {"enable.auto.commit", "enable.auto.offset.store", "group.id"}


@dataclass(frozen=True)
class StreamConfig:
    name: str
    survey: str
    servers: str
    topics: tuple[str, ...]
    group_id: str
    username: str | None = None
    password: str | None = None
    owning_group: str = "Fink"
    poll_timeout_s: float = 1.0
    batch_size: int = 500
    auto_offset_reset: str = "earliest"
    kafka: dict[str, Any] = field(default_factory=dict)
    source: str = "<config>"

    def kafka_config(self) -> dict[str, Any]:
        """librdkafka settings for a consumer of this stream.

        Offsets are stored and committed by the consumer only after the batch's
        transaction commits (no auto-commit). Session and heartbeat timeouts are
        short so that a restarted or added process joins the group within seconds.
        """
        from fink_client.consumer import _get_kafka_config

        fink_settings: dict[str, Any] = {
            "group.id": self.group_id,
            "bootstrap.servers": self.servers,
        }
        if self.username:
            fink_settings["username"] = self.username
            fink_settings["password"] = self.password or ""
        settings = _get_kafka_config(fink_settings)
        settings.update(
            {
                "auto.offset.reset": self.auto_offset_reset,
                "session.timeout.ms": 6000,
                "heartbeat.interval.ms": 500,
                "max.poll.interval.ms": 300000,
                "topic.metadata.refresh.interval.ms": 10000,
                "fetch.wait.max.ms": 100,
                "client.id": self.name,
            }
        )
        settings.update(self.kafka)
        settings.update({"enable.auto.commit": False, "enable.auto.offset.store": False})
        return settings


def parse_config(
    data: Any, source: str = "<config>", environ: Mapping[str, str] | None = None
) -> StreamConfig:
    """Validate a decoded YAML document into a :class:`StreamConfig`."""
    environ = os.environ if environ is None else environ
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of settings, got {type(data).__name__}")
    unknown = sorted(set(data) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{source}: unknown setting(s) {', '.join(unknown)}; "
            f"known: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    values = {key: expand(value, f"{source}: {key}", environ) for key, value in data.items()}

    def required_text(key: str) -> str:
        value = values.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            raise ConfigError(f"{source}: '{key}' is required")
        if not isinstance(value, str):
            raise ConfigError(f"{source}: '{key}' must be text, got {value!r}")
        return value.strip()

    survey = required_text("survey").lower()
    if survey not in SURVEYS:
        raise ConfigError(f"{source}: 'survey' must be one of {', '.join(SURVEYS)}, got {survey!r}")
    servers = required_text("servers")
    group_id = required_text("group_id")

    topics = values.get("topics")
    if isinstance(topics, str):
        topics = [t.strip() for t in topics.split(",")]
    if not isinstance(topics, list) or not topics:
        raise ConfigError(f"{source}: 'topics' must be a non-empty list of topic names")
    if not all(isinstance(t, str) and t.strip() for t in topics):
        raise ConfigError(f"{source}: every entry of 'topics' must be a non-empty name")
    topics = [t.strip() for t in topics]

    def number(key: str, kind: type, default: Any, minimum: float) -> Any:
        raw = values.get(key, default)
        if isinstance(raw, bool):
            raise ConfigError(f"{source}: '{key}' must be a number, got {raw!r}")
        try:
            value = kind(raw)
        except (TypeError, ValueError):
            raise ConfigError(f"{source}: '{key}' must be a number, got {raw!r}") from None
        if kind is int and isinstance(raw, float) and raw != value:
            raise ConfigError(f"{source}: '{key}' must be a whole number, got {raw!r}")
        if value < minimum:
            raise ConfigError(f"{source}: '{key}' must be at least {minimum}, got {value!r}")
        return value

    poll_timeout_s = number("poll_timeout_s", float, 1.0, 0.01)
    batch_size = number("batch_size", int, 500, 1)

    username = values.get("username") or None
    password = values.get("password") or None
    if username and not password:
        raise ConfigError(f"{source}: 'username' is set but 'password' is empty")

    reset = str(values.get("auto_offset_reset", "earliest")).strip().lower()
    if reset not in ("earliest", "latest"):
        raise ConfigError(
            f"{source}: 'auto_offset_reset' must be earliest or latest, got {reset!r}"
        )

    kafka = values.get("kafka") or {}
    if not isinstance(kafka, dict):
        raise ConfigError(f"{source}: 'kafka' must be a mapping of librdkafka settings")
    reserved = sorted(set(kafka) & _RESERVED_KAFKA_KEYS)
    if reserved:
        raise ConfigError(
            f"{source}: kafka.{reserved[0]} is managed by the consumer and cannot be set "
            "(offsets are committed only after the database transaction)"
        )

    owning_group = values.get("owning_group") or "Fink"
    name = values.get("name") or f"fink-{survey}"
    return StreamConfig(
        name=str(name),
        survey=survey,
        servers=servers,
        topics=tuple(topics),
        group_id=group_id,
        username=username,
        password=password,
        owning_group=str(owning_group),
        poll_timeout_s=poll_timeout_s,
        batch_size=batch_size,
        auto_offset_reset=reset,
        kafka=dict(kafka),
        source=source,
    )


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> StreamConfig:
    """Read and validate the YAML file at ``path``."""
    return parse_config(read_yaml(path), source=str(path), environ=environ)
