"""Sky positions as the database indexes them."""

from __future__ import annotations

from typing import Any

import numpy as np

HEALPIX_ORDER = 29
HEALPIX_NSIDE = 2**HEALPIX_ORDER


def healpix_index_order29(ra_deg: Any, dec_deg: Any) -> np.ndarray:
    """Nested HEALPix index at order 29 (nside 2**29, ~0.4 milliarcsecond cells) of ICRS
    positions in degrees, as int64: ``TargetSummary.healpix``, which sky-map tiles of
    any order contain as a range of order-29 indices."""
    import healpy as hp

    ra = np.atleast_1d(np.asarray(ra_deg, dtype=np.float64))
    dec = np.atleast_1d(np.asarray(dec_deg, dtype=np.float64))
    return np.asarray(hp.ang2pix(HEALPIX_NSIDE, ra, dec, nest=True, lonlat=True), dtype=np.int64)


# --------------------------------------------------------------------------- order-29 ranges
# One representation of sky regions for the whole project: sorted, half-open ranges
# ``[lower, upper)`` of nested HEALPix indices at order 29. A cell of order ``o`` and nested
# index ``ipix`` is the range ``[ipix << 2(29-o), (ipix + 1) << 2(29-o))``. GCN localization
# tiles and instrument field footprints are both stored this way, so "is this point (its
# ``healpix_index_order29``) in the region" is ``lower <= point < upper`` everywhere.

ORDER_MAX = HEALPIX_ORDER


def uniq_to_order_ipix(uniq: Any) -> tuple[np.ndarray, np.ndarray]:
    """Split NUNIQ indices (``4 * 4**order + ipix``) into (order, nested ipix), exactly in
    int64."""
    uniq = np.asarray(uniq, dtype=np.int64)
    if uniq.size and (uniq.min() < 4):
        raise ValueError("UNIQ values must be >= 4")
    # Integer thresholds avoid float rounding of log2 for order-29 values (~2**62).
    starts = np.int64(4) << (2 * np.arange(ORDER_MAX + 1, dtype=np.int64))
    order = np.searchsorted(starts, uniq, side="right") - 1
    if uniq.size and uniq.max() >= (np.int64(16) << (2 * ORDER_MAX)):
        raise ValueError("UNIQ beyond order 29")
    return order.astype(np.int64), uniq - starts[order]


def order_ipix_to_ranges(order: Any, ipix: Any) -> tuple[np.ndarray, np.ndarray]:
    """Order-29 ranges ``(lower, upper)`` (int64, half-open) of nested cells (order, ipix)."""
    order = np.asarray(order, dtype=np.int64)
    ipix = np.asarray(ipix, dtype=np.int64)
    shift = 2 * (ORDER_MAX - order)
    return ipix << shift, (ipix + 1) << shift


def uniq_to_ranges(uniq: Any) -> tuple[np.ndarray, np.ndarray]:
    """Order-29 ranges ``(lower, upper)`` of NUNIQ cells, one per cell, in input order."""
    return order_ipix_to_ranges(*uniq_to_order_ipix(uniq))


def merge_ranges(lower: Any, upper: Any) -> tuple[np.ndarray, np.ndarray]:
    """Sorted, disjoint, non-adjacent ranges covering the union of ``[lower, upper)``."""
    lower = np.asarray(lower, dtype=np.int64)
    upper = np.asarray(upper, dtype=np.int64)
    if lower.size == 0:
        return lower, upper
    order = np.argsort(lower, kind="stable")
    lower, upper = lower[order], upper[order]
    reach = np.maximum.accumulate(upper)
    # a range starts a new block when it begins after everything before it has ended
    starts = np.concatenate(([True], lower[1:] > reach[:-1]))
    block = np.cumsum(starts) - 1
    out_upper = np.zeros(int(block[-1]) + 1, dtype=np.int64)
    np.maximum.at(out_upper, block, upper)
    return lower[starts], out_upper


def moc_to_ranges(moc: Any) -> tuple[np.ndarray, np.ndarray]:
    """Merged order-29 ranges of a ``mocpy.MOC``."""
    return merge_ranges(*uniq_to_ranges(np.asarray(moc.uniq_hpx, dtype=np.int64)))
