"""Pointings for instruments without a field grid.

A small field of view (KAIT's 6.7', a 1 m telescope's 20') would need hundreds of thousands
to millions of fields to tile the sky, so such instruments are loaded without fields
(``fields: none``). For a plan, the pointings of the footprint's whole-sky grid whose centres
fall inside the event's credible region are made fields of the instrument, the most probable
first (at most :data:`MAX_REGION_FIELDS`), and the plan then runs as for any gridded
instrument. A pointing's field id is :data:`REGION_FIELD_ID_BASE` plus its position in the
whole-sky grid, so a later plan on the same sky reuses the same fields, and such fields never
collide with a grid's own ids.
"""

from __future__ import annotations

import math

import numpy as np

from facilities import footprint, instruments
from facilities.models import Instrument, InstrumentField
from planning.coverage import PIXEL_SR, SR_TO_DEG2
from planning.engine import SkyMap
from sources.sky import HEALPIX_NSIDE, healpix_index_order29

REGION_FIELD_ID_BASE = 1_000_000_000
MAX_REGION_FIELDS = 2000
MAX_WHOLE_SKY_POINTINGS = 10_000_000  # a footprint below ~15 arcmin² is too small for this


class RegionFieldsError(ValueError):
    """The instrument cannot be given pointings for this region (the message says why)."""


def has_grid(instrument: Instrument) -> bool:
    """Whether the instrument was loaded with a field grid of its own."""
    return InstrumentField.objects.filter(
        instrument=instrument, field_id__lt=REGION_FIELD_ID_BASE
    ).exists()


def ensure_region_fields(instrument: Instrument, sky: SkyMap, level: float) -> int:
    """Make the grid pointings whose centres lie in the ``level`` credible region (0-1) of
    ``sky`` (the plan's localization, tiles sorted by ``lower``) fields of ``instrument``;
    returns how many were added (0: all were already there)."""
    if footprint.whole_sky_grid_size(instrument.footprint) > MAX_WHOLE_SKY_POINTINGS:
        raise RegionFieldsError(
            f"{instrument.name}: its footprint is too small to grid the sky "
            f"(> {MAX_WHOLE_SKY_POINTINGS:,} pointings); use a galaxy-targeted plan"
        )
    region = sky.cumprob <= level
    if not region.any():
        return 0
    lower, upper, density = sky.lower[region], sky.upper[region], sky.probdensity[region]
    band = _declination_band(lower, upper)
    ids, ra, dec = footprint.whole_sky_grid_band(instrument.footprint, *band)
    pixels = healpix_index_order29(ra, dec)
    tile = np.searchsorted(lower, pixels, side="right") - 1
    inside = (tile >= 0) & (pixels < upper[np.clip(tile, 0, None)])
    ids, ra, dec, tile = ids[inside], ra[inside], dec[inside], tile[inside]
    best = np.argsort(-density[tile], kind="stable")[:MAX_REGION_FIELDS]
    return instruments.add_fields(instrument, REGION_FIELD_ID_BASE + ids[best], ra[best], dec[best])


def _declination_band(lower: np.ndarray, upper: np.ndarray) -> tuple[float, float]:
    """Declinations (deg) spanned by the tiles: their first and last cells, widened by the
    size of the largest tile."""
    import healpy as hp

    corners = np.concatenate([lower, upper - 1])
    _, dec = hp.pix2ang(HEALPIX_NSIDE, corners, nest=True, lonlat=True)
    margin = math.sqrt(float((upper - lower).max()) * PIXEL_SR * SR_TO_DEG2)
    return float(dec.min()) - margin, float(dec.max()) + margin
