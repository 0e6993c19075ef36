"""Localizations as nested-HEALPix order-29 ranges, ready for PostgreSQL ``int8range`` rows.

Django-free. Every localization, whatever it came from (multi-order map, flat
map, point with error radius, ellipse, polygon), becomes a :class:`Localization`:
non-overlapping tiles ``[lower, upper)`` in the nested HEALPix numbering at
order 29 (nside 2**29), each with a probability density per steradian.

Cumulative-probability convention (``cumprob``)
-----------------------------------------------
Tiles are sorted by probability density, densest first (ties broken by
``lower``). ``cumprob`` of a tile is the probability contained in all tiles at
least as dense as it, *including the tile itself* (and including every tile of
exactly equal density: ties share the largest value of their group, so the
answer never depends on an arbitrary order among equal tiles). It is rounded
to 12 decimals so that a region that holds exactly 0.9 by construction is not
lost to floating-point noise.

    "inside the p credible region"  <=>  cumprob(tile) <= p

This is the greedy credible level of ligo.skymap (``find_greedy_credible_levels``
and the ``searched_prob`` of ``crossmatch`` are the same inclusive cumulative
sum). ``area_50``/``area_90`` (deg²) are computed like
``ligo.skymap.postprocess.crossmatch(...).contour_areas``: linear interpolation
of cumulative area against cumulative probability, so they agree with
ligo.skymap. The discrete region ``cumprob <= 0.9`` is smaller than ``area_90``
by less than one tile (or one tie group); :meth:`Localization.region_area`
returns its exact area.

A point ``ipix29`` is inside the tile when ``lower <= ipix29 < upper``; that is
the B-tree friendly predicate to use in SQL.
"""

from __future__ import annotations

import gzip
import io
import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import numpy as np

from sources.sky import ORDER_MAX, healpix_index_order29, order_ipix_to_ranges, uniq_to_order_ipix

NSIDE_MAX = 1 << ORDER_MAX
_SR_TO_DEG2 = (180.0 / math.pi) ** 2
CONTOUR_LEVELS = (0.5, 0.9)
# Flat maps: tiles beyond this credible level may be merged into coarser tiles.
# Their densities are all below every density inside it, so merging them cannot
# change which tiles form the 50/90/99 % regions.
_FLAT_LOSSY_LEVEL = 0.999
# Gaussian builder: pixel size at most sigma/3, truncated at 5 sigma
# (2-D tail beyond 5 sigma holds exp(-12.5) ~ 4e-6 of the probability).
_GAUSS_PIX_PER_SIGMA = 3.0
_GAUSS_TRUNCATION_SIGMA = 5.0
_GAUSS_MAX_TILES = 400_000


class PendingMap(Exception):
    """The localization is a URL that has not been fetched yet."""


