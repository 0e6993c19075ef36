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
    origin: str | None = None


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
    columns = (
        "target_id", "mjd", "band", "flux", "fluxerr", "mag", "magerr", "limiting_mag", "origin",
    )  # fmt: skip
    for target_id, *point in rows.order_by("target_id", "measurement_key").values_list(*columns):
        curves[target_id].append(LightCurvePoint(*point))
    return curves


def band_colour(band: str) -> str:
    return BAND_COLOURS.get(band, FALLBACK_COLOUR)


def _sorted_bands(bands: Iterable[str]) -> list[str]:
    return sorted(set(bands), key=lambda b: (BAND_ORDER.index(b) if b in BAND_ORDER else 99, b))


# --------------------------------------------------------------------------- what is drawn
#
# One reading of a light curve shared by the queue's sparklines, the source page's plot, its
# table and its header: a *detection* is a point drawn as a magnitude (flux > 0), except LSST
# forced photometry whose S/N is below ``ICARE_FORCED_SNR_LIMIT`` (default 3), which is a
# *limit* at that S/N (m = 23.9 - 2.5 log10(limit x fluxerr / µJy)); ZTF non-detections are
# limits at their ``diffmaglim``. Axis ranges come from the points that carry information:
# a point whose error exceeds a bound is drawn (clamped to the frame) but does not set them.

# A magnitude error above this (mag) carries no information for the axis range.
MAX_MAG_ERROR = 1.0
# A flux error above this multiple of the curve's median flux error neither.
FLUX_ERROR_FACTOR = 5.0
AB_ZERO_POINT_UJY = 23.9


def forced_snr_limit() -> float:
    from django.conf import settings

    return float(getattr(settings, "ICARE_FORCED_SNR_LIMIT", 3.0))


@dataclass(frozen=True)
class Mark:
    """One point as drawn: ``kind`` is ``"det"`` (magnitude and flux), ``"lim"`` (a limit;
    ``flux`` kept for forced points, drawn in flux mode) or ``"flux"`` (a measured flux
    without a magnitude: flux <= 0, drawn in flux mode only)."""

    mjd: float
    band: str
    kind: str
    mag: float | None
    magerr: float | None
    limit: float | None
    flux: float | None
    fluxerr: float | None
    origin: str | None


def _ok(value) -> bool:
    return value is not None and math.isfinite(value)


def marks(points, snr_limit: float | None = None) -> list[Mark]:
    """The points of a light curve as drawn (see above), in the given order."""
    snr = forced_snr_limit() if snr_limit is None else snr_limit
    out = []
    isfinite = math.isfinite
    for p in points:
        flux, fluxerr, mag, magerr = p.flux, p.fluxerr, p.mag, p.magerr
        flux = flux if flux is not None and isfinite(flux) else None
        fluxerr = fluxerr if fluxerr is not None and isfinite(fluxerr) else None
        mag = mag if mag is not None and isfinite(mag) else None
        magerr = magerr if magerr is not None and isfinite(magerr) else None
        origin = getattr(p, "origin", None)
        if (
            origin == "forced"
            and flux is not None
            and (fluxerr is None or fluxerr <= 0 or flux / fluxerr < snr)
        ):
            limit = (
                AB_ZERO_POINT_UJY - 2.5 * math.log10(snr * fluxerr)
                if fluxerr is not None and fluxerr > 0
                else None
            )
            out.append(Mark(p.mjd, p.band, "lim", None, None, limit, flux, fluxerr, origin))
        elif mag is not None:
            out.append(Mark(p.mjd, p.band, "det", mag, magerr, None, flux, fluxerr, origin))
        elif flux is not None:
            out.append(Mark(p.mjd, p.band, "flux", None, None, None, flux, fluxerr, origin))
        elif _ok(p.limiting_mag):
            out.append(Mark(p.mjd, p.band, "lim", None, None, p.limiting_mag, None, None, origin))
    return out


@dataclass(frozen=True)
class DetectionSpan:
    """First and last detection (MJD) and the number of detections, by :func:`marks`."""

    first_mjd: float | None
    last_mjd: float | None
    count: int


