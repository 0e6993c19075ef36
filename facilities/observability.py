"""Tonight at a telescope for one target: airmass curve, rise/set/transit, Moon, whether it is
observable — computed with astroplan/astropy (nothing downloaded: ``icare_tom.offline_science``)
and cached, so the source page stays within its budget.

"Tonight" is the first dark interval (Sun below -12°, nautical twilight) in the 24 h from
the start of the current hour; "observable" means above 30° altitude (airmass < 2) for at
least 15 minutes of it. Times are UTC, angles degrees.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
from django.core.cache import cache

STEP_MIN = 10
SUN_DARK_DEG = -12.0
MIN_ALT_DEG = 30.0
MIN_OBSERVABLE_MIN = 15
CACHE_S = 3600
CACHE_VERSION = 1


def _grid(start: datetime) -> list[datetime]:
    return [start + timedelta(minutes=STEP_MIN * i) for i in range(24 * 60 // STEP_MIN + 1)]


def _crossings(
    times: list[datetime], alt: np.ndarray, level: float
) -> tuple[str | None, str | None]:
    """First rising and first setting time through ``level`` (linear interpolation)."""
    rise = set_ = None
    above = alt >= level
    for i in np.nonzero(above[1:] != above[:-1])[0]:
        frac = (level - alt[i]) / (alt[i + 1] - alt[i])
        when = times[i] + (times[i + 1] - times[i]) * float(frac)
        if above[i + 1] and rise is None:
            rise = when.isoformat().replace("+00:00", "Z")
        if not above[i + 1] and set_ is None:
            set_ = when.isoformat().replace("+00:00", "Z")
    return rise, set_


def compute(
    ra_deg: float, dec_deg: float, lat_deg: float, lon_deg: float, elev_m: float, start: datetime
) -> dict:
    """Tonight's visibility of (ra, dec) from the site, over the 24 h after ``start``."""
    import astropy.units as u
    from astroplan import FixedTarget, Observer
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord, get_body
    from astropy.time import Time

    from icare_tom.offline_science import configure

    configure()
    observer = Observer(
        location=EarthLocation(lat=lat_deg * u.deg, lon=lon_deg * u.deg, height=(elev_m or 0) * u.m)
    )
    target = FixedTarget(SkyCoord(ra_deg * u.deg, dec_deg * u.deg))
    times = _grid(start)
    t = Time(times)
    frame = AltAz(obstime=t, location=observer.location)
    sun_alt = get_body("sun", t, observer.location).transform_to(frame).alt.deg
    alt = observer.altaz(t, target).alt.deg
    dark = sun_alt < SUN_DARK_DEG
    result: dict = {"dark": False, "observable": False}
    rise, set_ = _crossings(times, alt, 0.0)
    result["rise"], result["set"] = rise, set_
    transit_i = int(np.argmax(alt))
    result["transit"] = times[transit_i].isoformat().replace("+00:00", "Z")
    result["max_alt"] = round(float(alt[transit_i]), 1)
    if not dark.any():
        result["reason"] = "no dark time in the next 24 h"
        return result
    first = int(np.argmax(dark))
    last = first
    while last + 1 < len(times) and dark[last + 1]:
        last += 1
    result["dark"] = True
    result["night_start"] = times[first].isoformat().replace("+00:00", "Z")
    result["night_end"] = times[last].isoformat().replace("+00:00", "Z")
    night = slice(max(first - 6, 0), min(last + 7, len(times)))
    curve_alt = alt[night]
    airmass = np.where(curve_alt > 5, 1 / np.sin(np.radians(np.maximum(curve_alt, 5))), None)
    result["curve"] = {
        "times": [x.isoformat().replace("+00:00", "Z") for x in times[night]],
        "airmass": [None if a is None or a > 3.5 else round(float(a), 3) for a in airmass],
    }
    good = (alt[first : last + 1] >= MIN_ALT_DEG).sum() * STEP_MIN
    result["observable"] = bool(good >= MIN_OBSERVABLE_MIN)
    result["observable_minutes"] = int(good)
    if not result["observable"]:
        result["reason"] = f"below {MIN_ALT_DEG:.0f}° during the night"
    mid = Time(times[(first + last) // 2])
    moon = get_body("moon", mid, observer.location)
    result["moon_distance"] = round(
        float(moon.separation(target.coord, origin_mismatch="ignore").deg), 1
    )
    result["moon_illumination"] = round(float(observer.moon_illumination(mid)), 2)
    return result


def _key(target, telescope, hour: datetime) -> str:
    return f"obs:{CACHE_VERSION}:{target.pk}:{telescope.pk}:{hour:%Y%m%d%H}"


def _usable(target, telescope) -> bool:
    return (
        telescope.fixed_location
        and telescope.latitude is not None
        and telescope.longitude is not None
        and target.ra is not None
        and target.dec is not None
    )


def tonight_many(target, telescopes, now: datetime | None = None) -> list[dict | None]:
    """Cached :func:`compute` for a target at several telescopes (one cache round trip when
    all are cached; None for telescopes without a fixed site); recomputed once an hour."""
    now = now or datetime.now(UTC)
    hour = now.replace(minute=0, second=0, microsecond=0)
    keys = {t.pk: _key(target, t, hour) for t in telescopes if _usable(target, t)}
    cached = cache.get_many(list(keys.values())) if keys else {}
    out: list[dict | None] = []
    for telescope in telescopes:
        key = keys.get(telescope.pk)
        if key is None:
            out.append(None)
            continue
        result = cached.get(key)
        if result is None:
            result = compute(
                float(target.ra),
                float(target.dec),
                telescope.latitude,
                telescope.longitude,
                telescope.elevation or 0.0,
                hour,
            )
            cache.set(key, result, CACHE_S)
        out.append({**result, "telescope": telescope.nickname, "telescope_name": telescope.name})
    return out


def tonight(target, telescope, now: datetime | None = None) -> dict | None:
    """Tonight at one telescope (see :func:`tonight_many`)."""
    return tonight_many(target, [telescope], now)[0]