@dataclass(frozen=True, eq=False)
class Localization:
    """A localization as order-29 nested HEALPix ranges, sorted densest first.

    Arrays (all the same length, one entry per tile):
      ``lower``, ``upper``: int64, order-29 nested index range [lower, upper);
      ``probdensity``: probability per steradian (the map is normalized to 1);
      ``cumprob``: see the module docstring;
      ``distmu``/``distsigma``/``distnorm``: ligo.skymap distance ansatz
      parameters (Mpc, Mpc, Mpc^-2) or None.
    Scalars: ``area_50``/``area_90`` in deg²; ``distance_mean``/``distance_std``
    in Mpc or None; ``contours`` maps a credible level (0.5, 0.9) to polylines,
    each an (N, 2) array of (ra, dec) in degrees.
    """

    lower: np.ndarray
    upper: np.ndarray
    probdensity: np.ndarray
    cumprob: np.ndarray
    area_50: float
    area_90: float
    distmu: np.ndarray | None = None
    distsigma: np.ndarray | None = None
    distnorm: np.ndarray | None = None
    distance_mean: float | None = None
    distance_std: float | None = None
    contours: Mapping[float, tuple[np.ndarray, ...]] = field(default_factory=dict)
    name: str = ""

    def __len__(self) -> int:
        return int(self.lower.size)

    @cached_property
    def order(self) -> np.ndarray:
        """HEALPix order of each tile."""
        span = (self.upper - self.lower).astype(np.uint64)
        # span = 4**(29 - order); log2 is exact for powers of two.
        return (ORDER_MAX - np.log2(span.astype(np.float64)).astype(np.int64) // 2).astype(np.int64)

    @cached_property
    def uniq(self) -> np.ndarray:
        """NUNIQ index of each tile (4 * 4**order + ipix)."""
        o = self.order
        ipix = self.lower >> (2 * (ORDER_MAX - o))
        return (np.int64(4) << (2 * o)) + ipix

    @cached_property
    def pixarea(self) -> np.ndarray:
        """Solid angle of each tile in steradians."""
        return (self.upper - self.lower).astype(np.float64) * (4.0 * math.pi / (12 * 4.0**29))

    @cached_property
    def prob(self) -> np.ndarray:
        """Probability contained in each tile (dimensionless)."""
        return self.probdensity * self.pixarea

    @cached_property
    def _by_lower(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        idx = np.argsort(self.lower, kind="stable")
        return idx, self.lower[idx], self.upper[idx]

    def tile_index(self, ipix29: np.ndarray) -> np.ndarray:
        """Row index of the tile containing each order-29 index, or -1 outside all tiles."""
        idx, lo, hi = self._by_lower
        ipix29 = np.asarray(ipix29, dtype=np.int64)
        pos = np.searchsorted(lo, ipix29, side="right") - 1
        ok = pos >= 0
        posc = np.where(ok, pos, 0)
        ok &= ipix29 < hi[posc]
        return np.where(ok, idx[posc], -1)

    def region_area(self, cumprob: float = 0.9) -> float:
        """Exact area (deg²) of the tiles with ``cumprob <= level``."""
        return float(self.pixarea[self.cumprob <= cumprob].sum() * _SR_TO_DEG2)

    def rows(self):
        """Yield one tuple per tile for a DB bulk insert.

        ``(lower, upper, probdensity, cumprob, distmu, distsigma, distnorm)``;
        the distance entries are None when the map has no distance layer.
        """
        has_d = self.distmu is not None
        for i in range(len(self)):
            yield (
                int(self.lower[i]),
                int(self.upper[i]),
                float(self.probdensity[i]),
                float(self.cumprob[i]),
                float(self.distmu[i]) if has_d else None,
                float(self.distsigma[i]) if has_d else None,
                float(self.distnorm[i]) if has_d else None,
            )

    def contour_geojson(self) -> dict[str, Any]:
        """Contours as a GeoJSON FeatureCollection of MultiLineStrings (lon = ra in degrees)."""
        feats = []
        for level, lines in sorted(self.contours.items()):
            feats.append(
                {
                    "type": "Feature",
                    "properties": {"credible_level": level},
                    "geometry": {
                        "type": "MultiLineString",
                        "coordinates": [np.round(ln, 5).tolist() for ln in lines],
                    },
                }
            )
        return {"type": "FeatureCollection", "features": feats}


# --------------------------------------------------------------------------
# Indexing helpers
# --------------------------------------------------------------------------


def contains(localization: Localization, ra_deg: Any, dec_deg: Any, cumprob: float = 0.9):
    """Boolean array: is each (ra, dec) in degrees inside the ``cumprob`` credible region?

    Inside means: the order-29 index of the point lies in a tile whose
    ``cumprob`` (see module docstring) is <= the level. Pure numpy; this is the
    in-memory reference for the SQL crossmatch.
    """
    ipix = healpix_index_order29(ra_deg, dec_deg)
    row = localization.tile_index(ipix)
    inside = row >= 0
    cp = localization.cumprob[np.where(inside, row, 0)]
    return inside & (cp <= cumprob)


def area_tags(area_90_deg2: float | None) -> tuple[str, ...]:
    """Shifter-facing size tags for a 90 % area in deg² ('< 100 deg²', '< 1000 deg²')."""
    if area_90_deg2 is None or not math.isfinite(area_90_deg2):
        return ()
    tags = []
    if area_90_deg2 < 1000:
        tags.append("< 1000 deg²")
    if area_90_deg2 < 100:
        tags.append("< 100 deg²")
    return tuple(tags)


# --------------------------------------------------------------------------
# Core builder
# --------------------------------------------------------------------------


def from_uniq(
    uniq: np.ndarray,
    probdensity: np.ndarray,
    distmu: np.ndarray | None = None,
    distsigma: np.ndarray | None = None,
    distnorm: np.ndarray | None = None,
    *,
    distance_mean: float | None = None,
    distance_std: float | None = None,
    name: str = "",
    with_contours: bool = True,
) -> Localization:
    """Build a :class:`Localization` from multi-order tiles.

    ``uniq``: NUNIQ indices; ``probdensity``: per steradian (renormalized here so
    the tiles hold a total probability of 1); distance arrays in Mpc, Mpc,
    Mpc^-2. Tiles must not overlap.
    """
    order, ipix = uniq_to_order_ipix(uniq)
    pd = np.asarray(probdensity, dtype=np.float64)
    if pd.shape != order.shape:
        raise ValueError("probdensity and uniq differ in length")
    if not np.all(np.isfinite(pd)) or (pd.size and pd.min() < 0):
        raise ValueError("probdensity must be finite and non-negative")
    lower, upper = order_ipix_to_ranges(order, ipix)
    by_lower = np.argsort(lower, kind="stable")
    if np.any(lower[by_lower][1:] < upper[by_lower][:-1]):
        raise ValueError("tiles overlap")

    area = (upper - lower).astype(np.float64) * (4.0 * math.pi / (12 * 4.0**29))
    total = float(np.sum(pd * area))
    if not total > 0:
        raise ValueError("sky map holds no probability")
    pd = pd / total

    # Densest first; ties by position so the order is reproducible.
    srt = np.lexsort((lower, -pd))
    lower, upper, pd, area = lower[srt], upper[srt], pd[srt], area[srt]
    dists = [
        None if a is None else np.asarray(a, dtype=np.float64)[srt]
        for a in (distmu, distsigma, distnorm)
    ]

    prob = pd * area
    cum = np.cumsum(prob)
    cum_area = np.cumsum(area) * _SR_TO_DEG2
    # ligo.skymap's interpolation (zero at the origin) for the areas.
    area_50, area_90 = (
        float(a)
        for a in np.interp(
            [0.5, 0.9],
            np.concatenate(([0.0], cum)),
            np.concatenate(([0.0], cum_area)),
            right=4 * 180.0**2 / math.pi,
        )
    )
    # Ties share the cumulative probability at the end of their group.
    if pd.size:
        change = np.nonzero(pd[1:] != pd[:-1])[0]
        group_end = np.concatenate((change, [pd.size - 1]))
        group_id = np.concatenate(([0], np.cumsum(pd[1:] != pd[:-1])))
        cumprob = np.minimum(np.round(cum[group_end[group_id]], 12), 1.0)
    else:
        cumprob = cum

    if distance_mean is None and dists[0] is not None:
        distance_mean, distance_std = _distance_moments(prob, *dists)

    loc = Localization(
        lower=lower,
        upper=upper,
        probdensity=pd,
        cumprob=cumprob,
        area_50=area_50,
        area_90=area_90,
        distmu=dists[0],
        distsigma=dists[1],
        distnorm=dists[2],
        distance_mean=distance_mean,
        distance_std=distance_std,
        name=name,
    )
    if with_contours:
        loc = replace(loc, contours=compute_contours(loc))
    return loc


def _distance_moments(prob, distmu, distsigma, distnorm):
    """Sky-marginalized distance mean and std (Mpc) of the ligo.skymap ansatz.

    Per pixel the conditional distance density is
    ``distnorm * r**2 * N(r; distmu, distsigma)``; its moments are the
    r**2-weighted Gaussian moments, neglecting the truncation at r = 0 (used
    only when the FITS header has no DISTMEAN/DISTSTD).
    """
    ok = np.isfinite(distmu) & np.isfinite(distsigma) & np.isfinite(distnorm) & (prob > 0)
    if not np.any(ok):
        return None, None
    mu, s, w = distmu[ok], distsigma[ok], prob[ok]
    # E[r^k r^2] / E[r^2] for r ~ N(mu, s), ignoring truncation at r = 0.
    m2 = mu**2 + s**2
    m3 = mu**3 + 3 * mu * s**2
    m4 = mu**4 + 6 * mu**2 * s**2 + 3 * s**4
    mean_pix = m3 / m2
    sq_pix = m4 / m2
    w = w / w.sum()
    mean = float(np.sum(w * mean_pix))
    var = float(np.sum(w * sq_pix)) - mean**2
    return mean, math.sqrt(max(var, 0.0))


# --------------------------------------------------------------------------
# From FITS sky maps
# --------------------------------------------------------------------------


def _open_fits(data: bytes):
    from astropy.io import fits

    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return fits.open(io.BytesIO(data), memmap=False)


def _col(table, *names):
    cols = {c.upper(): c for c in table.columns.names}
    for n in names:
        if n in cols:
            return np.asarray(table[cols[n]], dtype=np.float64).ravel()
    return None


def from_fits_bytes(data: bytes, name: str = "", with_contours: bool = True) -> Localization:
    """Build a :class:`Localization` from a multi-order (NUNIQ) or flat HEALPix FITS file."""
    with _open_fits(data) as hdul:
        hdu = next(h for h in hdul[1:] if getattr(h, "columns", None) is not None)
        header = hdu.header
        ordering = str(header.get("ORDERING", "")).strip().upper()
        dmean = header.get("DISTMEAN")
        dstd = header.get("DISTSTD")
        table = hdu.data
        if ordering == "NUNIQ" or "UNIQ" in [c.upper() for c in table.columns.names]:
            uniq = np.asarray(table["UNIQ"], dtype=np.int64)
            pd = _col(table, "PROBDENSITY")
            if pd is None:
                raise ValueError("multi-order map without PROBDENSITY")
            return from_uniq(
                uniq,
                pd,
                _col(table, "DISTMU"),
                _col(table, "DISTSIGMA"),
                _col(table, "DISTNORM"),
                distance_mean=float(dmean) if dmean is not None else None,
                distance_std=float(dstd) if dstd is not None else None,
                name=name,
                with_contours=with_contours,
            )
        prob = _col(table, "PROB", "PROBABILITY", "PROBDENSITY")
        if prob is None:
            prob = np.asarray(table.field(0), dtype=np.float64).ravel()
        per_sr = (
            "PROBDENSITY" in [c.upper() for c in table.columns.names]
            and _col(table, "PROB", "PROBABILITY") is None
        )
        dist = [_col(table, n) for n in ("DISTMU", "DISTSIGMA", "DISTNORM")]
    return from_flat(
        prob,
        nest=ordering != "RING",
        per_steradian=per_sr,
        distmu=dist[0],
        distsigma=dist[1],
        distnorm=dist[2],
        distance_mean=float(dmean) if dmean is not None else None,
        distance_std=float(dstd) if dstd is not None else None,
        name=name,
        with_contours=with_contours,
    )


def from_flat(
    values: np.ndarray,
    *,
    nest: bool = True,
    per_steradian: bool = False,
    distmu: np.ndarray | None = None,
    distsigma: np.ndarray | None = None,
    distnorm: np.ndarray | None = None,
    distance_mean: float | None = None,
    distance_std: float | None = None,
    name: str = "",
    with_contours: bool = True,
) -> Localization:
    """Build a :class:`Localization` from a single-resolution HEALPix map.

    ``values`` is probability per pixel (or per steradian if ``per_steradian``),
    RING or NESTED. Sibling pixels are merged into their parent when all their
    values are identical (lossless: maps made by ligo.skymap are adaptive
    underneath) or when all four lie beyond the 99.9 % credible level (their
    densities are all lower than any density inside it, so the 50/90/99 %
    regions are unchanged). Merged tiles get the mean density and the distance
    parameters of their densest child.
    """
    import healpy as hp

    values = np.asarray(values, dtype=np.float64).ravel()
    npix = values.size
    nside = hp.npix2nside(npix)
    order = round(math.log2(nside))
    layers = [values] + [a for a in (distmu, distsigma, distnorm) if a is not None]
    if not nest:
        layers = [hp.reorder(np.asarray(a, dtype=np.float64).ravel(), r2n=True) for a in layers]
    vals = np.stack([np.asarray(a, dtype=np.float64).ravel() for a in layers], axis=1)
    vals[:, 0] = np.where(np.isfinite(vals[:, 0]) & (vals[:, 0] > 0), vals[:, 0], 0.0)
    pixarea = 4 * math.pi / npix
    dens = vals[:, 0] if per_steradian else vals[:, 0] / pixarea
    vals[:, 0] = dens
    srt = np.sort(dens)[::-1]
    cum = np.cumsum(srt) * pixarea
    cut = np.searchsorted(cum, _FLAT_LOSSY_LEVEL * cum[-1])
    dens_star = srt[min(cut, npix - 1)]

    out_uniq: list[np.ndarray] = []
    out_vals: list[np.ndarray] = []
    ipix = np.arange(npix, dtype=np.int64)
    cur = vals
    while order > 0 and ipix.size:
        parent = ipix >> 2
        first = np.concatenate(([True], parent[1:] != parent[:-1]))
        starts = np.nonzero(first)[0]
        counts = np.diff(np.concatenate((starts, [ipix.size])))
        full = starts[counts == 4]
        kids = full[:, None] + np.arange(4)
        group = cur[kids]  # (n, 4, ncol)
        equal = np.all(group == group[:, :1, :], axis=(1, 2))
        faint = np.all(group[:, :, 0] < dens_star, axis=1)
        merge = equal | faint
        keep_mask = np.ones(ipix.size, dtype=bool)
        keep_mask[kids[merge].ravel()] = False
        out_uniq.append((np.int64(4) << (2 * order)) + ipix[keep_mask])
        out_vals.append(cur[keep_mask])
        g = group[merge]
        densest = np.argmax(g[:, :, 0], axis=1)
        merged = g[np.arange(g.shape[0]), densest].copy()
        merged[:, 0] = g[:, :, 0].mean(axis=1)
        ipix, cur = parent[full[merge]], merged
        order -= 1
    if ipix.size:
        out_uniq.append((np.int64(4) << (2 * order)) + ipix)
        out_vals.append(cur)
    uniq = np.concatenate(out_uniq)
    v = np.concatenate(out_vals)
    has_d = v.shape[1] == 4
    return from_uniq(
        uniq,
        v[:, 0],
        v[:, 1] if has_d else None,
        v[:, 2] if has_d else None,
        v[:, 3] if has_d else None,
        distance_mean=distance_mean,
        distance_std=distance_std,
        name=name,
        with_contours=with_contours,
    )


# --------------------------------------------------------------------------
# From a point, an ellipse, a polygon
# --------------------------------------------------------------------------


def _order_for_scale(scale_deg: float) -> int:
    """Smallest HEALPix order whose pixel size (sqrt of area) is <= scale_deg."""
    pix0 = math.degrees(math.sqrt(4 * math.pi / 12))  # order-0 pixel size, ~58.6 deg
    k = math.ceil(math.log2(pix0 / scale_deg)) if scale_deg < pix0 else 0
    return int(min(max(k, 0), ORDER_MAX))


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


def from_spec(spec: Any, *, with_contours: bool = True) -> Localization:
    """Build a :class:`Localization` from a ``gcn.notices`` localization spec.

    Raises :class:`PendingMap` for a :class:`~gcn.notices.MapURL` (fetch it,
    then call :func:`from_fits_bytes`).
    """
    from gcn import notices as n

    kw = {"name": getattr(spec, "name", ""), "with_contours": with_contours}
    if isinstance(spec, (n.MultiOrderMap, n.FlatHealpixMap)):
        return from_fits_bytes(spec.data, **kw)
    if isinstance(spec, n.PointError):
        return from_point(spec.ra_deg, spec.dec_deg, spec.radius_deg, spec.containment, **kw)
    if isinstance(spec, n.Ellipse):
        return from_ellipse(
            spec.ra_deg,
            spec.dec_deg,
            spec.semi_major_deg,
            spec.semi_minor_deg,
            spec.pa_deg,
            spec.containment,
            **kw,
        )
    if isinstance(spec, n.Polygon):
        return from_polygon(spec.vertices, spec.containment, **kw)
    if isinstance(spec, n.MapURL):
        raise PendingMap(spec.url)
    raise TypeError(f"not a localization spec: {type(spec).__name__}")


# --------------------------------------------------------------------------
# Contours
# --------------------------------------------------------------------------


def compute_contours(
    loc: Localization, levels: Sequence[float] = CONTOUR_LEVELS, max_order: int = 10
) -> dict[float, tuple[np.ndarray, ...]]:
    """Outlines of the credible regions as (ra, dec) polylines in degrees.

    The region ``cumprob <= level`` is turned into a MOC, coarsened to pixels
    about 1/20 of the region's size (never finer than ``max_order``) so that the
    outline is smooth and cheap, and its borders are traced by mocpy. Good for
    a Mollweide/Aitoff plot, not for containment tests (use :func:`contains`).
    Polylines are closed (first point repeated) and RA is in [0, 360).
    """
    from mocpy import MOC

    out: dict[float, tuple[np.ndarray, ...]] = {}
    order = loc.order
    for level in levels:
        sel = loc.cumprob <= level
        if not np.any(sel):
            out[float(level)] = ()
            continue
        o = order[sel]
        ipix = loc.lower[sel] >> (2 * (ORDER_MAX - o))
        depth = int(o.max())
        moc = MOC.from_healpix_cells(ipix, o.astype(np.uint8), max_depth=depth)
        area = float(loc.pixarea[sel].sum() * _SR_TO_DEG2)
        target = min(_order_for_scale(math.sqrt(area) / 20.0), max_order)
        # Mixed-order regions give fragmented borders; one coarser order does not.
        if target < depth:
            moc = moc.degrade_to_order(target)
        lines = []
        with warnings.catch_warnings():
            # mocpy flags get_boundaries as "not stable"; fine for a plot outline.
            warnings.simplefilter("ignore", DeprecationWarning)
            boundaries = moc.get_boundaries()
        for b in boundaries:
            pts = np.stack([np.mod(b.ra.deg, 360.0), b.dec.deg], axis=1)
            if len(pts):
                lines.append(np.vstack([pts, pts[:1]]))
        out[float(level)] = tuple(lines)
    return out


__all__ = [
    "CONTOUR_LEVELS",
    "NSIDE_MAX",
    "ORDER_MAX",
    "Localization",
    "PendingMap",
    "area_tags",
    "compute_contours",
    "contains",
    "from_ellipse",
    "from_fits_bytes",
    "from_flat",
    "from_gaussian",
    "from_point",
    "from_polygon",
    "from_spec",
    "from_uniq",
    "healpix_index_order29",
    "uniq_to_order_ipix",
]