def detection_span(drawn: list[Mark]) -> DetectionSpan:
    times = [m.mjd for m in drawn if m.kind == "det"]
    if not times:
        return DetectionSpan(None, None, 0)
    return DetectionSpan(min(times), max(times), len(times))


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    return ordered[n // 2] if n % 2 else 0.5 * (ordered[n // 2 - 1] + ordered[n // 2])


def axis_range(drawn: list[Mark], mode: str) -> tuple[float, float] | None:
    """``(low, high)`` of the values axis (mag or µJy) from the informative points: error
    bars of detections whose error is within the bound (``MAX_MAG_ERROR``; in flux,
    ``FLUX_ERROR_FACTOR`` x the curve's median flux error), limits (magnitude mode; a forced
    point's only if its flux error is within that bound) or the zero line (flux mode); 5 %
    margins. ``None`` when nothing is drawn."""
    errors = [m.fluxerr for m in drawn if m.fluxerr is not None and m.fluxerr > 0]
    flux_bound = FLUX_ERROR_FACTOR * _median(errors) if errors else math.inf
    values: list[float] = []
    if mode == "mag":
        for m in drawn:
            if m.kind == "det" and (m.magerr is None or m.magerr <= MAX_MAG_ERROR):
                err = m.magerr or 0.0
                values += [m.mag - err, m.mag + err]
            elif (
                m.kind == "lim"
                and m.limit is not None
                and (m.fluxerr is None or m.fluxerr <= flux_bound)
            ):
                values.append(m.limit)
        if not values:
            values = [m.mag for m in drawn if m.kind == "det"]
    else:
        fluxed = [m for m in drawn if m.flux is not None]
        for m in fluxed:
            if m.fluxerr is None or m.fluxerr <= flux_bound:
                err = m.fluxerr or 0.0
                values += [m.flux - err, m.flux + err]
        if not values:
            values = [m.flux for m in fluxed]
        if values:
            values.append(0.0)
    if not values:
        return None
    low, high = min(values), max(values)
    if high - low < 1e-9:
        low, high = low - 0.5, high + 0.5
    span = high - low
    return low - 0.05 * span, high + 0.05 * span


def sparkline_svg(points, mode: str, width: int = 260, height: int = 110, drawn=None) -> str:
    """A light curve as a small SVG: detections with error bars, limits as downward
    triangles (magnitude mode), one colour per band; points outside the informative range
    are clamped to the frame's edge.

    ``mode`` is ``"mag"`` (brighter up) or ``"flux"`` (µJy, zero line drawn)."""
    pad_left, pad_right, pad_top, pad_bottom = 34, 6, 6, 16
    drawn = marks(points) if drawn is None else drawn
    detections, limits = [], []
    for m in drawn:
        if mode == "mag":
            if m.kind == "det":
                detections.append((m.mjd, m.mag, m.magerr or 0.0, m.band))
            elif m.kind == "lim" and m.limit is not None:
                limits.append((m.mjd, m.limit, m.band))
        elif m.flux is not None:
            detections.append((m.mjd, m.flux, m.fluxerr or 0.0, m.band))
    span = axis_range(drawn, mode)
    if span is None or (not detections and not limits):
        return (
            f'<svg class="lc lc-{mode}" width="{width}" height="{height}" role="img">'
            f'<text x="{width / 2}" y="{height / 2}" text-anchor="middle" class="lc-empty">'
            f"no {'magnitudes' if mode == 'mag' else 'fluxes'}</text></svg>"
        )
    times = [d[0] for d in detections] + [u[0] for u in limits]
    t0, t1 = min(times), max(times)
    if t1 - t0 < 1e-6:
        t0, t1 = t0 - 0.5, t1 + 0.5
    v0, v1 = span
    plot_w = width - pad_left - pad_right
    plot_h = height - pad_top - pad_bottom

    def x(t: float) -> float:
        return pad_left + (t - t0) / (t1 - t0) * plot_w

    def y(v: float) -> float:
        fraction = min(1.0, max(0.0, (v - v0) / (v1 - v0)))
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


def plotly_traces(points, drawn: list[Mark] | None = None) -> dict[str, Any]:
    """Per-band series for the source page's Plotly figure, JSON-ready.

    Returns ``{"first_detection_mjd", "ranges": {"mag": [low, high] | None, "flux": …},
    "snr_limit", "bands": [{band, colour, det: {mjd, mag, magerr, flux, fluxerr}, lim: {mjd,
    mag}}]}``. ``det`` holds every measured flux (a forced point below the S/N limit and a
    flux <= 0 have ``mag`` null: flux mode only); ``lim`` the limits drawn in magnitude mode.
    The page builds magnitude or flux traces and MJD or days-since-first-detection axes
    from it without a round trip."""
    drawn = marks(points) if drawn is None else drawn
    det: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    lim: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for m in drawn:
        if m.flux is not None or m.kind == "det":
            series = det[m.band]
            series["mjd"].append(m.mjd)
            series["flux"].append(m.flux)
            series["fluxerr"].append(m.fluxerr)
            series["mag"].append(m.mag)
            series["magerr"].append(m.magerr)
        if m.kind == "lim" and m.limit is not None:
            lim[m.band]["mjd"].append(m.mjd)
            lim[m.band]["mag"].append(m.limit)
    return {
        "first_detection_mjd": detection_span(drawn).first_mjd,
        "ranges": {"mag": axis_range(drawn, "mag"), "flux": axis_range(drawn, "flux")},
        "snr_limit": forced_snr_limit(),
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
