"""How Fink puts alerts on Kafka, and how we read and write that format.

What fink-client 12.3 does (``fink_client/consumer.py``, ``AlertConsumer.process_message``
and ``get_schema_from_stream``; ``avro_utils._decode_avro_alert``/``encode_into_avro``):

* **value**: one alert as *schemaless* Avro (``fastavro.schemaless_writer``), no
  container header, no Confluent magic byte / schema-registry id.
* **key**: the writer schema itself, as UTF-8 JSON text (the whole Avro schema,
  ~190 kB for ZTF, ~350 kB for LSST), on every message of the livestream topics.
  The client does ``fastavro.parse_schema(json.loads(key))`` per message.
* **legacy key**: when the key is not JSON, older streams put a schema *version*
  there (e.g. ``"4.02"``) and the client downloads
  ``distribution_schema_fink_ztf_<key>.avsc`` from GitHub (or ``<key>_replayed``) or
  uses a local ``schema_path``. We never download: such a key must be registered
  in the :class:`SchemaCache` (or a default schema given).
* **Data Transfer** topics (``ftransfer_*``, ``fxmatch_*``): values are schemaless
  Avro too, but the schema travels once, as the *key* of the single message of the
  companion topic ``<topic>_schema``; register it with :meth:`SchemaCache.add_default`.
* **headers**: none are set or read.

We do not call ``AlertConsumer.process_message`` on the hot path: it needs a live
``confluent_kafka.Consumer`` and re-parses the (large) schema of every message;
:class:`SchemaCache` parses each distinct schema once. The tests check that our
encoding is decoded by fink-client's own ``process_message`` and that
fink-client's ``encode_into_avro`` output is decoded by :func:`decode_message`.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

import fastavro

from brokers.fink.avrodecode import AlertDecoder
from brokers.fink.errors import AlertRejected

__all__ = ["MessageEncoder", "SchemaCache", "decode_message", "encode_message", "schema_key"]

Headers = list[tuple[str, bytes]] | None
# Cheap identity of a schema key: comparing 200-kB keys byte by byte on every message
# would cost more than the decode; length + both ends select a candidate, then one
# memcmp confirms it.
_PROBE = 512


def _key_fingerprint(key: bytes) -> tuple[int, bytes, bytes]:
    return len(key), key[:_PROBE], key[-_PROBE:]


def schema_key(schema: Mapping[str, Any] | str) -> bytes:
    """The Kafka key Fink sends with each alert: the writer schema as JSON bytes."""
    if isinstance(schema, str):
        return schema.encode("utf-8")
    # fastavro's parsed form carries private "__fastavro_parsed" markers; drop them.
    return json.dumps(_strip_fastavro_markers(schema), separators=(",", ":")).encode("utf-8")


def _strip_fastavro_markers(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _strip_fastavro_markers(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [_strip_fastavro_markers(v) for v in value]
    return value


class SchemaCache:
    """Parsed Avro schemas, looked up by the Kafka key that carried them.

    ``named`` maps legacy keys (schema versions such as ``"4.02"``) to schemas;
    ``default`` is used for messages whose key is empty or unknown (Data Transfer
    topics, or a consumer configured with a fixed schema file).
    """

    def __init__(
        self,
        default: Mapping[str, Any] | None = None,
        named: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self._by_fingerprint: dict[tuple[int, bytes, bytes], list[tuple[bytes, AlertDecoder]]] = {}
        self._named: dict[str, AlertDecoder] = {}
        self._default: AlertDecoder | None = None
        if default is not None:
            self.add_default(default)
        for name, schema in (named or {}).items():
            self.add_named(name, schema)

    def add_default(self, schema: Mapping[str, Any] | str | bytes) -> None:
        """Use ``schema`` (dict, or JSON text as in a ``<topic>_schema`` key) by default."""
        self._default = _parse(schema)

    def add_named(self, name: str, schema: Mapping[str, Any] | str | bytes) -> None:
        """Register the schema a legacy key (a version string) stands for."""
        self._named[name] = _parse(schema)

    def for_key(self, key: bytes | str | None) -> AlertDecoder:
        """The decoder of a message key's schema; raises ``AlertRejected('unknown_schema')``."""
        if isinstance(key, str):
            key = key.encode("utf-8")
        if key and key[:1] == b"{":
            fingerprint = _key_fingerprint(key)
            for known_key, parsed in self._by_fingerprint.get(fingerprint, ()):
                if known_key == key:
                    return parsed
            try:
                parsed = _parse(key)
            except (ValueError, TypeError, KeyError) as exc:
                raise AlertRejected("unknown_schema", f"key is not an Avro schema: {exc}") from exc
            self._by_fingerprint.setdefault(fingerprint, []).append((key, parsed))
            return parsed
        if key:
            name = key.decode("utf-8", "replace")
            parsed = self._named.get(name) or self._named.get(f"{name}_replayed")
            if parsed is not None:
                return parsed
        if self._default is not None:
            return self._default
        raise AlertRejected("unknown_schema", f"no schema for key {(key or b'')[:64]!r}")


def _parse(schema: Mapping[str, Any] | str | bytes) -> AlertDecoder:
    if isinstance(schema, (str, bytes)):
        schema = json.loads(schema)
    return AlertDecoder(schema)


def decode_message(
    value: bytes | None,
    key: bytes | str | None,
    headers: Iterable[tuple[str, bytes]] | None = None,
    schema_cache: SchemaCache | None = None,
    *,
    complete: bool = True,
) -> dict[str, Any]:
    """Decode one Fink Kafka message into the alert record (a ``dict``).

    With ``complete=False`` the history arrays come out as columns of only the fields
    the ingest reads (:data:`brokers.fink.avrodecode.HISTORY_COLUMNS`), which is several
    times faster; the stream uses that, and archives the raw bytes anyway.

    Raises :class:`AlertRejected` with ``unknown_schema`` (no schema for the key),
    ``truncated`` (value ends early) or ``undecodable`` (anything else). ``headers``
    are accepted for symmetry with the consumer API; Fink sets none.
    """
    del headers  # Fink sets no headers; the schema travels in the key.
    cache = schema_cache if schema_cache is not None else SchemaCache()
    return cache.for_key(key).decode(value or b"", complete=complete)


def encode_message(
    record: Mapping[str, Any], schema: Mapping[str, Any] | str
) -> tuple[bytes, bytes, Headers]:
    """Encode an alert the way Fink's livestream does: ``(key, value, headers)``.

    ``key`` is the schema JSON, ``value`` the schemaless Avro record, ``headers``
    ``None``. ``schema`` may be a dict (parsed or not) or JSON text.
    """
    key = schema_key(schema)
    parsed = fastavro.parse_schema(json.loads(key))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, parsed, dict(record))
    return key, buffer.getvalue(), None


class MessageEncoder:
    """:func:`encode_message` for many records of one schema (parses the schema once)."""

    def __init__(self, schema: Mapping[str, Any] | str) -> None:
        self.key = schema_key(schema)
        self._parsed = fastavro.parse_schema(json.loads(self.key))

    def encode(self, record: Mapping[str, Any]) -> tuple[bytes, bytes, Headers]:
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, self._parsed, dict(record))
        return self.key, buffer.getvalue(), None
