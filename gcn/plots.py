"""Sky map of an event for the browser: a Plotly figure (Mollweide or Aitoff) as JSON.

Longitude on the plot is ``-RA`` wrapped to [-180, 180) so that RA increases to the
left, as on the sky; hover labels give the true RA/Dec in degrees.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np

PROJECTIONS = ("mollweide", "aitoff")
_LEVEL_STYLE = {0.5: ("50 % region", "#d62728"), 0.9: ("90 % region", "#1f77b4")}


def _plot_lon(ra: np.ndarray) -> np.ndarray:
    return -(((np.asarray(ra, np.float64) + 180.0) % 360.0) - 180.0)


def _split_at_wrap(ra: Sequence[float], dec: Sequence[float]) -> tuple[list, list]:
    """Break a polyline where it crosses the plot edge (a jump > 180° in plotted lon)."""
    lon = _plot_lon(np.asarray(ra))
    xs: list = []
    ys: list = []
    prev = None
    for x, y in zip(lon.tolist(), list(dec), strict=True):
        if prev is not None and abs(x - prev) > 180:
            xs.append(None)
            ys.append(None)
        xs.append(x)
        ys.append(y)
        prev = x
    return xs, ys


def skymap_figure(
    contours: dict,
    sources: Iterable[tuple[str, float, float]] = (),
    galaxies: Iterable[tuple[str, float, float]] = (),
    projection: str = "mollweide",
    title: str = "",
) -> dict:
    """Plotly figure dict: credible contours (GeoJSON from the localization), sources and
    galaxies as markers ``(label, ra_deg, dec_deg)``."""
    import plotly.graph_objects as go

    projection = projection if projection in PROJECTIONS else "mollweide"
    fig = go.Figure()
    for feature in (contours or {}).get("features", []):
        level = feature["properties"].get("credible_level")
        label, color = _LEVEL_STYLE.get(level, (f"{level:.0%} region", "#555"))
        xs, ys = [], []
        for line in feature["geometry"]["coordinates"]:
            if not line:
                continue
            ra, dec = zip(*line, strict=True)
            lx, ly = _split_at_wrap(ra, dec)
            xs += [*lx, None]
            ys += [*ly, None]
        fig.add_trace(
            go.Scattergeo(
                lon=xs,
                lat=ys,
                mode="lines",
                name=label,
                line={"color": color, "width": 2},
                hoverinfo="name",
            )
        )
    for name, rows, marker in (
        ("sources", list(sources), {"color": "#ff7f0e", "size": 7, "symbol": "star"}),
        ("galaxies", list(galaxies), {"color": "#2ca02c", "size": 4, "symbol": "circle"}),
    ):
        if not rows:
            continue
        _, ra, dec = zip(*rows, strict=True)
        fig.add_trace(
            go.Scattergeo(
                lon=_plot_lon(np.asarray(ra, np.float64)).tolist(),
                lat=list(dec),
                mode="markers",
                name=f"{name} ({len(rows)})",
                marker=marker,
                text=[f"{n}<br>RA {r:.4f} Dec {d:+.4f}" for n, r, d in rows],
                hoverinfo="text",
            )
        )
    fig.update_geos(
        projection_type=projection,
        showland=False,
        showcoastlines=False,
        showframe=True,
        lonaxis={"showgrid": True, "dtick": 30, "gridcolor": "#ccc"},
        lataxis={"showgrid": True, "dtick": 30, "gridcolor": "#ccc"},
        bgcolor="white",
    )
    fig.update_layout(
        title=title,
        height=460,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h"},
    )
    return json.loads(fig.to_json())
