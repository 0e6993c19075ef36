"""The scheduling engine: gwemopt run on fields chosen in SQL and on the stored sky-map tiles.

Django-free, so the planning worker, the benchmark and the tests call it the same way.
gwemopt (and its lalsuite/numba stack) is imported inside :func:`schedule` only: nothing
that the web process or the alert consumers import pulls it in.

Inputs are already in our layout: the localization as order-29 ranges ``[lower, upper)``
with a probability density per steradian (one tile per multi-order cell), and each
instrument's candidate fields with their footprints as order-29 ranges. gwemopt gets the
fields' MOCs built from those ranges (``MOC.from_depth29_ranges``) — it never re-tiles the
sky — and a multi-order map rebuilt from the tiles. What we ask of gwemopt is what it is
good at: per-field probabilities, observability windows (night, airmass, Moon) and the
greedy/sear/airmass-weighted schedule. The credible level picks the candidate fields; the
Galactic-plane band is cut from the map before gwemopt runs; after it, every observation
is checked again (inside the window, Sun below -12°, airmass within the limit at start and
end), and several instruments are planned in turn so that sky already scheduled by one is not
planned again by the next (unless overlap is allowed).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import numpy as np

from sources.sky import merge_ranges

ORDER_MAX = 29
NIGHT_SUN_ALTITUDE_DEG = -12.0  # gwemopt's night: nautical twilight
SCHEDULE_TYPES = ("greedy", "greedy_slew", "sear", "airmass_weighted")
FILTER_STRATEGIES = ("block", "integrated")


class PlanningError(Exception):
    """A plan that cannot be made; the message is shown to the user as the reason."""


class Cancelled(Exception):
    """Raised by a progress callback to stop a plan that was cancelled meanwhile."""


@dataclass(frozen=True)
class SkyMap:
    """A localization as order-29 tiles: ``lower``/``upper`` int64, ``probdensity`` per sr,
    ``cumprob`` the credible level of each tile (inside the p region ⇔ ``cumprob <= p``)."""

    lower: np.ndarray
    upper: np.ndarray
    probdensity: np.ndarray
    cumprob: np.ndarray

    def uniq(self) -> np.ndarray:
        span = (self.upper - self.lower).astype(np.float64)
        order = ORDER_MAX - (np.log2(span).round().astype(np.int64) // 2)
        ipix = self.lower >> (2 * (ORDER_MAX - order))
        return (np.int64(4) << (2 * order)) + ipix


@dataclass(frozen=True)
class Field:
    """One pointing: ``field_id`` (the grid's own id), centre in degrees, footprint ranges."""

    field_id: int
    ra: float
    dec: float
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class Instrument:
    """What gwemopt needs of one instrument: its site (degrees, metres), its timings in
    seconds (slew rate in deg/s) and its candidate fields."""

    key: str
    latitude: float
    longitude: float
    elevation: float
    fields: Sequence[Field]
    readout: float = 0.0
    overhead_per_exposure: float = 0.0
    filter_change_time: float = 0.0
    slew_rate: float = 1.0
    fov_deg: float = 1.0
    filters: Sequence[str] | None = None  # None: the request's filters


@dataclass(frozen=True)
class Settings:
    """A request's scheduling settings. Times aware UTC; exposure times in seconds, one per
    filter; ``min_filter_separation`` in seconds (integrated strategy); ``galactic_limit``
    in degrees of |b| (0: none); ``probability`` the credible level in (0, 1]."""

    start: datetime
    end: datetime
    filters: Sequence[str]
    exposure_times: Sequence[float]
    filter_strategy: str = "block"
    min_filter_separation: float = 0.0
    schedule_type: str = "greedy"
    probability: float = 0.9
    max_airmass: float = 2.0
    galactic_limit: float = 0.0
    max_fields: int | None = None
    allow_overlap: bool = False


@dataclass(frozen=True)
class Observation:
    """One planned exposure. ``obstime`` aware UTC (start); ``exposure_time`` s;
    ``probability`` gwemopt's weight of the field (its share of the cut map)."""

    instrument: str
    field_id: int
    ra: float
    dec: float
    filter: str
    obstime: datetime
    exposure_time: float
    airmass: float
    probability: float


@dataclass
class Result:
    observations: list[Observation] = field(default_factory=list)
    dropped: int = 0  # gwemopt slots refused by our own night/airmass/window check
    notes: list[str] = field(default_factory=list)


Progress = Callable[[str], None]


def check_settings(s: Settings) -> None:
    """Raise :class:`PlanningError` for settings no plan can satisfy."""
    if not (0.0 < s.probability <= 1.0) or not math.isfinite(s.probability):
        raise PlanningError("probability must be in (0, 1]")
    if s.end <= s.start:
        raise PlanningError("the window ends before it starts")
    if s.end - s.start > timedelta(days=7):
        raise PlanningError("the window is longer than 7 days")
    if not s.filters or len(s.filters) != len(s.exposure_times):
        raise PlanningError("give one exposure time per filter")
    if any(not (0 < t <= 3600) for t in s.exposure_times):
        raise PlanningError("exposure times must be in (0, 3600] s")
    if s.schedule_type not in SCHEDULE_TYPES:
        raise PlanningError(f"schedule type must be one of {', '.join(SCHEDULE_TYPES)}")
    if s.filter_strategy not in FILTER_STRATEGIES:
        raise PlanningError("filter strategy must be block or integrated")
    if not (1.0 <= s.max_airmass <= 5.0):
        raise PlanningError("maximum airmass must be in [1, 5]")


def _offline_astropy() -> None:
    from astropy.utils import iers

    # The machines have no internet: never try to download IERS tables.
    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    # Plans for dates beyond the bundled IERS tables (the future) use predicted values.
    iers.conf.iers_degraded_accuracy = "warn"


def covered_fraction(lower: np.ndarray, upper: np.ndarray, cov_lo, cov_hi) -> np.ndarray:
    """Fraction of each tile ``[lower, upper)`` inside the union of sorted disjoint ranges
    ``[cov_lo, cov_hi)`` (all order-29 indices)."""
    cov_lo = np.asarray(cov_lo, dtype=np.int64)
    cov_hi = np.asarray(cov_hi, dtype=np.int64)
    if cov_lo.size == 0:
        return np.zeros(lower.shape, dtype=np.float64)
    lengths = (cov_hi - cov_lo).astype(np.float64)
    before = np.concatenate(([0.0], np.cumsum(lengths)))

    def covered_below(x: np.ndarray) -> np.ndarray:
        i = np.searchsorted(cov_lo, x, side="right")  # ranges starting at or before x
        full = before[np.maximum(i - 1, 0)]
        last_lo = cov_lo[np.maximum(i - 1, 0)]
        last_hi = cov_hi[np.maximum(i - 1, 0)]
        part = np.clip(x - last_lo, 0, last_hi - last_lo).astype(np.float64)
        return np.where(i > 0, full + part, 0.0)

    span = (upper - lower).astype(np.float64)
    return (covered_below(upper) - covered_below(lower)) / span


def _galactic_b(ra: np.ndarray, dec: np.ndarray) -> np.ndarray:
    from astropy.coordinates import SkyCoord

    return SkyCoord(ra=ra, dec=dec, unit="deg", frame="icrs").galactic.b.deg


def _tile_centres(sky: SkyMap) -> tuple[np.ndarray, np.ndarray]:
    import astropy_healpix as ah

    uniq = sky.uniq()
    level, ipix = ah.uniq_to_level_ipix(uniq)
    lon, lat = ah.healpix_to_lonlat(ipix, ah.level_to_nside(level), order="nested")
    return lon.deg, lat.deg


def schedulable_density(sky: SkyMap, s: Settings) -> np.ndarray:
    """Probability density (/sr) gwemopt weights fields with: the map's, zero inside the
    Galactic-plane band. The credible level chose the candidate fields (in SQL); each is
    then worth all the probability it covers, inside the region or just outside it."""
    dens = np.array(sky.probdensity, dtype=np.float64)
    if s.galactic_limit > 0:
        ra, dec = _tile_centres(sky)
        dens = np.where(np.abs(_galactic_b(ra, dec)) < s.galactic_limit, 0.0, dens)
    return dens


AIRMASS_MARGIN_DEG = 1.0


def _gwemopt_airmass(max_airmass: float) -> float:
    """The airmass limit handed to gwemopt: 1° of altitude stricter than asked, because
    gwemopt keeps an exposure that merely overlaps a field's observable window (it may start
    just before the field rises through the limit); our own check then has nothing to drop
    at the edges."""
    alt = math.degrees(math.asin(1.0 / max_airmass)) + AIRMASS_MARGIN_DEG
    return 1.0 / math.sin(math.radians(min(alt, 89.9)))


def _params(s: Settings, inst: Instrument, fields_by_key: dict) -> dict:
    from astropy.time import Time
    from gwemopt.args import parse_args

    filters = list(s.filters)
    params = dict(vars(parse_args([])))
    start, end = Time(s.start), Time(s.end)
    params.update(
        {
            "telescopes": [inst.key],
            "tilesType": "moc",
            "doSingleExposure": True,
            "doAlternatingFilters": s.filter_strategy == "block",
            "filters": filters,
            "exposuretimes": np.array(s.exposure_times, dtype=float),
            "scheduleType": s.schedule_type,
            "mindiff": float(s.min_filter_separation),
            "airmass": _gwemopt_airmass(s.max_airmass),
            "gpstime": start.gps,
            "Tobs": np.array([0.0, (end - start).jd]),
            "start_time": start,
            "end_time": end,
            "max_nb_tiles": None if not s.max_fields else np.array([s.max_fields], dtype=float),
            "galactic_limit": 0.0,  # applied to the map before (schedulable_density)
            "confidence_level": 1.0,  # idem
            "doParallel": False,
            "plots": [],
            "movie": False,
            "ignore_observability": False,
            "solverType": "heuristic",
            "unbalanced_tiles": None,
            "treasuremap_token": None,
            "treasuremap_status": [],
            "observedTiles": [],
            "coverageFiles": None,
            "catalog": None,
            "timeallocationType": "powerlaw",
            "doOrderByObservability": False,
            "doIterativeTiling": False,
            "doOverlappingScheduling": False,
            "doBalanceExposure": False,
            "doReferences": False,
            "doUsePrimary": False,
            "doUseSecondary": False,
            "doChipGaps": False,
        }
    )
    params["config"] = {
        inst.key: {
            "telescope": inst.key,
            "latitude": inst.latitude,
            "longitude": inst.longitude,
            "elevation": inst.elevation,
            "horizon": 90.0 - math.degrees(math.acos(1.0 / _gwemopt_airmass(s.max_airmass))),
            "readout": inst.readout,
            "slew_rate": inst.slew_rate or 1.0,
            "overhead_per_exposure": inst.overhead_per_exposure + inst.readout,
            "filt_change_time": inst.filter_change_time,
            "exposuretime": float(max(s.exposure_times)),
            "magnitude": 0.0,
            "FOV": inst.fov_deg,
            "FOV_coverage": inst.fov_deg,
            "FOV_type": "square",
            "FOV_coverage_type": "square",
            "filt": filters[0],
            "tesselation": np.array([[k, f.ra, f.dec] for k, f in fields_by_key.items()]),
        }
    }
    return params


def _altaz(lat: float, lon: float, elev: float, times, ra, dec):
    """(target altitude, Sun altitude) in degrees at ``times`` (astropy Time array)."""
    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord, get_sun

    site = EarthLocation(lat=lat * u.deg, lon=lon * u.deg, height=elev * u.m)
    frame = AltAz(obstime=times, location=site)
    alt = SkyCoord(ra=ra, dec=dec, unit="deg").transform_to(frame).alt.deg
    sun = get_sun(times).transform_to(frame).alt.deg
    return alt, sun


def airmass_of(alt_deg: np.ndarray) -> np.ndarray:
    """Plane-parallel airmass sec(z) (gwemopt's), ``inf`` at or below the horizon."""
    alt = np.asarray(alt_deg, dtype=np.float64)
    with np.errstate(divide="ignore"):
        return np.where(alt > 0, 1.0 / np.sin(np.radians(alt)), np.inf)


def schedule(
    sky: SkyMap,
    instruments: Sequence[Instrument],
    s: Settings,
    progress: Progress = lambda stage: None,
) -> Result:
    """Plan the instruments in turn on the map; return the checked observations by time.

    ``progress`` is called with ``"tiles weighted"`` and ``"schedule built"``; it may raise
    :class:`Cancelled`. Raises :class:`PlanningError` with a reason a user can act on.
    """
    check_settings(s)
    _offline_astropy()
    os.environ.setdefault("NUMBA_CACHE_DIR", os.path.join(os.path.expanduser("~"), ".cache"))
    import gwemopt.coverage
    import gwemopt.segments
    import gwemopt.tiles
    from astropy.table import Table
    from mocpy import MOC

    if not instruments:
        raise PlanningError("no instrument to plan")
    if not any(inst.fields for inst in instruments):
        raise PlanningError("no field of these instruments overlaps the credible region")

    dens = schedulable_density(sky, s)
    if not np.any(dens > 0):
        raise PlanningError("nothing left to observe after the credible-level and plane cuts")
    uniq = sky.uniq()

    def map_struct_of(density: np.ndarray) -> dict:
        table = Table({"UNIQ": uniq, "PROBDENSITY": density})
        return {"skymap": table, "skymap_schedule": table}

    result = Result()
    covered_lo = np.empty(0, dtype=np.int64)
    covered_hi = np.empty(0, dtype=np.int64)
    weighted = False
    for inst in instruments:
        fields = list(inst.fields)
        if s.galactic_limit > 0 and fields:
            b = _galactic_b(np.array([f.ra for f in fields]), np.array([f.dec for f in fields]))
            fields = [f for f, bb in zip(fields, b, strict=True) if abs(bb) >= s.galactic_limit]
        if not fields:
            result.notes.append(f"{inst.key}: no field left to plan")
            continue
        by_key = {int(f.field_id): f for f in fields}
        params = _params(s, inst, by_key)
        params = gwemopt.segments.get_telescope_segments(params)
        if params["config"][inst.key]["n_windows"] == 0:
            raise PlanningError(
                f"no night at the site of {inst.key} between {s.start:%Y-%m-%d %H:%M} and "
                f"{s.end:%Y-%m-%d %H:%M} UTC"
            )
        density = dens
        if not s.allow_overlap and covered_lo.size:
            density = dens * (1.0 - covered_fraction(sky.lower, sky.upper, covered_lo, covered_hi))
        map_struct = map_struct_of(density)
        moc_structs = {
            inst.key: {
                key: {
                    "ra": f.ra,
                    "dec": f.dec,
                    "moc": MOC.from_depth29_ranges(
                        ORDER_MAX, np.stack([f.lower, f.upper], axis=1).astype(np.uint64)
                    ),
                }
                for key, f in by_key.items()
            }
        }
        tile_structs = gwemopt.tiles.moc(params, map_struct, moc_structs)
        if not weighted:
            progress("tiles weighted")
            weighted = True
        _, coverage = gwemopt.coverage.timeallocation(params, map_struct, tile_structs)
        rows = np.asarray(coverage["data"]).reshape(-1, 8)
        filters = [str(f) for f in np.asarray(coverage["filters"]).ravel()]
        kept = _checked(inst, s, rows, filters, result)
        result.observations.extend(kept)
        if kept and not s.allow_overlap:
            lo = np.concatenate([covered_lo, *[by_key[o.field_id].lower for o in kept]])
            hi = np.concatenate([covered_hi, *[by_key[o.field_id].upper for o in kept]])
            covered_lo, covered_hi = merge_ranges(lo, hi)
    progress("schedule built")
    result.observations.sort(key=lambda o: (o.obstime, o.instrument, o.field_id))
    return result


def _checked(
    inst: Instrument, s: Settings, rows: np.ndarray, filters: list[str], result: Result
) -> list[Observation]:
    """gwemopt's rows as observations, keeping only those inside the window, at night and
    within the airmass limit at both ends of the exposure."""
    from astropy.time import Time

    if rows.size == 0:
        return []
    ra, dec, mjd, exptime = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 4]
    start = Time(mjd, format="mjd", scale="utc")
    end = start + exptime / 86400.0
    alt0, sun0 = _altaz(inst.latitude, inst.longitude, inst.elevation, start, ra, dec)
    alt1, sun1 = _altaz(inst.latitude, inst.longitude, inst.elevation, end, ra, dec)
    am0, am1 = airmass_of(alt0), airmass_of(alt1)
    t0 = s.start.timestamp()
    t1 = s.end.timestamp()
    unix0 = (mjd - 40587.0) * 86400.0
    ok = (
        (unix0 >= t0 - 1e-3)
        & (unix0 + exptime <= t1 + 1e-3)
        & (sun0 <= NIGHT_SUN_ALTITUDE_DEG)
        & (sun1 <= NIGHT_SUN_ALTITUDE_DEG)
        & (am0 <= s.max_airmass)
        & (am1 <= s.max_airmass)
    )
    result.dropped += int((~ok).sum())
    if os.environ.get("ICARE_PLANNING_DEBUG"):
        for i in np.nonzero(~ok)[0]:
            print("dropped", rows[i], filters[i], sun0[i], sun1[i], am0[i], am1[i])
    configured = dict(zip(s.filters, s.exposure_times, strict=True))
    out = []
    for i in np.nonzero(ok)[0]:
        out.append(
            Observation(
                instrument=inst.key,
                field_id=int(rows[i, 5]),
                ra=float(ra[i]),
                dec=float(dec[i]),
                filter=filters[i],
                obstime=datetime.fromtimestamp(round(float(unix0[i]), 3), tz=UTC),
                exposure_time=float(configured.get(filters[i], round(exptime[i], 3))),
                airmass=float(max(am0[i], am1[i])),
                probability=float(rows[i, 6]),
            )
        )
    return out
