"""GCN event properties as a shifter reads them: units, rounding, lists as text.

Notices carry properties in each mission's own words (``FAR`` in Hz, areas in deg²,
instrument lists, classification probabilities…); :func:`property_rows` turns them into
``(label, text, url)`` rows for the event page.
"""

from __future__ import annotations

import math
from typing import Any

SECONDS_PER_YEAR = 365.25 * 86400.0
MISSING = "\u2013"  # an en dash: no value
_FAR_KEYS = {"far", "far_hz"}
_DISTANCE_KEYS = {"distmean", "diststd", "distance", "distance_mean", "distance_std"}


def far_text(far_hz: float) -> str:
    """'9.11e-14 Hz · 2.88e-06 per year (1 in 3.5e+05 yr)'."""
    per_year = far_hz * SECONDS_PER_YEAR
    text = f"{far_hz:.3g} Hz · {per_year:.3g} per year"
    if per_year > 0:
        text += f" (1 in {1 / per_year:.3g} yr)"
    return text


def number_text(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.4g}"


def value_text(key: str, value: Any) -> str:
    """One property's value as text, with its unit when the key says what it is."""
    lowered = key.lower()
    if value is None or value == "":
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        if lowered in _FAR_KEYS:
            return far_text(float(value))
        if "area" in lowered:
            return f"{float(value):.1f} deg²"
        if lowered in _DISTANCE_KEYS:
            return f"{float(value):.0f} Mpc"
        if lowered in {"error_radius", "radius"}:
            return f"{float(value):.3g} deg"
        return number_text(float(value))
    if isinstance(value, (list, tuple)):
        return ", ".join(value_text("", item) for item in value) or MISSING
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: (not isinstance(kv[1], (int, float)), kv[0]))
        return ", ".join(f"{k} {value_text(str(k), v)}" for k, v in items) or MISSING
    return str(value)


def label_text(key: str) -> str:
    lowered = key.lower()
    if lowered in _FAR_KEYS:
        return "FAR"
    return key.replace("_", " ")


def property_rows(properties: dict[str, Any]) -> list[tuple[str, str, str | None]]:
    """``(label, text, url or None)`` of each property, FAR and areas first."""

    def rank(key: str) -> tuple[int, str]:
        lowered = key.lower()
        first = 0 if lowered in _FAR_KEYS else 1 if "area" in lowered else 2
        return first, lowered

    rows = []
    for key in sorted(properties, key=rank):
        value = properties[key]
        url = (
            value if isinstance(value, str) and value.startswith(("https://", "http://")) else None
        )
        rows.append((label_text(key), value_text(key, value), url))
    return rows
