"""Localizations as tiles: build them from a notice's spec and write them with COPY.

A localization spec (map bytes, circle, ellipse, polygon) becomes
``[lower, upper)`` ranges of order-29 nested HEALPix indices with probability
density (per sr), cumulative probability and distance columns; a map given by
URL is stored ``pending`` (see :mod:`gcn.fetching`).
"""

from __future__ import annotations

import logging
import math
from dataclasses import replace
from typing import Any

import numpy as np
from django.db import connection
from django.utils import timezone

from gcn import notices as gn
from gcn import skymaps
from gcn.models import GcnEvent, GcnNotice, Localization, LocalizationTile

logger = logging.getLogger(__name__)

# Tables this large after an insert get ANALYZE, so the planner keeps the B-tree range join.
ANALYZE_AFTER_TILES = 50_000
# Credible levels whose merged ranges are precomputed (others are computed in SQL).
REGION_LEVELS = (0.5, 0.9, 0.95, 0.99)
# Plot contours: pixels of order 8 (~0.23°) are smooth enough for a Mollweide map and fast.
CONTOUR_MAX_ORDER = 8

Built = skymaps.Localization | Exception | None


def build(spec: Any) -> tuple[Any, Built]:
    """``(spec, tiles)``; ``tiles`` is None for a URL and the exception for a map we cannot tile."""
    if isinstance(spec, gn.MapURL):
        return spec, None
    try:
        return spec, build_localization(spec)
    except gn.NoticeRejected as exc:
        return spec, exc
    except Exception as exc:  # a map we cannot tile must not lose the notice
        logger.exception("cannot build localization %s", getattr(spec, "name", spec))
        return spec, exc


def build_localization(spec: Any) -> skymaps.Localization:
    """Tiles plus plot contours (contours traced at order <= 8: fast and smooth)."""
    loc = skymaps.from_spec(spec, with_contours=False)
    return replace(loc, contours=skymaps.compute_contours(loc, max_order=CONTOUR_MAX_ORDER))


def unique_name(name: str, used: set[str]) -> str:
    """``name``, or ``name (2)``, ``name (3)``… when a notice has several of that name."""
    base, n = name[:190], 1
    while name in used:
        n += 1
        name = f"{base} ({n})"
    used.add(name)
    return name


def store_localization(
    event: GcnEvent, notice: GcnNotice, spec: Any, name: str, built: Built
) -> Localization:
    """A localization row: pending (URL), failed (with the error) or ready with its tiles."""
    kind = type(spec).__name__
    if isinstance(spec, gn.MapURL):
        return Localization.objects.create(
            event=event,
            notice=notice,
            name=name,
            kind=kind,
            status=Localization.Status.PENDING,
            url=spec.url,
            next_attempt_at=timezone.now(),
        )
    if isinstance(built, Exception):
        return Localization.objects.create(
            event=event,
            notice=notice,
            name=name,
            kind=kind,
            status=Localization.Status.FAILED,
            last_error=f"{type(built).__name__}: {built}"[:2000],
        )
    loc = Localization.objects.create(
        event=event, notice=notice, name=name, kind=kind, status=Localization.Status.PENDING
    )
    store_tiles(loc, built)
    return loc


def store_tiles(loc: Localization, built: skymaps.Localization) -> Localization:
    """Write the tiles of ``built`` with COPY and mark ``loc`` ready (areas, distance, contours)."""
    copy_tiles(loc.pk, built)
    loc.status = Localization.Status.READY
    loc.area_50 = _finite(built.area_50)
    loc.area_90 = _finite(built.area_90)
    loc.distance_mean = _finite(built.distance_mean)
    loc.distance_std = _finite(built.distance_std)
    loc.contours = built.contour_geojson()
    loc.n_tiles = len(built)
    loc.region_ranges = {f"{level:g}": region_ranges(built, level) for level in REGION_LEVELS}
    loc.ready_at = timezone.now()
    loc.last_error = ""
    loc.save()
    return loc


def region_ranges(built: skymaps.Localization, cumprob: float) -> list[list[int]]:
    """The tiles with ``cumprob <= level`` merged into contiguous ``[lower, upper)`` ranges."""
    sel = built.cumprob <= cumprob
    if not sel.any():
        return []
    lo, hi = built.lower[sel], built.upper[sel]
    order = np.argsort(lo, kind="stable")
    lo, hi = lo[order], hi[order]
    starts = np.ones(lo.size, dtype=bool)
    starts[1:] = lo[1:] != hi[:-1]
    first = np.flatnonzero(starts)
    last = np.append(first[1:], lo.size) - 1
    return np.stack([lo[first], hi[last]], axis=1).tolist()


def copy_tiles(localization_id: int, built: skymaps.Localization) -> int:
    """Binary-COPY the tiles into ``gcn_localizationtile`` (an LVK map: ~20k rows, < 0.5 s)."""
    from psycopg.types.range import Range

    n = len(built)
    if n == 0:
        return 0
    lo = built.lower.astype(np.int64).tolist()
    hi = built.upper.astype(np.int64).tolist()
    pd = _nullable(built.probdensity)
    cp = _nullable(built.cumprob)
    dm, ds, dn = (
        _nullable(a) if a is not None else [None] * n
        for a in (built.distmu, built.distsigma, built.distnorm)
    )
    table = LocalizationTile._meta.db_table
    with connection.cursor() as cur:
        pg = cur.cursor  # the psycopg cursor under Django's wrapper
        with pg.copy(
            f"COPY {table} (localization_id, lower, upper, healpix, probdensity, cumprob, "
            "distmu, distsigma, distnorm) FROM STDIN (FORMAT BINARY)"
        ) as copy:
            copy.set_types(["int8", "int8", "int8", "int8range", *["float8"] * 5])
            for i in range(n):
                copy.write_row(
                    (
                        localization_id,
                        lo[i],
                        hi[i],
                        Range(lo[i], hi[i], "[)"),
                        pd[i],
                        cp[i],
                        dm[i],
                        ds[i],
                        dn[i],
                    )
                )
        if n >= ANALYZE_AFTER_TILES:
            cur.execute(f"ANALYZE {table}")
    return n


def _nullable(arr: np.ndarray) -> list[float | None]:
    """Floats as Python floats; NaN/inf (no distance for that tile) become NULL."""
    return [v if math.isfinite(v) else None for v in np.asarray(arr, np.float64).tolist()]


def _finite(value: float | None) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
