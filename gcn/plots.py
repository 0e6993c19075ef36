"""Sky map of an event for the browser: a Plotly figure (Mollweide or Aitoff) as JSON.

Longitude on the plot is ``-RA`` wrapped to [-180, 180) so that RA increases to the
left, as on the sky; hover labels give the true RA/Dec in degrees.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence

import numpy as np

from icare_tom.plotly_text import plotly_text

PROJECTIONS = ("mollweide", "aitoff")
_LEVEL_STYLE = {0.5: ("50 % region", "#ff7b72"), 0.9: ("90 % region", "#6aaeff")}
# The sky has no land: the page gives Plotly a local, empty map (static/gcn/topojson/), so
# no geography is fetched; these are the RA/Dec graticule's labels (degrees).
RA_LABELS_DEG = tuple(range(0, 360, 30))
DEC_LABELS_DEG = (-60, -30, 30, 60)
TEXT = "#c9d4e3"
GRID = "#2b3543"


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


def _graticule_labels(fig, go) -> None:
    """RA (hours) along the equator and Dec (degrees) along the central meridian."""
    ra = [float(r) for r in RA_LABELS_DEG]
    fig.add_trace(
        go.Scattergeo(
            lon=_plot_lon(np.asarray(ra)).tolist(),
            lat=[0.0] * len(ra),
            mode="text",
            text=[f"{int(r // 15)}h" for r in ra],
            textposition="bottom center",
            textfont={"color": TEXT, "size": 11},
            hoverinfo="skip",
            showlegend=False,
            name="RA",
        )
    )
    fig.add_trace(
        go.Scattergeo(
            lon=[0.0] * len(DEC_LABELS_DEG),
            lat=[float(d) for d in DEC_LABELS_DEG],
            mode="text",
            text=[f"{d:+d}°" for d in DEC_LABELS_DEG],
            textposition="middle right",
            textfont={"color": TEXT, "size": 11},
            hoverinfo="skip",
            showlegend=False,
            name="Dec",
        )
    )


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
        ("galaxies", list(galaxies), {"color": "#56d364", "size": 4, "symbol": "circle"}),
        ("sources", list(sources), {"color": "#ffb347", "size": 9, "symbol": "star"}),
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
                text=[f"{plotly_text(n)}<br>RA {r:.4f} Dec {d:+.4f}" for n, r, d in rows],
                hoverinfo="text",
            )
        )
    _graticule_labels(fig, go)
    fig.update_geos(
        projection_type=projection,
        showland=False,
        showcoastlines=False,
        showcountries=False,
        showlakes=False,
        showrivers=False,
        showocean=False,
        showframe=True,
        framecolor=GRID,
        lonaxis={"showgrid": True, "dtick": 30, "gridcolor": GRID},
        lataxis={"showgrid": True, "dtick": 30, "gridcolor": GRID},
        bgcolor="#0b1016",
    )
    fig.update_layout(
        title={"text": plotly_text(title), "font": {"color": TEXT, "size": 14}},
        height=600,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "font": {"color": TEXT}},
        paper_bgcolor="rgba(0,0,0,0)",
        font={"color": TEXT},
    )
    return json.loads(fig.to_json())
