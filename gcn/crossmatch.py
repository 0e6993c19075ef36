"""Crossmatch localizations with sources (targets) and galaxies, in SQL over stored tiles.

A target or galaxy at order-29 index ``p`` is inside a tile when
``tile.lower <= p AND p < tile.upper``; the join runs over the tiles of the
credible region (``cumprob <= level``) and probes the B-tree on the points'
HEALPix column once per tile — not once per point as a ``tile.healpix @> p``
containment join does.

Sources must also have their first detection within the event's time window,
``[t0 + before, t0 + after]`` with ``GCN_CROSSMATCH_WINDOW_DAYS`` (default
``(-1, 14)`` days). Which targets a user sees is decided by ``accounts.access``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from tom_targets.models import Target

from accounts import access
from gcn.models import Galaxy, GcnEvent, Localization, LocalizationTile, SourceMatch
from icare_tom.times import datetime_to_mjd, mjd_to_datetime
from sources.models import TargetSummary

DEFAULT_CUMPROB = 0.9


def window_days() -> tuple[float, float]:
    """(days before, days after) the trigger time in which a first detection counts."""
    before, after = getattr(settings, "GCN_CROSSMATCH_WINDOW_DAYS", (-1.0, 14.0))
    return float(before), float(after)


def to_mjd(t: datetime) -> float:
    """MJD (days) of an aware datetime."""
    return datetime_to_mjd(t)


def check_cumprob(cumprob: float) -> float:
    cumprob = float(cumprob)
    if not (math.isfinite(cumprob) and 0.0 < cumprob <= 1.0):
        raise ValueError("cumprob must be a credible level in (0, 1]")
    return cumprob


# --------------------------------------------------------------------------- sources

_TILES = LocalizationTile._meta.db_table
# Positions of sources are read from their app's summaries (order-29 HEALPix index).
_SUMMARIES = TargetSummary._meta.db_table


def _column(model, field: str) -> str:
    return model._meta.get_field(field).column


_HEALPIX = _column(TargetSummary, "healpix")


def _islands_sql() -> str:
    """Tiles of the region merged into contiguous index ranges ("islands"), in SQL.

    Adjacent tiles of a credible region share edges in the nested numbering, so a
    90 % region of thousands of tiles is typically a few hundred islands: one B-tree
    probe each on the points' HEALPix index. Params: localization id, level.
    """
    return f"""
        WITH region AS (
            SELECT lower, upper,
                   lower <> coalesce(lag(upper) OVER (ORDER BY lower), -1) AS starts_island
            FROM {_TILES} WHERE localization_id = %s AND cumprob <= %s
        ), numbered AS (
            SELECT lower, upper,
                   count(*) FILTER (WHERE starts_island) OVER (ORDER BY lower) AS island
            FROM region
        )
        SELECT min(lower) AS lo, max(upper) AS hi FROM numbered GROUP BY island
    """


def islands(loc: Localization, cumprob: float) -> tuple[str, list]:
    """SQL (columns ``lo``, ``hi``) and params of the region's islands.

    The standard levels are precomputed at ingest (``Localization.region_ranges``)
    and passed as two arrays; any other level is computed from the tiles.
    """
    stored = (loc.region_ranges or {}).get(region_key(cumprob))
    if stored is not None:
        lows = [pair[0] for pair in stored]
        highs = [pair[1] for pair in stored]
        return "SELECT unnest(%s::bigint[]) AS lo, unnest(%s::bigint[]) AS hi", [lows, highs]
    return _islands_sql(), [loc.pk, cumprob]


def region_key(cumprob: float) -> str:
    return f"{float(cumprob):g}"


def _tile_of(point: str) -> str:
    """LATERAL lookup of the tile holding ``point`` (param: localization id)."""
    return f"""
        SELECT cumprob, probdensity, distmu, distsigma, distnorm FROM {_TILES} t
        WHERE t.localization_id = %s AND t.lower <= {point}
        ORDER BY t.lower DESC LIMIT 1
    """


def _sources_query(loc: Localization, cumprob: float, window: bool) -> tuple[str, list]:
    """SQL and params giving (target_id, cumprob, probdensity) of the sources in the region."""
    cumprob = check_cumprob(cumprob)
    island_sql, params = islands(loc, cumprob)
    window_sql = ""
    if window:
        t0 = to_mjd(loc.event.trigger_time)
        before, after = window_days()
        first = _column(TargetSummary, "first_detection_mjd")
        window_sql = f"AND s.{first} >= %s AND s.{first} <= %s"
        params = [*params, t0 + before, t0 + after]
    # MATERIALIZED fences keep the plan "probe each island, then look up each hit's
    # tile": the planner's range-join estimates would otherwise scan every point.
    sql = f"""
        WITH islands AS MATERIALIZED ({island_sql}),
        hits AS MATERIALIZED (
            SELECT s.{_column(TargetSummary, "target")} AS target_id, s.{_HEALPIX} AS healpix
            FROM islands i
            JOIN {_SUMMARIES} s ON s.{_HEALPIX} >= i.lo AND s.{_HEALPIX} < i.hi {window_sql}
        )
        SELECT h.target_id, t.cumprob, t.probdensity
        FROM hits h CROSS JOIN LATERAL ({_tile_of("h.healpix")}) t
    """
    return sql, [*params, loc.pk]


def _execute(sql: str, params: list, fetch: bool = True):
    """Run a crossmatch statement without JIT or parallel workers.

    The planner cannot estimate range joins (it assumes ~1/9 of the points per
    probe), so it would JIT-compile and parallelize a query that takes
    milliseconds; compiling alone costs hundreds of ms.
    """
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("SET LOCAL jit = off")
        cur.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cur.execute(sql, params)
        if fetch:
            return cur.description, cur.fetchall()
        return None, cur.rowcount


def matching_target_rows(
    loc: Localization, cumprob: float = DEFAULT_CUMPROB, *, window: bool = True
) -> list[tuple[int, float, float]]:
    """All (target_id, cumprob, probdensity per sr) inside the region, ignoring permissions.

    For the automatic crossmatch and benchmarks; user-facing code goes through
    :func:`matching_targets`.
    """
    return _execute(*_sources_query(loc, cumprob, window))[1]


def matching_targets(
    loc: Localization, user, cumprob: float = DEFAULT_CUMPROB, *, window: bool = True
) -> list[Target]:
    """Targets visible to ``user`` inside the ``cumprob`` region whose first detection is
    within the event's window, most central first; each carries ``gcn_cumprob`` (credible
    level of its tile) and ``gcn_probdensity`` (/sr)."""
    found = {tid: (cp, pd) for tid, cp, pd in matching_target_rows(loc, cumprob, window=window)}
    if not found:
        return []
    qs = access.visible_targets(user, Target.objects.filter(pk__in=list(found)))
    targets = list(qs.select_related("summary"))
    for target in targets:
        target.gcn_cumprob, target.gcn_probdensity = found[target.pk]
    targets.sort(key=lambda t: (t.gcn_cumprob, t.name))
    return targets


def record_matches(loc: Localization, cumprob: float | None = None) -> int:
    """Store new matches of ``loc`` in :class:`SourceMatch` (existing ones are kept); returns
    how many were added. The level is ``GCN_CROSSMATCH_CUMPROB`` (default 0.9)."""
    if loc.status != Localization.Status.READY:
        return 0
    level = cumprob if cumprob is not None else getattr(settings, "GCN_CROSSMATCH_CUMPROB", 0.9)
    inner, params = _sources_query(loc, level, True)
    sql = f"""
        INSERT INTO {SourceMatch._meta.db_table}
            (localization_id, target_id, cumprob, probdensity, matched_at)
        SELECT %s, m.target_id, m.cumprob, m.probdensity, now()
        FROM ({inner}) m
        ON CONFLICT (localization_id, target_id) DO NOTHING
    """
    return _execute(sql, [loc.pk, *params], fetch=False)[1]


def active_events(now: datetime | None = None) -> QuerySet[GcnEvent]:
    """Events still collecting candidates: not retracted and within the window's end."""
    now = now or timezone.now()
    _, after = window_days()
    return GcnEvent.objects.filter(
        retracted=False, trigger_time__gte=now - timedelta(days=after), trigger_time__lte=now
    )


