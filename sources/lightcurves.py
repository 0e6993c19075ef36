"""Light curves for people: per-band colours, a tiny inline SVG for queue cards and the
Plotly traces of the source page. Fluxes are µJy, magnitudes AB, times MJD (days)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import F, Window
from django.db.models.functions import RowNumber
from django.utils.html import escape

from sources.models import Photometry

BAND_COLOURS = {
    "ztfg": "#1a9850",
    "ztfr": "#d73027",
    "ztfi": "#8c510a",
    "lsstu": "#5e3c99",
    "lsstg": "#1a9850",
    "lsstr": "#d73027",
    "lssti": "#f46d43",
    "lsstz": "#8c510a",
    "lssty": "#404040",
}
FALLBACK_COLOUR = "#2166ac"
BAND_ORDER = list(BAND_COLOURS)
CARD_POINTS = 120


@dataclass
class LightCurvePoint:
    """One measurement: MJD (days), flux and error (µJy), AB magnitudes."""

    mjd: float
    band: str
    flux: float | None
    fluxerr: float | None
    mag: float | None
    magerr: float | None
    limiting_mag: float | None


def light_curves(
    target_ids: list[int], latest: int | None = None, *, user=None, include_rejected=False
) -> dict[int, list[LightCurvePoint]]:
    """Photometry of several targets in one query, by target, in time order; with
    ``latest``, only each target's ``latest`` most recent points (what a card draws).
    With ``user``, only the points that user may see (``sources.uploads.visible_photometry``:
    uploads of other groups and rejected points are left out).

    Ordered by ``measurement_key``, which is time order (see ``Photometry``), so the
    unique ``(target, measurement_key)`` index feeds the window without a sort."""
    curves: dict[int, list[LightCurvePoint]] = defaultdict(list)
    rows = Photometry.objects.filter(target_id__in=target_ids)
    if user is not None:
        from sources.uploads import visible_photometry

        rows = visible_photometry(user, rows, include_rejected=include_rejected)
    if latest is not None:
        rows = rows.annotate(
            recency=Window(
                RowNumber(), partition_by=[F("target_id")], order_by=F("measurement_key").desc()
            )
        ).filter(recency__lte=latest)
    columns = ("target_id", "mjd", "band", "flux", "fluxerr", "mag", "magerr", "limiting_mag")
    for target_id, *point in rows.order_by("target_id", "measurement_key").values_list(*columns):
        curves[target_id].append(LightCurvePoint(*point))
    return curves


def band_colour(band: str) -> str:
    return BAND_COLOURS.get(band, FALLBACK_COLOUR)


def _sorted_bands(bands: Iterable[str]) -> list[str]:
    return sorted(set(bands), key=lambda b: (BAND_ORDER.index(b) if b in BAND_ORDER else 99, b))


def sparkline_svg(points, mode: str, width: int = 260, height: int = 110) -> str:
    """A light curve as a small SVG: detections with error bars, upper limits as downward
    triangles (magnitude mode only; a limit has no flux), one colour per band.

    ``mode`` is ``"mag"`` (brighter up) or ``"flux"`` (µJy, zero line drawn)."""
    pad_left, pad_right, pad_top, pad_bottom = 34, 6, 6, 16
    detections, limits = [], []
    for p in points:
        if mode == "mag":
            if p.mag is not None:
                detections.append((p.mjd, p.mag, p.magerr or 0.0, p.band))
            elif p.limiting_mag is not None:
                limits.append((p.mjd, p.limiting_mag, p.band))
        elif p.flux is not None:
            detections.append((p.mjd, p.flux, p.fluxerr or 0.0, p.band))
    if not detections and not limits:
        return (
            f'<svg class="lc lc-{mode}" width="{width}" height="{height}" role="img">'
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="lc-empty">'
            f"no {'magnitudes' if mode == 'mag' else 'fluxes'}</text></svg>"
        )
    times = [d[0] for d in detections] + [u[0] for u in limits]
    t0, t1 = min(times), max(times)
    if t1 - t0 < 1e-6:
        t0, t1 = t0 - 0.5, t1 + 0.5
    values = [v for _, y, e, _ in detections for v in (y - e, y + e)] + [y for _, y, _ in limits]
    if mode == "flux":
        values.append(0.0)
    v0, v1 = min(values), max(values)
    if v1 - v0 < 1e-9:
        v0, v1 = v0 - 0.5, v1 + 0.5
    span = v1 - v0
    v0, v1 = v0 - 0.05 * span, v1 + 0.05 * span
    plot_w = width - pad_left - pad_right
    plot_h = height - pad_top - pad_bottom

    def x(t: float) -> float:
        return pad_left + (t - t0) / (t1 - t0) * plot_w

    def y(v: float) -> float:
        fraction = (v - v0) / (v1 - v0)
        # Magnitudes: brighter (smaller) up.
        return pad_top + (fraction if mode == "mag" else 1 - fraction) * plot_h

    parts = [
        f'<svg class="lc lc-{mode}" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="light curve in {"magnitude" if mode == "mag" else "flux"}">',
        f'<rect x="{pad_left}" y="{pad_top}" width="{plot_w}" height="{plot_h}" class="lc-frame"/>',
    ]
    top_label, bottom_label = (v0, v1) if mode == "mag" else (v1, v0)
    parts.append(
        f'<text x="{pad_left - 3}" y="{pad_top + 8}" class="lc-axis">{top_label:.1f}</text>'
    )
    parts.append(
        f'<text x="{pad_left - 3}" y="{pad_top + plot_h}" class="lc-axis">{bottom_label:.1f}</text>'
    )
    parts.append(
        f'<text x="{pad_left}" y="{height - 3}" class="lc-axis lc-time">{t0:.1f}</text>'
        f'<text x="{width - pad_right}" y="{height - 3}" class="lc-axis lc-time lc-end">'
        f"{t1:.1f} MJD</text>"
    )
    if mode == "flux" and v0 < 0 < v1:
        zero = y(0.0)
        parts.append(
            f'<line x1="{pad_left}" x2="{width - pad_right}" y1="{zero:.1f}" y2="{zero:.1f}" '
            'class="lc-zero"/>'
        )
    for t, v, band in limits:
        cx, cy = x(t), y(v)
        parts.append(
            f'<path d="M{cx - 3:.1f},{cy - 2:.1f}h6l-3,5z" fill="none" '
            f'stroke="{band_colour(band)}" class="lc-limit">'
            f"<title>{escape(band)} &gt; {v:.2f}</title></path>"
        )
    for t, v, err, band in detections:
        cx, cy = x(t), y(v)
        colour = band_colour(band)
        if err:
            parts.append(
                f'<line x1="{cx:.1f}" x2="{cx:.1f}" y1="{y(v - err):.1f}" y2="{y(v + err):.1f}" '
                f'stroke="{colour}"/>'
            )
        parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="2.2" fill="{colour}"/>')
    parts.append("</svg>")
    return "".join(parts)


def plotly_traces(points) -> dict[str, Any]:
    """Per-band series for the source page's Plotly figure, JSON-ready.

    Returns ``{"first_detection_mjd": float|None, "bands": [{band, colour, det: {mjd, mag,
    magerr, flux, fluxerr}, lim: {mjd, mag}}]}``; the page builds magnitude or flux traces
    and MJD or days-since-first-detection axes from it without a round trip."""
    det: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    lim: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    first = None
    for p in points:
        if p.flux is not None or p.mag is not None:
            series = det[p.band]
            series["mjd"].append(p.mjd)
            series["flux"].append(_finite(p.flux))
            series["fluxerr"].append(_finite(p.fluxerr))
            series["mag"].append(_finite(p.mag))
            series["magerr"].append(_finite(p.magerr))
            if p.mag is not None and (first is None or p.mjd < first):
                first = p.mjd
        elif p.limiting_mag is not None:
            lim[p.band]["mjd"].append(p.mjd)
            lim[p.band]["mag"].append(_finite(p.limiting_mag))
    return {
        "first_detection_mjd": first,
        "bands": [
            {
                "band": band,
                "colour": band_colour(band),
                "det": det.get(band, {}),
                "lim": lim.get(band, {}),
            }
            for band in _sorted_bands([*det, *lim])
        ],
    }


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def band_legend(points) -> str:
    bands = _sorted_bands(p.band for p in points)
    return "".join(f'<span class="band {band_class(b)}">● {escape(b)}</span>' for b in bands)


def band_class(band: str) -> str:
    """CSS class colouring a band's legend (``static/sources/scanning.css``): no inline style."""
    return f"band-{band}" if band in BAND_COLOURS else "band-other"
