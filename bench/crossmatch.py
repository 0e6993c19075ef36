"""Sky-map crossmatch benchmark: our B-tree range join vs healpix-alchemy's query vs mocpy.

    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/icare python bench/crossmatch.py [--short]

Works in a separate database ``<name>_bench`` next to ``DATABASE_URL`` (created and
migrated on first use; its synthetic rows are kept for the next run). Prints:

* ingest of the LVK multi-order map ``lvk/bayestar.multiorder.fits`` (MS181101ab)
  to stored tiles (budget < 1 s);
* 1 M sources (``TargetSummary``, uniform on the sky, first detections spread
  over ±30 d) against its 90 % region (budget < 50 ms);
* 20 M galaxies (2 M with ``--short``) against the same region (budget < 250 ms);
* the same crossmatches with healpix-alchemy's documented query form
  (``tile.hpx @> galaxy.hpx`` over an ``int8range`` GiST index, credible region
  from a cumulative-sum window) and with mocpy in memory, and the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.benchdb import setup_django  # noqa: E402

N_SOURCES = 1_000_000
N_GALAXIES = 20_000_000
N_GALAXIES_SHORT = 2_000_000
NPIX29 = 12 * 4**29
SR_PER_PIX29 = 4 * 3.141592653589793 / NPIX29


def timed(fn, repeat: int = 7, warmup: bool = True) -> tuple[float, object]:
    """Median wall time (s) over ``repeat`` runs (after one warm-up run), and the last result."""
    if warmup:
        fn()
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--short", action="store_true", help=f"{N_GALAXIES_SHORT:,} galaxies")
    ap.add_argument("--skymap", default=None, help="multi-order FITS (default: shared data)")
    ap.add_argument(
        "--ha-timeout", type=int, default=900, help="cap (s) on each healpix-alchemy query"
    )
    args = ap.parse_args()
    global HA_TIMEOUT_S
    HA_TIMEOUT_S = args.ha_timeout
    n_gal = N_GALAXIES_SHORT if args.short else N_GALAXIES

    setup_django("bench")
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    shared = Path(os.environ.get("ICARE_SHARED_DATA", REPO.parent / "shared" / "data"))
    skymap = Path(args.skymap) if args.skymap else shared / "lvk" / "bayestar.multiorder.fits"
    raw = skymap.read_bytes()

    loc = bench_ingest(raw, skymap.name)
    with connection().cursor() as cur:
        cur.execute("VACUUM ANALYZE gcn_localizationtile")
    ensure_sources(loc)
    ensure_galaxies(n_gal)
    with connection().cursor() as cur:
        # healpix-alchemy's schema: a GiST index on the tiles' int8range. Ours has none
        # (it would make map ingest several times slower); add it for the comparison only.
        cur.execute(
            "CREATE INDEX IF NOT EXISTS bench_tile_healpix_gist "
            "ON gcn_localizationtile USING gist (healpix)"
        )
        cur.execute("ANALYZE gcn_localizationtile")
    try:
        bench_sources(loc)
        bench_galaxies(loc, n_gal)
    finally:
        with connection().cursor() as cur:
            cur.execute("DROP INDEX IF EXISTS bench_tile_healpix_gist")


def connection():
    from django.db import connection as conn

    return conn


# --------------------------------------------------------------------------- ingest


def bench_ingest(raw: bytes, name: str):
    from gcn import events, notices, skymaps, tiles
    from gcn.models import GcnEvent, Localization

    GcnEvent.objects.all().delete()
    with connection().cursor() as cur:
        cur.execute("DROP INDEX IF EXISTS bench_tile_healpix_gist")
        cur.execute("VACUUM ANALYZE gcn_localizationtile")
    t = time.perf_counter()
    result = events.ingest_bytes(raw, origin=name, filename_hint=name)
    full = time.perf_counter() - t
    loc = result.localizations[0]

    # Tiles alone: decode FITS → order-29 ranges → COPY (what must happen before a crossmatch).
    times = []
    for _ in range(5):
        probe = Localization.objects.create(
            event=loc.event,
            notice=loc.notice,
            name=f"probe-{time.time_ns()}",
            kind="bench",
            status=Localization.Status.PENDING,
        )
        t = time.perf_counter()
        built = skymaps.from_spec(notices.MultiOrderMap(data=raw), with_contours=False)
        tiles.copy_tiles(probe.pk, built)
        times.append(time.perf_counter() - t)
        probe.delete()
    tiles = statistics.median(times)
    print(
        f"map ingest ({len(built):,} tiles): tiles stored in {tiles * 1e3:.0f} ms "
        f"(budget < 1000 ms: {'OK' if tiles < 1 else 'OVER'}); "
        f"full notice ingest incl. contours {full * 1e3:.0f} ms"
    )
    n90 = int((built.cumprob <= 0.9).sum())
    print(f"  90 % region: {n90:,} tiles, area_90 = {loc.area_90:.1f} deg²")
    return loc


# --------------------------------------------------------------------------- data


def ensure_sources(loc) -> None:
    from gcn.crossmatch import to_mjd

    with connection().cursor() as cur:
        cur.execute("SELECT count(*) FROM tom_targets_basetarget WHERE name LIKE 'bench-%%'")
        if cur.fetchone()[0] == N_SOURCES:
            return
        print(f"generating {N_SOURCES:,} sources …", flush=True)
        t0 = to_mjd(loc.event.trigger_time)
        cur.execute("DELETE FROM tom_targets_basetarget WHERE name LIKE 'bench-%%'")
        cur.execute(
            """
            INSERT INTO tom_targets_basetarget
                (name, type, created, modified, scheme, permissions, shared_by, shared_from)
            SELECT 'bench-' || i, 'SIDEREAL', now(), now(), '', 'PRIVATE', '', ''
            FROM generate_series(1, %s) i
            """,
            [N_SOURCES],
        )
        # Uniform on the sphere: HEALPix pixels are equal-area, so a uniform index is a
        # uniform position (an order-14 pixel, then a uniform order-29 sub-pixel).
        cur.execute(
            """
            INSERT INTO sources_targetsummary
                (target_id, healpix, first_detection_mjd, last_detection_mjd,
                 n_detections, is_solar_system)
            SELECT id,
                   (floor(random() * 12 * 4 ^ 14)::bigint << 30) + floor(random() * 2 ^ 30)::bigint,
                   %s + (random() * 60 - 30), NULL, 1, false
            FROM tom_targets_basetarget WHERE name LIKE 'bench-%%'
            """,
            [t0],
        )
        cur.execute("ANALYZE tom_targets_basetarget")
        cur.execute("ANALYZE sources_targetsummary")


def ensure_galaxies(n: int) -> None:
    import numpy as np

    from gcn import galaxies
    from gcn.models import Galaxy, GalaxyCatalog

    cat, _ = GalaxyCatalog.objects.get_or_create(name="bench-uniform")
    if cat.n_galaxies == n and Galaxy.objects.filter(catalog=cat).count() == n:
        return
    print(f"generating {n:,} galaxies …", flush=True)
    t = time.perf_counter()
    with connection().cursor() as cur:
        cur.execute("TRUNCATE gcn_galaxy")
        cur.execute("DROP INDEX IF EXISTS gcn_galaxy_healpix_cover")
    rng = np.random.default_rng(42)
    chunk = 1_000_000
    for start in range(0, n, chunk):
        m = min(chunk, n - start)
        ra = rng.uniform(0, 360, m)
        dec = np.degrees(np.arcsin(rng.uniform(-1, 1, m)))
        dist = rng.uniform(1, 500, m)
        galaxies.copy_galaxies(
            cat.pk,
            {
                "name": [f"G{start + i}" for i in range(m)],
                "ra": ra,
                "dec": dec,
                "distance_mpc": dist,
                "distance_err_mpc": dist * 0.1,
                "mag_b": rng.uniform(12, 20, m),
            },
        )
    with connection().cursor() as cur:
        cur.execute(
            "CREATE INDEX gcn_galaxy_healpix_cover ON gcn_galaxy (healpix) "
            "INCLUDE (id, catalog_id, distance_mpc, distance_err_mpc)"
        )
        cur.execute("VACUUM ANALYZE gcn_galaxy")
    cat.n_galaxies = n
    cat.save()
    print(f"  {n / (time.perf_counter() - t):,.0f} galaxies/s incl. index", flush=True)


# --------------------------------------------------------------------------- queries

# healpix-alchemy's documented form: region from a cumulative-sum window over the
# tiles, then ``tile.hpx @> point.hpx`` (int8range containment, GiST index on tiles).
HEALPIX_ALCHEMY_SQL = """
    WITH cum AS (
        SELECT probdensity,
               sum(probdensity * (upper(healpix) - lower(healpix)) * {sr})
                   OVER (ORDER BY probdensity DESC) AS cum_prob
        FROM gcn_localizationtile WHERE localization_id = %(loc)s
    ), min_pd AS (SELECT min(probdensity) AS pd FROM cum WHERE cum_prob <= 0.9)
    SELECT count(*) FROM gcn_localizationtile t JOIN {points} p ON t.healpix @> p.healpix
    WHERE t.localization_id = %(loc)s AND t.probdensity >= (SELECT pd FROM min_pd) {extra}
