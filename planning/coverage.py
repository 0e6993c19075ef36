"""Fields and coverage in SQL, over the order-29 ranges of instrument fields and
localization tiles (the B-tree technique of ``gcn.crossmatch``: ``lower``/``upper``
comparisons, never a containment operator).

- :func:`select_fields`: the fields of an instrument that overlap a localization's credible
  region. The region's islands (contiguous tile ranges) probe the field-tile index on
  ``lower``: a field tile ``[l, u)`` overlaps an island ``[lo, hi)`` when ``l < hi`` and
  ``u > lo``; bounding ``l >= lo - span`` (``span`` the instrument's longest tile) keeps
  each probe a short index range scan.
- :func:`coverage`: area (deg²) of the union of some fields and the localization's
  probability inside it, per label (filter) and in total. The union is merged into
  islands in SQL; each island reads the localization tiles it overlaps (the one holding
  its start, then those starting inside it — localization tiles are disjoint).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction

from facilities.models import Instrument, InstrumentField, InstrumentFieldTile
from gcn import crossmatch
from gcn.models import Localization, LocalizationTile

PIXEL_SR = 4.0 * math.pi / (12 * 4.0**29)
SR_TO_DEG2 = (180.0 / math.pi) ** 2

_FIELD_TILES = InstrumentFieldTile._meta.db_table
_FIELDS = InstrumentField._meta.db_table
_LOC_TILES = LocalizationTile._meta.db_table


def _run(sql: str, params: list) -> list[tuple]:
    """One read statement without JIT or parallel workers (range joins fool the planner's
    estimates into costly plans; see ``gcn.crossmatch._execute``)."""
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cur.execute(sql, params)
        return cur.fetchall()


def max_tile_span(instrument: Instrument) -> int:
    """Length (order-29 indices) of the instrument's longest field tile; cached per field
    grid version (``Instrument.fields_digest``)."""
    key = f"planning:maxspan:{instrument.pk}:{instrument.fields_digest}"
    span = cache.get(key)
    if span is None:
        rows = _run(
            f"SELECT coalesce(max(t.upper - t.lower), 0) FROM {_FIELD_TILES} t "
            f"JOIN {_FIELDS} f ON f.id = t.field_id WHERE f.instrument_id = %s",
            [instrument.pk],
        )
        span = int(rows[0][0])
        cache.set(key, span, 24 * 3600)
    return span


@dataclass(frozen=True)
class Selection:
    field_pks: list[int]
    milliseconds: float


def select_fields(instrument: Instrument, loc: Localization, level: float) -> Selection:
    """Primary keys of the instrument's fields overlapping the ``level`` credible region."""
    level = crossmatch.check_cumprob(level)
    span = max_tile_span(instrument)
    started = time.perf_counter()
    island_sql, params = crossmatch.islands(loc, level)
    # LATERAL: one index range scan on the tiles' ``lower`` per island, whatever the
    # planner's (poor) estimate of a range join; the instrument is checked on the few hits.
    sql = f"""
        WITH islands AS MATERIALIZED ({island_sql}),
        hits AS MATERIALIZED (
            SELECT DISTINCT h.field_id FROM islands i CROSS JOIN LATERAL (
                SELECT t.field_id FROM {_FIELD_TILES} t
                WHERE t.lower >= i.lo - %s AND t.lower < i.hi AND t.upper > i.lo
            ) h
        )
        SELECT h.field_id FROM hits h
        JOIN {_FIELDS} f ON f.id = h.field_id AND f.instrument_id = %s
    """
    rows = _run(sql, [*params, span, instrument.pk])
    return Selection(sorted(r[0] for r in rows), (time.perf_counter() - started) * 1000)


def field_ranges(field_pks: list[int]) -> dict[int, tuple[list[int], list[int]]]:
    """``{field pk: (lowers, uppers)}`` of the fields' footprint tiles."""
    out: dict[int, tuple[list[int], list[int]]] = {pk: ([], []) for pk in field_pks}
    if not field_pks:
        return out
    rows = _run(
        f"SELECT field_id, lower, upper FROM {_FIELD_TILES} "
        "WHERE field_id = ANY(%s) ORDER BY field_id, lower",
        [list(field_pks)],
    )
    for pk, lo, hi in rows:
        out[pk][0].append(lo)
        out[pk][1].append(hi)
    return out


def coverage(localization_id: int, fields_sql: str, params: list) -> dict[str, dict[str, float]]:
    """``{label: {"area": deg², "probability": 0-1}}`` for the union of the fields given by
    ``fields_sql`` (columns ``label``, ``field_id``; params ``params``), plus ``"*"`` for
    all labels together."""
    sql = f"""
        WITH chosen AS MATERIALIZED ({fields_sql}),
        ranges AS (
            SELECT c.label, t.lower, t.upper
            FROM (SELECT DISTINCT label, field_id FROM chosen) c
            JOIN {_FIELD_TILES} t ON t.field_id = c.field_id
            UNION ALL
            SELECT '*', t.lower, t.upper
            FROM (SELECT DISTINCT field_id FROM chosen) c
            JOIN {_FIELD_TILES} t ON t.field_id = c.field_id
        ), marked AS (
            SELECT label, lower, upper,
                   coalesce(lower > max(upper) OVER (
                       PARTITION BY label ORDER BY lower, upper
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), true) AS starts
            FROM ranges
        ), grouped AS (
            SELECT label, lower, upper,
                   count(*) FILTER (WHERE starts) OVER (
                       PARTITION BY label ORDER BY lower, upper) AS island
            FROM marked
        ), islands AS MATERIALIZED (
            SELECT label, min(lower) AS lo, max(upper) AS hi FROM grouped GROUP BY label, island
        ), prob AS (
            SELECT i.label,
                   sum((least(t.upper, i.hi) - greatest(t.lower, i.lo))::float8 * t.probdensity)
                       AS p
            FROM islands i CROSS JOIN LATERAL (
                (SELECT lower, upper, probdensity FROM {_LOC_TILES}
                 WHERE localization_id = %s AND lower <= i.lo ORDER BY lower DESC LIMIT 1)
                UNION ALL
                (SELECT lower, upper, probdensity FROM {_LOC_TILES}
                 WHERE localization_id = %s AND lower > i.lo AND lower < i.hi)
            ) t
            WHERE t.upper > i.lo
            GROUP BY i.label
        ), area AS (
            SELECT label, sum((hi - lo)::float8) AS n FROM islands GROUP BY label
        )
        SELECT a.label, a.n, coalesce(p.p, 0) FROM area a LEFT JOIN prob p USING (label)
    """
    rows = _run(sql, [*params, localization_id, localization_id])
    out = {"*": {"area": 0.0, "probability": 0.0}}
    for label, n, p in rows:
        out[label] = {
            "area": float(n) * PIXEL_SR * SR_TO_DEG2,
            "probability": min(float(p) * PIXEL_SR, 1.0),
        }
    return out
