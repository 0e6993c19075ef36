"""GCN Kafka listener: store every notice, then commit its offset (at-least-once, idempotent).

Configuration is a YAML file (``config/gcn.yaml``); values may name environment
variables as ``${NAME}`` (required) or ``${NAME:-default}``, so the client id and
secret never live in the file::

    client_id: ${GCN_CLIENT_ID:-}        # empty: no authentication (a local broker)
    client_secret: ${GCN_CLIENT_SECRET:-}
    domain: gcn.nasa.gov                 # or test.gcn.nasa.gov
    group_id: icare-tom                  # consumer group: offsets survive restarts
    topics: [igwn.gwalert, gcn.classic.voevent.FERMI_GBM_GND_POS, ...]
    kafka: {}                            # extra librdkafka settings

A message is stored (or quarantined with its reason) before its offset is
committed; re-delivery after a crash is harmless because notices are unique.
"""

from __future__ import annotations

import logging
import os
import re
import signal
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from gcn import events
from gcn.models import Localization

logger = logging.getLogger(__name__)

_VAR = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class ConfigError(ValueError):
    pass


@dataclass(frozen=True)
class ListenerConfig:
    topics: tuple[str, ...]
    group_id: str
    client_id: str = ""
    client_secret: str = ""
    domain: str = "gcn.nasa.gov"
    poll_timeout_s: float = 1.0
    kafka: Mapping[str, Any] = field(default_factory=dict)

    def consumer_config(self) -> dict[str, Any]:
        config = {
            "group.id": self.group_id,
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
            **dict(self.kafka),
        }
        return config


def _expand(value: Any, where: str, environ: Mapping[str, str]) -> Any:
    if isinstance(value, str):

        def substitute(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in environ:
                return environ[name]
            if default is not None:
                return default
            raise ConfigError(f"{where}: environment variable {name} is not set")

        return _VAR.sub(substitute, value)
    if isinstance(value, list):
        return [_expand(v, f"{where}[{i}]", environ) for i, v in enumerate(value)]
    if isinstance(value, dict):
        return {k: _expand(v, f"{where}.{k}", environ) for k, v in value.items()}
    return value


def load_config(path: str | Path, environ: Mapping[str, str] | None = None) -> ListenerConfig:
    """Read and check the YAML file; a problem raises :class:`ConfigError` naming it."""
    environ = os.environ if environ is None else environ
    try:
        data = yaml.safe_load(Path(path).read_text())
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping")
    data = _expand(data, str(path), environ)
    topics = data.get("topics")
    if not topics or not isinstance(topics, list) or not all(isinstance(t, str) for t in topics):
        raise ConfigError(f"{path}: topics must be a non-empty list of names")
    group_id = str(data.get("group_id") or "").strip()
    if not group_id:
        raise ConfigError(f"{path}: group_id is required (offsets are kept per group)")
    try:
        poll = float(data.get("poll_timeout_s", 1.0))
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{path}: poll_timeout_s must be a number") from exc
    kafka = data.get("kafka") or {}
    if not isinstance(kafka, dict):
        raise ConfigError(f"{path}: kafka must be a mapping of librdkafka settings")
    return ListenerConfig(
        topics=tuple(topics),
        group_id=group_id,
        client_id=str(data.get("client_id") or ""),
        client_secret=str(data.get("client_secret") or ""),
        domain=str(data.get("domain") or "gcn.nasa.gov"),
        poll_timeout_s=poll,
        kafka=kafka,
    )


def handle_message(
    message: Any, on_localization: Callable[[Localization], None] | None = None
) -> events.IngestResult:
    """Store one Kafka message's notice (or quarantine it). ``origin`` = topic:partition:offset."""
    origin = f"{message.topic()}:{message.partition()}:{message.offset()}"
    return events.ingest_bytes(
        message.value() or b"", origin=origin, on_localization=on_localization
    )


class GcnListener:
    """Consume GCN topics; store, then commit each message's offset."""

    def __init__(
        self,
        config: ListenerConfig,
        on_localization: Callable[[Localization], None] | None = None,
    ) -> None:
        self.config = config
        self.on_localization = on_localization
        self._stop = False
        self.counts = {"read": 0, "ingested": 0, "duplicate": 0, "quarantined": 0}

    def stop(self, *_: Any) -> None:
        self._stop = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def make_consumer(self):
        from gcn_kafka import Consumer

        cfg = self.config
        return Consumer(
            config=cfg.consumer_config(),
            client_id=cfg.client_id or None,
            client_secret=cfg.client_secret or None,
            domain=cfg.domain,
        )

    def run(self, *, max_messages: int | None = None, max_idle_polls: int | None = None):
        """Loop until stopped (or ``max_messages`` stored / ``max_idle_polls`` empty polls)."""
        from confluent_kafka import KafkaError

        consumer = self.make_consumer()
        consumer.subscribe(list(self.config.topics))
        idle = 0
        try:
            while not self._stop:
                message = consumer.poll(self.config.poll_timeout_s)
                if message is None:
                    idle += 1
                    if max_idle_polls is not None and idle >= max_idle_polls:
                        break
                    continue
                idle = 0
                if message.error():
                    if message.error().code() != KafkaError._PARTITION_EOF:
                        logger.error("GCN Kafka error: %s", message.error())
                    continue
                result = handle_message(message, self.on_localization)
                consumer.commit(message=message, asynchronous=False)
                self.counts["read"] += 1
                self.counts[result.status] += 1
                if max_messages is not None and self.counts["read"] >= max_messages:
                    break
        finally:
            consumer.close()
        return dict(self.counts)
