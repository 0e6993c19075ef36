"""Value conversions shared by the notice parsers (times, numbers, FAR units, base64, tags)."""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from gcn.notices.base import NoticeRejected

# One Julian year in seconds, to convert "per year" false-alarm rates to Hz.
_YEAR_S = 365.25 * 86400.0


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 string (UTC assumed when no offset is given) → aware UTC datetime."""
    if value is None or value == "":
        return None
    s = str(value).strip()
    if s.endswith("Z"):
        s = s[:-1] + "+00:00"
    try:
        t = datetime.fromisoformat(s)
    except ValueError:
        return None
    if t.tzinfo is None:
        return t.replace(tzinfo=UTC)
    return t.astimezone(UTC)


def to_float(value: Any) -> float | None:
    """A finite float, or None."""
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def to_int(value: Any) -> int | None:
    """An int (decimal, ``0x`` hex, or a float truncated), or None."""
    try:
        return int(str(value).strip(), 0)
    except (TypeError, ValueError):
        x = to_float(value)
        return int(x) if x is not None else None


def to_number(value: Any) -> Any:
    """VOEvent Param value → int or float when it is a decimal number, else the string."""
    if value is None:
        return None
    s = str(value).strip()
    if re.fullmatch(r"[+-]?\d+", s):
        return int(s)
    x = to_float(s)
    return x if x is not None and not s.lower().startswith("0x") else s


def to_bool(value: Any) -> bool | None:
    """true/false/1/0/yes/no → bool, anything else → None."""
    if isinstance(value, bool):
        return value
    s = str(value).strip().lower()
    if s in ("true", "1", "yes", "t"):
        return True
    if s in ("false", "0", "no", "f"):
        return False
    return None


def far_to_hz(value: float, unit: str | None) -> float:
    """Convert a false-alarm rate to Hz from the unit string notices use."""
    u = (unit or "Hz").replace(" ", "").lower()
    if u in ("hz", "s-1", "s^-1", "1/s", "/s"):
        return value
    if u in ("yr-1", "yr^-1", "1/yr", "/yr", "peryear", "year-1", "year^-1", "a-1"):
        return value / _YEAR_S
    if u in ("day-1", "day^-1", "1/day", "/day", "d-1"):
        return value / 86400.0
    return value


def b64decode(text: str | bytes) -> bytes:
    """Strict base64 (whitespace tolerated): anything else is 'bad_base64'."""
    if isinstance(text, str):
        try:
            text = text.encode("ascii")
        except UnicodeEncodeError as exc:
            raise NoticeRejected("bad_base64", "non-ASCII characters") from exc
    compact = re.sub(rb"\s+", b"", text)
    try:
        out = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise NoticeRejected("bad_base64", str(exc)) from exc
    if not out:
        raise NoticeRejected("bad_base64", "empty payload")
    return out


def freeze(props: dict[str, Any]) -> Mapping[str, Any]:
    """Read-only properties without the None values."""
    return MappingProxyType({k: v for k, v in props.items() if v is not None})


def sorted_tags(*groups: Any) -> tuple[str, ...]:
    """Strings and iterables of strings → sorted unique non-empty tags."""
    out: set[str] = set()
    for g in groups:
        if not g:
            continue
        if isinstance(g, str):
            out.add(g)
        else:
            out.update(t for t in g if t)
    return tuple(sorted(out))


def url_name(url: str) -> str:
    """The file name at the end of a sky-map URL (GraceDB's ``,<version>`` removed)."""
    path = urlsplit(url).path or url
    base = path.rstrip("/").rsplit("/", 1)[-1]
    # GraceDB appends ",<version>" to file names.
    return base.split(",", 1)[0] or "skymap"