@dataclass(frozen=True)
class Containing:
    event: GcnEvent
    localization: Localization
    cumprob: float

    def __str__(self) -> str:
        return f"inside the {self.cumprob:.0%} region of {self.event.name}"


def events_containing(target: Target, user, cumprob: float = DEFAULT_CUMPROB) -> list[Containing]:
    """Events whose current localization holds ``target`` in its ``cumprob`` region and whose
    window holds its first detection — for "inside the 90 % region of S181101ab" on a source
    page. Empty when the user may not see the target. ``Containing.cumprob`` is the credible
    level of the tile holding the target (smaller = more central)."""
    cumprob = check_cumprob(cumprob)
    if not access.can_view_target(user, target):
        return []
    summary = getattr(target, "summary", None)
    if summary is None:
        return []
    before, after = window_days()
    events = GcnEvent.objects.filter(retracted=False)
    if summary.first_detection_mjd is not None:
        first = mjd_to_datetime(summary.first_detection_mjd)
        events = events.filter(
            trigger_time__gte=first - timedelta(days=after),
            trigger_time__lte=first - timedelta(days=before),
        )
    else:
        return []
    out = []
    for event in events.order_by("-trigger_time")[:200]:
        loc = event.current_localization()
        if loc is None:
            continue
        tile = (
            LocalizationTile.objects.filter(localization=loc, lower__lte=summary.healpix)
            .order_by("-lower")
            .values("upper", "cumprob")
            .first()
        )
        if tile and summary.healpix < tile["upper"] and tile["cumprob"] <= cumprob:
            out.append(Containing(event, loc, tile["cumprob"]))
    return out


