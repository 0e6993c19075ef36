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

The package: :mod:`~gcn.skymaps.core` (the :class:`Localization`, containment, areas,
contours), :mod:`~gcn.skymaps.fits` (maps from FITS bytes), :mod:`~gcn.skymaps.shapes`
(points, ellipses, polygons); :func:`from_spec` picks the builder of a notice's spec.
"""

from __future__ import annotations

from typing import Any

from gcn.skymaps.core import (
    CONTOUR_LEVELS,
    NSIDE_MAX,
    ORDER_MAX,
    Localization,
    PendingMap,
    area_tags,
    compute_contours,
    contains,
    from_uniq,
    healpix_index_order29,
    uniq_to_order_ipix,
)
from gcn.skymaps.fits import from_fits_bytes, from_flat
from gcn.skymaps.shapes import from_ellipse, from_gaussian, from_point, from_polygon


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
