"""The :class:`Localization` (order-29 tiles with densities and cumulative
probabilities), containment, areas, multi-order tiles and credible-region contours.
See :mod:`gcn.skymaps` for the conventions."""

from __future__ import annotations

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


def _order_for_scale(scale_deg: float) -> int:
    """Smallest HEALPix order whose pixel size (sqrt of area) is <= scale_deg."""
    pix0 = math.degrees(math.sqrt(4 * math.pi / 12))  # order-0 pixel size, ~58.6 deg
    k = math.ceil(math.log2(pix0 / scale_deg)) if scale_deg < pix0 else 0
    return int(min(max(k, 0), ORDER_MAX))


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
