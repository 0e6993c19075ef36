"""Fast decoding of Fink alerts: a compiled schemaless Avro decoder that builds only
the fields the ingest reads.

Why: fastavro decodes ~200 real ZTF and ~20 real LSST alerts per second per core
(an LSST alert is ~230 kB: ~350 ``prvDiaSources`` of ~120 fields plus ~400 forced
points), because it builds a Python object for every value. The ingest needs five
fields of each history entry. :class:`AlertDecoder` compiles the writer schema once
into a tree that a small Cython routine (``_avrodecode.pyx``) walks over the bytes:
history arrays (:data:`HISTORY_COLUMNS`) come out as
:class:`~brokers.fink.columns.HistoryColumns`, one typed array per field the ingest
reads, with no Python object per entry. Everything else at the top level (Fink scores,
cross-matches, the alert's own source, cutouts) is decoded in full, so annotations and
the archive lose nothing (the raw bytes are archived anyway).

The extension is built on first use (:mod:`brokers.fink.compiled`); where it cannot be
built, decoding falls back to fastavro with identical results for every field the
ingest reads.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping
from typing import Any

import fastavro

from brokers.fink.columns import COLUMN_KIND_CODES, ColumnKind, HistoryColumns
from brokers.fink.compiled import load_extension
from brokers.fink.errors import AlertRejected

__all__ = ["HISTORY_COLUMNS", "AlertDecoder", "compiled_decoder_available"]

# The fields of each history array the parser reads, decoded by column (see brokers.fink.columns).
HISTORY_COLUMNS: dict[str, dict[str, ColumnKind]] = {
    "prv_candidates": {
        "jd": "float", "fid": "int", "magpsf": "float", "sigmapsf": "float",
        "isdiffpos": "text", "diffmaglim": "float", "candid": "int",
    },
    "prvDiaSources": {
        "midpointMjdTai": "float", "psfFlux": "float", "psfFluxErr": "float", "band": "text",
        "diaSourceId": "int",
    },
    "prvDiaForcedSources": {
        "midpointMjdTai": "float", "psfFlux": "float", "psfFluxErr": "float", "band": "text",
    },
}  # fmt: skip

logger = logging.getLogger(__name__)

_KINDS = {
    "null": 0,
    "boolean": 1,
    "int": 2,
    "long": 2,
    "float": 3,
    "double": 4,
    "bytes": 5,
    "string": 6,
    "record": 7,
    "error": 7,
    "enum": 8,
    "array": 9,
    "map": 10,
    "fixed": 12,
}
_UNION = 11
_COLUMNS = 13


def compiled_decoder_available() -> bool:
    """Whether the compiled decoder is in use (``False``: fastavro fallback)."""
    return load_extension("_avrodecode") is not None


_NUMBER_KINDS = frozenset({_KINDS["int"], _KINDS["float"], _KINDS["double"]})
_COMPATIBLE: dict[int, frozenset[int]] = {
    COLUMN_KIND_CODES["float"]: _NUMBER_KINDS,
    COLUMN_KIND_CODES["int"]: frozenset({_KINDS["int"]}),
    COLUMN_KIND_CODES["text"]: frozenset({_KINDS["string"], _KINDS["enum"]}),
}
_OBJECT_COLUMN = 4  # values the column kind does not cover: decoded as Python objects


def _column_kind(node: Any, wanted: ColumnKind) -> int:
    """The decoder's column kind for a field of type ``node``: the one wanted when every
    non-null branch fits it, else a column of Python objects."""
    branches = node.children if node.kind == _UNION else [node]
    code = COLUMN_KIND_CODES[wanted]
    fits = all(b.kind == _KINDS["null"] or b.kind in _COMPATIBLE[code] for b in branches)
    return code if fits else _OBJECT_COLUMN


def _by_columns(module: Any, items: Any, columns: Mapping[str, ColumnKind]) -> Any:
    """The items node of an array decoded by column: its record (a named type may be
    shared with fields decoded in full) with, per field, the column kind to decode."""
    if items.kind == _UNION:
        union = module.Node()
        union.kind = _UNION
        union.children = [
            _by_columns(module, branch, columns) if branch.kind == 7 else branch
            for branch in items.children
        ]
        return union
    record = module.Node()
    record.kind = 7
    record.names, record.children = items.names, items.children
    record.keep = [name in columns for name in items.names]
    record.columns = [
        _column_kind(child, columns[name]) if name in columns else 0
        for name, child in zip(items.names, items.children, strict=True)
    ]
    return record


def _compile(
    module: Any,
    schema: Any,
    named: dict[str, Any],
    columns: Mapping[str, ColumnKind] | None = None,
) -> Any:
    """Turn a (fastavro-parsed or plain) schema into the decoder's node tree.

    ``columns``: for an array of records listed in :data:`HISTORY_COLUMNS`, the fields
    to decode by column (the others are skipped).
    """
    node = module.Node()
    if isinstance(schema, str):
        if schema in _KINDS:
            node.kind = _KINDS[schema]
            return node
        return named[schema]
    if isinstance(schema, list):
        node.kind = _UNION
        node.children = [_compile(module, branch, named, columns) for branch in schema]
        return node
    kind = schema["type"]
    if kind in ("record", "error"):
        node.kind = 7
        if schema.get("name"):
            named[schema["name"]] = node
        node.names, node.children, node.keep = [], [], []
        for field in schema["fields"]:
            child = _compile(module, field["type"], named, HISTORY_COLUMNS.get(field["name"]))
            node.names.append(field["name"])
            node.children.append(child)
            node.keep.append(columns is None or field["name"] in columns)
        return node
    if kind == "enum":
        node.kind = 8
        node.names = list(schema["symbols"])
        named[schema["name"]] = node
        return node
    if kind == "fixed":
        node.kind = 12
        node.size = int(schema["size"])
        named[schema["name"]] = node
        return node
    if kind == "array":
        items = _compile(module, schema["items"], named, columns)
        node.kind = 9
        node.children = [items]
        if columns is not None:
            branches = items.children if items.kind == _UNION else [items]
            records = [b for b in branches if b.kind == 7]
            if len(records) == 1 and all(b.kind in (0, 7) for b in branches):
                node.kind = _COLUMNS
                node.factory = HistoryColumns.from_decoded
                node.children = [_by_columns(module, items, columns)]
        return node
    if kind == "map":
        node.kind = 10
        node.children = [_compile(module, schema["values"], named)]
        return node
    if isinstance(kind, (dict, list)) or kind in _KINDS:
        return _compile(module, kind, named, columns)
    return named[kind]


class AlertDecoder:
    """Decode schemaless Avro alert values of one writer schema.

    ``decode(value)`` returns the record with its history arrays as
    :class:`~brokers.fink.columns.HistoryColumns` of the fields in
    :data:`HISTORY_COLUMNS` (compiled path; fastavro in full, lists
    of dicts, where the extension is unavailable); ``decode(value, complete=True)``
    returns every field (fastavro).
    Damaged values raise :class:`~brokers.fink.errors.AlertRejected`: ``truncated``
    when the bytes end early, ``undecodable`` otherwise (garbage, trailing bytes).
    """

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.parsed_schema = fastavro.parse_schema(dict(schema))
        self._module = load_extension("_avrodecode")
        self._root = _compile(self._module, dict(schema), {}) if self._module is not None else None

    @property
    def compiled(self) -> bool:
        return self._root is not None

    def decode(self, value: bytes, *, complete: bool = False) -> dict[str, Any]:
        """The record encoded by the whole of ``value``."""
        if not value:
            raise AlertRejected("undecodable", "empty message value")
        record, end = self.decode_at(value, 0, complete=complete)
        if end != len(value):
            raise AlertRejected("undecodable", f"{len(value) - end} trailing bytes")
        return record

    def decode_at(
        self, data: bytes, start: int, *, complete: bool = False
    ) -> tuple[dict[str, Any], int]:
        """The record encoded in ``data`` from ``start`` (records of a container block
        follow each other), and the offset where it ends."""
        if complete or self._root is None:
            stream = io.BytesIO(data)
            stream.seek(start)
            try:
                record = fastavro.schemaless_reader(stream, self.parsed_schema, None)
            except EOFError as exc:
                raise AlertRejected("truncated", str(exc)) from exc
            except Exception as exc:  # fastavro raises many types on corrupted bytes
                raise AlertRejected("undecodable", f"{type(exc).__name__}: {exc}") from exc
            end = stream.tell()
        else:
            try:
                record, consumed = self._module.decode(memoryview(data)[start:], self._root)
            except EOFError as exc:
                raise AlertRejected("truncated", str(exc)) from exc
            except (ValueError, UnicodeDecodeError, IndexError, TypeError) as exc:
                raise AlertRejected("undecodable", f"{type(exc).__name__}: {exc}") from exc
            end = start + consumed
        if not isinstance(record, dict):
            raise AlertRejected("wrong_schema", "top-level Avro type is not a record")
        return record, end
