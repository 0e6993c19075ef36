"""What a public read-only link shows: a target's basics and its photometry."""

from __future__ import annotations

import plotly.graph_objects as go
from django.apps import apps
from plotly.offline import plot
from tom_targets.models import Target

PUBLIC_PHOTOMETRY_LIMIT = 5000


def public_photometry(target: Target) -> list:
    """Photometry rows of the target, by time (MJD, days; flux µJy; AB mag)."""
    if not apps.is_installed("sources"):
        return []
    photometry = apps.get_model("sources", "Photometry")
    return list(
        photometry.objects.filter(target=target)
        .order_by("mjd", "band")
        .only("mjd", "band", "instrument", "mag", "magerr", "limiting_mag", "flux", "fluxerr")[
            :PUBLIC_PHOTOMETRY_LIMIT
        ]
    )


def light_curve_html(points: list, nonce: str = "") -> str:
    """A plotly light curve (AB mag vs MJD, upper limits as triangles). plotly.js itself is
    loaded by the page from our own URL; the drawing script carries the CSP ``nonce``."""
    if not points:
        return ""
    figure = go.Figure()
    for band in sorted({point.band for point in points}):
        detections = [p for p in points if p.band == band and p.mag is not None]
        limits = [p for p in points if p.band == band and p.mag is None and p.limiting_mag]
        if detections:
            figure.add_trace(
                go.Scatter(
                    x=[p.mjd for p in detections],
                    y=[p.mag for p in detections],
                    error_y={"array": [p.magerr or 0 for p in detections]},
                    mode="markers",
                    name=band,
                )
            )
        if limits:
            figure.add_trace(
                go.Scatter(
                    x=[p.mjd for p in limits],
                    y=[p.limiting_mag for p in limits],
                    mode="markers",
                    marker={"symbol": "triangle-down", "opacity": 0.5},
                    name=f"{band} upper limit",
                )
            )
    figure.update_yaxes(autorange="reversed", title="AB magnitude")
    figure.update_xaxes(title="MJD (days)")
    figure.update_layout(height=380, margin={"l": 50, "r": 10, "t": 10, "b": 40})
    html = plot(figure, output_type="div", include_plotlyjs=False, show_link=False)
    return html.replace("<script ", f'<script nonce="{nonce}" ') if nonce else html


def public_target_context(target: Target, nonce: str = "") -> dict:
    points = public_photometry(target)
    return {
        "target": target,
        "photometry": points,
        "light_curve": light_curve_html(points, nonce),
        "truncated": len(points) >= PUBLIC_PHOTOMETRY_LIMIT,
    }
