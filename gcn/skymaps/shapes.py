"""Localizations from a shape: a point with an error radius, an ellipse (2-D Gaussians)
or a polygon."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from gcn.skymaps.core import (
    _GAUSS_MAX_TILES,
    _GAUSS_PIX_PER_SIGMA,
    _GAUSS_TRUNCATION_SIGMA,
    CONTOUR_LEVELS,
    Localization,
    _order_for_scale,
    from_uniq,
)
from sources.sky import uniq_to_order_ipix

# --------------------------------------------------------------------------
# From a point, an ellipse, a polygon
# --------------------------------------------------------------------------


def from_gaussian(
    ra_deg: float,
    dec_deg: float,
    sigma_major_deg: float,
    sigma_minor_deg: float | None = None,
    pa_deg: float = 0.0,
    *,
    name: str = "",
    with_contours: bool = True,
) -> Localization:
    """A 2-D Gaussian on the sky (sigmas in degrees, position angle east of north).

    Evaluated in azimuthal-equidistant coordinates around the centre, so it is
    exact on the sphere for small sigma and stays well-defined for large ones.
    Tiles are at one order with pixels <= sigma_minor/3, over a disc of
    5 sigma_major (the whole sky if that is larger).
    """
    import healpy as hp

    smaj = float(sigma_major_deg)
    smin = float(sigma_minor_deg if sigma_minor_deg is not None else sigma_major_deg)
    if not (smaj > 0 and smin > 0):
        raise ValueError("sigma must be positive")
    if smin > smaj:
        smaj, smin, pa_deg = smin, smaj, pa_deg + 90.0
    radius = min(math.radians(_GAUSS_TRUNCATION_SIGMA * smaj), math.pi)
    order = _order_for_scale(smin / _GAUSS_PIX_PER_SIGMA)
    # Keep the tile count bounded for very elongated or very large ellipses.
    while order > 0:
        disc = 2 * math.pi * (1 - math.cos(radius))
        if disc / (4 * math.pi / (12 * 4**order)) <= _GAUSS_MAX_TILES:
            break
        order -= 1
    nside = 1 << order
    ra0, dec0 = math.radians(ra_deg), math.radians(dec_deg)
    c = np.array([math.cos(dec0) * math.cos(ra0), math.cos(dec0) * math.sin(ra0), math.sin(dec0)])
    ipix = np.asarray(hp.query_disc(nside, c, radius, inclusive=True, nest=True), dtype=np.int64)
    x, y, z = hp.pix2vec(nside, ipix, nest=True)
    v = np.stack([x, y, z], axis=1)
    east = np.array([-math.sin(ra0), math.cos(ra0), 0.0])
    north = np.array(
        [-math.sin(dec0) * math.cos(ra0), -math.sin(dec0) * math.sin(ra0), math.cos(dec0)]
    )
    rho = np.arccos(np.clip(v @ c, -1.0, 1.0))
    bearing = np.arctan2(v @ east, v @ north)
    t = bearing - math.radians(pa_deg)
    u = np.degrees(rho * np.cos(t)) / smaj
    w = np.degrees(rho * np.sin(t)) / smin
    dens = np.exp(-0.5 * (u**2 + w**2))
    uniq = (np.int64(4) << (2 * order)) + ipix
    loc = from_uniq(uniq, dens, name=name, with_contours=False)
    if with_contours:
        # The credible regions of a Gaussian are ellipses: draw them exactly.
        lines = {
            float(p): (_gaussian_ellipse(ra_deg, dec_deg, smaj, smin, pa_deg, p),)
            for p in CONTOUR_LEVELS
        }
        loc = replace(loc, contours=lines)
    return loc


def _gaussian_ellipse(ra_deg, dec_deg, smaj, smin, pa_deg, level, npts=145) -> np.ndarray:
    """Closed (ra, dec) polyline (degrees) of the ``level`` credible ellipse of a Gaussian."""
    k = math.sqrt(-2.0 * math.log(1.0 - level))
    phi = np.linspace(0.0, 2 * math.pi, npts)
    u = k * smaj * np.cos(phi)
    w = k * smin * np.sin(phi)
    rho = np.radians(np.hypot(u, w))
    brg = math.radians(pa_deg) + np.arctan2(w, u)
    ra0, dec0 = math.radians(ra_deg), math.radians(dec_deg)
    # Destination point at angular distance rho along bearing brg (east of north).
    lat = np.arcsin(
        np.clip(math.sin(dec0) * np.cos(rho) + math.cos(dec0) * np.sin(rho) * np.cos(brg), -1, 1)
    )
    lon = ra0 + np.arctan2(
        np.sin(brg) * np.sin(rho) * math.cos(dec0), np.cos(rho) - math.sin(dec0) * np.sin(lat)
    )
    return np.stack([np.mod(np.degrees(lon), 360.0), np.degrees(lat)], axis=1)


def _sigma_from_radius(radius_deg: float, containment: float) -> float:
    if not 0 < containment < 1:
        raise ValueError("containment must be in (0, 1)")
    return radius_deg / math.sqrt(-2.0 * math.log(1.0 - containment))


def from_point(
    ra_deg: float,
    dec_deg: float,
    radius_deg: float,
    containment: float = 0.9,
    *,
    name: str = "",
    with_contours: bool = True,
) -> Localization:
    """A circular Gaussian whose ``radius_deg`` (degrees) contains ``containment``.

    E.g. containment 0.9 for a 90 % radius; 1-sigma of a 2-D Gaussian is
    containment 1 - exp(-1/2) ~ 0.393, while GCN's "1-sigma (68 %)" radii are
    containment 0.68.
    """
    sigma = _sigma_from_radius(radius_deg, containment)
    return from_gaussian(ra_deg, dec_deg, sigma, name=name, with_contours=with_contours)


def from_ellipse(
    ra_deg: float,
    dec_deg: float,
    semi_major_deg: float,
    semi_minor_deg: float,
    pa_deg: float,
    containment: float = 0.9,
    *,
    name: str = "",
    with_contours: bool = True,
) -> Localization:
    """An elliptical Gaussian whose ellipse (semi-axes in degrees) contains ``containment``."""
    k = math.sqrt(-2.0 * math.log(1.0 - containment))
    return from_gaussian(
        ra_deg,
        dec_deg,
        semi_major_deg / k,
        semi_minor_deg / k,
        pa_deg,
        name=name,
        with_contours=with_contours,
    )


def from_polygon(
    vertices: Sequence[tuple[float, float]],
    containment: float = 0.9,
    *,
    name: str = "",
    with_contours: bool = True,
) -> Localization:
    """A uniform region: probability ``containment`` spread evenly inside the polygon
    (vertices (ra, dec) in degrees, great-circle edges), the rest evenly outside.

    With the tie rule every inside tile gets ``cumprob == containment``, so the
    polygon is exactly the ``containment`` credible region (and smaller
    regions, e.g. 50 % of a 90 % box, are empty: a uniform box has none).
    """
    import astropy.units as u
    from mocpy import MOC

    verts = np.asarray(vertices, dtype=np.float64)
    if verts.ndim != 2 or verts.shape[0] < 3:
        raise ValueError("a polygon needs at least 3 (ra, dec) vertices")
    if not 0 < containment <= 1:
        raise ValueError("containment must be in (0, 1]")
    # Resolution: about 0.5 % of the polygon's extent.
    centre = verts.mean(axis=0)
    ext = max(np.ptp(verts[:, 1]), np.ptp(verts[:, 0]) * math.cos(math.radians(centre[1])), 1e-6)
    depth = _order_for_scale(ext / 200.0)
    moc = MOC.from_polygon(
        lon=u.Quantity(verts[:, 0], u.deg), lat=u.Quantity(verts[:, 1], u.deg), max_depth=depth
    )
    inside = np.asarray(moc.uniq_hpx, dtype=np.int64)
    order, _ = uniq_to_order_ipix(inside)
    a_in = float(np.sum(4 * math.pi / (12 * 4.0**order)))
    uniqs = [inside]
    dens = [np.full(inside.size, containment / a_in)]
    if containment < 1:
        outside = np.asarray(moc.complement().uniq_hpx, dtype=np.int64)
        a_out = 4 * math.pi - a_in
        uniqs.append(outside)
        dens.append(np.full(outside.size, (1 - containment) / a_out))
    loc = from_uniq(np.concatenate(uniqs), np.concatenate(dens), name=name, with_contours=False)
    if with_contours:
        # The region is the polygon itself at levels >= containment, empty below.
        ring = np.vstack([verts, verts[:1]])
        ring[:, 0] = np.mod(ring[:, 0], 360.0)
        loc = replace(
            loc,
            contours={float(p): (ring,) if containment <= p else () for p in CONTOUR_LEVELS},
        )
    return loc
