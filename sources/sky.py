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