""".replace("{sr}", repr(SR_PER_PIX29))

# Ours: the region's tiles merged into contiguous ranges, one B-tree probe per range.
OURS_COUNT_SQL = """
    WITH i AS MATERIALIZED ({islands})
    SELECT count(*) FROM i JOIN {points} p ON p.healpix >= i.lo AND p.healpix < i.hi
"""


HA_TIMEOUT_S = 900


def run(sql: str, params):
    """Both query forms run with JIT off (compiling would dominate either)."""
    with connection().cursor() as cur:
        cur.execute(f"SET statement_timeout = '{HA_TIMEOUT_S}s'")
        cur.execute("SET jit = off")
        cur.execute(sql, params)
        return cur.fetchall()


def ours_count(loc, points: str) -> tuple[str, list]:
    from gcn.crossmatch import islands

    island_sql, params = islands(loc, 0.9)
    return OURS_COUNT_SQL.format(islands=island_sql, points=points), params


def bench_sources(loc) -> None:
    import astropy.units as u
    import healpy as hp
    import numpy as np
    from mocpy import MOC

    from gcn import crossmatch
    from gcn.models import LocalizationTile

    print(f"\n== {N_SOURCES:,} sources x 90 % region ==")
    t_rows, rows = timed(lambda: crossmatch.matching_target_rows(loc, 0.9, window=False))
    t_win, rows_w = timed(lambda: crossmatch.matching_target_rows(loc, 0.9, window=True))
    params = {"loc": loc.pk}
    ours_sql, ours_params = ours_count(loc, "sources_targetsummary")
    t_ours, n_ours = timed(lambda: run(ours_sql, ours_params)[0][0])
    ha_sql = HEALPIX_ALCHEMY_SQL.format(points="sources_targetsummary", extra="")
    t_ha, n_ha = timed(lambda: run(ha_sql, params)[0][0], repeat=1, warmup=False)

    with connection().cursor() as cur:
        cur.execute("SELECT healpix FROM sources_targetsummary")
        hpx = np.fromiter((r[0] for r in cur.fetchall()), dtype=np.int64)
    lon, lat = hp.pix2ang(2**29, hpx, nest=True, lonlat=True)
    tiles = LocalizationTile.objects.filter(localization=loc, cumprob__lte=0.9)
    ranges = np.array(sorted(tiles.values_list("lower", "upper")), dtype=np.uint64)
    moc = MOC.from_depth29_ranges(29, ranges)
    lon_q, lat_q = lon * u.deg, lat * u.deg
    t_moc, inside = timed(lambda: moc.contains_lonlat(lon_q, lat_q), repeat=3)
    n_moc = int(np.count_nonzero(inside))

    print(
        f"ours (rows, production query):       {t_rows * 1e3:8.1f} ms  {len(rows):,} sources "
        f"(budget < 50 ms: {'OK' if t_rows < 0.05 else 'OVER'})"
    )
    print(f"ours (rows, with the t0-1d..+14d window): {t_win * 1e3:5.1f} ms  {len(rows_w):,}")
    print(f"ours (count):                        {t_ours * 1e3:8.1f} ms  {n_ours:,}")
    print(
        f"healpix-alchemy form (count, @>):    {t_ha * 1e3:8.1f} ms  {n_ha:,}"
        f"  → ours is {t_ha / t_ours:,.0f}x faster"
    )
    print(
        f"mocpy in memory (contains_lonlat):   {t_moc * 1e3:8.1f} ms  {n_moc:,}"
        f"  → ratio mocpy/ours {t_moc / t_ours:.2f}"
    )
    if not (n_ours == len(rows) == n_moc):
        print(f"  !! counts differ: ours {n_ours}, mocpy {n_moc}")
    if n_ha != n_ours:
        print(
            f"  note: healpix-alchemy's region (probdensity >= min of the cumsum <= 0.9) "
            f"holds {n_ha - n_ours:+,} sources vs ours (tie/boundary convention)"
        )


def bench_galaxies(loc, n_gal: int) -> None:
    from gcn import crossmatch

    print(f"\n== {n_gal:,} galaxies x 90 % region ==")
    params = {"loc": loc.pk}
    t_rank, _ = timed(lambda: crossmatch.matching_galaxies(loc, 0.9, limit=100))
    t_ours, n_ours = timed(lambda: crossmatch.count_galaxies(loc, 0.9))
    print(
        f"ours (count):                        {t_ours * 1e3:8.1f} ms  {n_ours:,} galaxies "
        f"(budget < 250 ms: {'OK' if t_ours < 0.25 else 'OVER'})"
    )
    print(
        f"ours (ranked by prob x distance, top 100): {t_rank * 1e3:6.1f} ms "
        f"(budget < 250 ms: {'OK' if t_rank < 0.25 else 'OVER'})"
    )
    ha_sql = HEALPIX_ALCHEMY_SQL.format(points="gcn_galaxy", extra="")
    from django.db import OperationalError

    try:
        t_ha, n_ha = timed(lambda: run(ha_sql, params)[0][0], repeat=1, warmup=False)
    except OperationalError:  # statement_timeout: report the lower bound
        print(
            f"healpix-alchemy form (count, @>):  > {HA_TIMEOUT_S * 1e3:8.0f} ms (stopped)"
            f"  → ours is > {HA_TIMEOUT_S / t_ours:,.0f}x faster"
        )
        return
    print(
        f"healpix-alchemy form (count, @>):    {t_ha * 1e3:8.1f} ms  {n_ha:,}"
        f"  → ours is {t_ha / t_ours:,.0f}x faster"
    )


if __name__ == "__main__":
    main()
