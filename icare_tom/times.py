"""Time conversions, in one place: Julian Date (JD), Modified Julian Date (MJD) and Unix
time. Days for JD/MJD, seconds for Unix time, UTC for datetimes; the functions take
floats or numpy arrays alike.

No leap-second or TAI/UTC bookkeeping: MJD here is a continuous day count aligned with
Unix time (as the surveys' alert times are used for ordering and display).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar

JD_MJD_OFFSET = 2400000.5  # JD - MJD, days
MJD_UNIX_EPOCH = 40587.0  # MJD of 1970-01-01T00:00:00 UTC
SECONDS_PER_DAY = 86400.0

T = TypeVar("T")  # float or numpy array


def jd_to_mjd(jd: T) -> T:
    """MJD (days) of a Julian Date (days)."""
    return jd - JD_MJD_OFFSET


def mjd_to_jd(mjd: T) -> T:
    """Julian Date (days) of an MJD (days)."""
    return mjd + JD_MJD_OFFSET


def mjd_to_unix(mjd: T) -> T:
    """Unix time (s) of an MJD (days)."""
    return (mjd - MJD_UNIX_EPOCH) * SECONDS_PER_DAY


def unix_to_mjd(seconds: T) -> T:
    """MJD (days) of a Unix time (s)."""
    return seconds / SECONDS_PER_DAY + MJD_UNIX_EPOCH


def mjd_to_datetime(mjd: float) -> datetime:
    """The aware UTC datetime of an MJD (days)."""
    return datetime.fromtimestamp(mjd_to_unix(mjd), UTC)


def datetime_to_mjd(t: datetime) -> float:
    """MJD (days) of an aware datetime."""
    return unix_to_mjd(t.timestamp())
