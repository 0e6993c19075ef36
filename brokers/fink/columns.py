"""An alert's history arrays by column: one numpy array per field the ingest reads.

An LSST alert carries ~750 history entries (``prvDiaSources``, ``prvDiaForcedSources``)
and a ZTF alert ~40 (``prv_candidates``). Turning each entry into a dict, then a point,
then a database row cost more than everything else the ingest does; by column, the
photometry of a whole alert is a dozen numpy operations (:mod:`brokers.fink.photometry`).

:class:`HistoryColumns` is what the compiled decoder (:mod:`brokers.fink.avrodecode`)
returns for those arrays; records decoded otherwise (fastavro, the simulator's dicts)
are wrapped with :meth:`HistoryColumns.from_entries` and read the same way.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np

__all__ = ["COLUMN_KIND_CODES", "ColumnKind", "HistoryColumns"]

ColumnKind = Literal["float", "int", "text"]
# Codes shared with the compiled decoder (_avrodecode.pyx: C_FLOAT, C_INT, C_TEXT, C_OBJECT).
COLUMN_KIND_CODES: dict[ColumnKind, int] = {"float": 1, "int": 2, "text": 3}
_SKIP, _FLOAT, _INT, _TEXT, _OBJECT = 0, 1, 2, 3, 4


class HistoryColumns:
    """The kept fields of an array of records, one column per field.

    A column holds, for each entry, a value or null (the field null or absent, or the
    entry itself null). Accessors convert on demand and raise ``TypeError`` or
    ``ValueError`` where the values do not fit (a string in a float column), which the
    parser reports as a bad value.
    """

    __slots__ = ("_columns", "length")

    def __init__(self, length: int, columns: dict[str, tuple[int, Any, Any, Any]]) -> None:
        self.length = length
        # name → (kind code, values, null flags or None, distinct texts or None)
        self._columns = columns

    @classmethod
    def from_decoded(
        cls,
        length: int,
        names: Sequence[str],
        kinds: Sequence[int],
        values: Sequence[Any],
        nulls: Sequence[Any],
        texts: Sequence[Any],
    ) -> HistoryColumns:
        """The compiled decoder's output: typed buffers per kept field."""
        columns = {
            name: (kind, values[k], nulls[k], texts[k])
            for k, (name, kind) in enumerate(zip(names, kinds, strict=True))
            if kind != _SKIP
        }
        return cls(length, columns)

    @classmethod
    def from_entries(
        cls, entries: Iterable[Mapping[str, Any] | None], kinds: Mapping[str, ColumnKind]
    ) -> HistoryColumns:
        """Columns of decoded entries (dicts; ``None`` entries read as null), typed as
        ``kinds`` says. Raises ``TypeError``/``ValueError`` where a value does not fit."""
        entries = list(entries)
        columns: dict[str, tuple[int, Any, Any, Any]] = {}
        for name, kind in kinds.items():
            values = [None if e is None else e.get(name) for e in entries]
            nulls = np.array([v is None for v in values], dtype=bool)
            if kind == "float":
                columns[name] = (_FLOAT, _floats_of(values), nulls, None)
            elif kind == "int":
                columns[name] = (_INT, _ints_of(values), nulls, None)
            else:
                codes, distinct = _codes_of(values)
                columns[name] = (_TEXT, codes, None, distinct)
        return cls(len(entries), columns)

    @classmethod
    def concatenate(
        cls, parts: Sequence[HistoryColumns], kinds: Mapping[str, ColumnKind]
    ) -> HistoryColumns:
        """The entries of ``parts`` one after the other, the fields of ``kinds`` only."""
        columns: dict[str, tuple[int, Any, Any, Any]] = {}
        for name, kind in kinds.items():
            nulls = np.concatenate([part.is_null(name) for part in parts])
            if kind == "float":
                values = np.concatenate([part.floats(name) for part in parts])
                columns[name] = (_FLOAT, values, nulls, None)
            elif kind == "int":
                values = np.concatenate([part.ints(name) for part in parts])
                columns[name] = (_INT, values, nulls, None)
            else:
                codes, distinct = [], []
                for part in parts:
                    part_codes, part_distinct = part.texts(name)
                    codes.append(np.where(part_codes < 0, -1, part_codes + len(distinct)))
                    distinct.extend(part_distinct)
                columns[name] = (_TEXT, np.concatenate(codes).astype(np.int32), None, distinct)
        return cls(sum(len(part) for part in parts), columns)

    def __len__(self) -> int:
        return self.length

    def __repr__(self) -> str:
        return f"HistoryColumns({self.length} entries: {', '.join(self._columns)})"

    def is_null(self, name: str) -> np.ndarray:
        """Boolean per entry: the field is null or absent."""
        column = self._columns.get(name)
        if column is None:
            return np.ones(self.length, dtype=bool)
        kind, values, nulls, _ = column
        if kind in (_FLOAT, _INT):
            return np.frombuffer(nulls, dtype=bool)
        if kind == _TEXT:
            return np.frombuffer(values, dtype=np.int32) < 0
        return np.fromiter((v is None for v in values), dtype=bool, count=self.length)

    def floats(self, name: str) -> np.ndarray:
        """float64 per entry, NaN where null or absent."""
        column = self._columns.get(name)
        if column is None:
            return np.full(self.length, np.nan)
        kind, values, nulls, _ = column
        if kind == _FLOAT:
            return np.frombuffer(values, dtype=np.float64)
        if kind == _INT:
            out = np.frombuffer(values, dtype=np.int64).astype(np.float64)
            out[np.frombuffer(nulls, dtype=bool)] = np.nan
            return out
        if kind == _TEXT:
            raise TypeError(f"{name} holds text, not numbers")
        return _floats_of(values)

    def ints(self, name: str) -> np.ndarray:
        """int64 per entry, 0 where null or absent (see :meth:`is_null`)."""
        column = self._columns.get(name)
        if column is None:
            return np.zeros(self.length, dtype=np.int64)
        kind, values, _, _ = column
        if kind == _INT:
            return np.frombuffer(values, dtype=np.int64)
        if kind in (_FLOAT, _TEXT):
            raise TypeError(f"{name} does not hold integers")
        return _ints_of(values)

    def texts(self, name: str) -> tuple[np.ndarray, list[Any]]:
        """``(codes, distinct)``: int32 per entry indexing ``distinct`` (-1 where null)."""
        column = self._columns.get(name)
        if column is None:
            return np.full(self.length, -1, dtype=np.int32), []
        kind, values, _, texts = column
        if kind == _TEXT:
            return np.frombuffer(values, dtype=np.int32), texts
        if kind in (_FLOAT, _INT):
            raise TypeError(f"{name} holds numbers, not text")
        return _codes_of(values)


def _floats_of(values: Sequence[Any]) -> np.ndarray:
    """float64 per Python value, NaN for None."""
    return np.array([np.nan if v is None else _number(v) for v in values], dtype=np.float64)


def _ints_of(values: Sequence[Any]) -> np.ndarray:
    """int64 per Python value, 0 for None."""
    return np.array([0 if v is None else _integer(v) for v in values], dtype=np.int64)


def _codes_of(values: Sequence[Any]) -> tuple[np.ndarray, list[Any]]:
    """``(codes, distinct)`` of Python values: int32 per value indexing ``distinct`` (the
    values in order of appearance), -1 for None."""
    distinct: dict[Any, int] = {}
    codes = [-1 if v is None else distinct.setdefault(v, len(distinct)) for v in values]
    return np.array(codes, dtype=np.int32), list(distinct)


def _number(value: Any) -> float:
    if isinstance(value, (str, bytes)):
        raise TypeError(f"not a number: {value!r}")
    return float(value)


def _integer(value: Any) -> int:
    if isinstance(value, (str, bytes, float)):
        raise TypeError(f"not an integer: {value!r}")
    return int(value)