# --------------------------------------------------------------------------- galaxies


def matching_galaxies(
    loc: Localization,
    cumprob: float = DEFAULT_CUMPROB,
    *,
    catalog: str | None = None,
    limit: int | None = 100,
) -> list[dict]:
    """Galaxies inside the region, best first.

    ``score`` = probdensity (/sr) * distance agreement, where the agreement is the
    localization's conditional distance density at the galaxy's distance
    (ligo.skymap ansatz ``distnorm * d**2 * N(d; distmu, s)``, Mpc⁻¹, with
    s**2 = distsigma**2 + distance_err**2). Without distances (map or galaxy) the score
    is null and those galaxies follow, ordered by probdensity.
    """
    params: list = [loc.pk, check_cumprob(cumprob)]
    cat = ""
    if catalog:
        cat = "WHERE g.catalog_id = (SELECT id FROM gcn_galaxycatalog WHERE name = %s)"
        params.append(catalog)
    lim = ""
    if limit is not None:
        lim = "LIMIT %s"
        params.append(int(limit))
    # Ranking reads only the tiles and the covering (healpix, id, distances) index;
    # names and magnitudes are fetched for the kept rows only.
    sql = f"""
        WITH region AS MATERIALIZED (
            SELECT lower, upper, cumprob, probdensity, distmu, distsigma, distnorm
            FROM {_TILES} WHERE localization_id = %s AND cumprob <= %s
        ), ranked AS MATERIALIZED (
            SELECT g.id, t.cumprob, t.probdensity,
                   CASE WHEN g.distance_mpc IS NULL OR t.distmu IS NULL OR t.distnorm IS NULL
                        THEN NULL
                        ELSE t.probdensity * t.distnorm * g.distance_mpc ^ 2
                             * exp(greatest(-0.5 * (g.distance_mpc - t.distmu) ^ 2 / v.var, -700))
                             / sqrt(2 * pi() * v.var)
                   END AS score
            FROM region t
            JOIN {Galaxy._meta.db_table} g ON g.healpix >= t.lower AND g.healpix < t.upper
            CROSS JOIN LATERAL (
                SELECT t.distsigma ^ 2 + coalesce(g.distance_err_mpc, 0) ^ 2 AS var
            ) v
            {cat}
            ORDER BY score DESC NULLS LAST, t.probdensity DESC, g.id
            {lim}
        )
        SELECT g.id, g.name, g.ra, g.dec, g.distance_mpc, g.distance_err_mpc, g.mag_b, g.mag_k,
               r.cumprob, r.probdensity, r.score
        FROM ranked r JOIN {Galaxy._meta.db_table} g ON g.id = r.id
        ORDER BY r.score DESC NULLS LAST, r.probdensity DESC, r.id
    """
    description, rows = _execute(sql, params)
    cols = [c.name for c in description]
    return [dict(zip(cols, row, strict=True)) for row in rows]


def count_galaxies(loc: Localization, cumprob: float = DEFAULT_CUMPROB) -> int:
    """Number of catalogued galaxies inside the region (all catalogs)."""
    island_sql, params = islands(loc, check_cumprob(cumprob))
    sql = f"""
        WITH islands AS MATERIALIZED ({island_sql})
        SELECT count(*) FROM islands i
        JOIN {Galaxy._meta.db_table} g ON g.healpix >= i.lo AND g.healpix < i.hi
    """
    return _execute(sql, params)[1][0][0]
