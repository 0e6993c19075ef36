"""Keep astropy (and astroplan, which uses it) from downloading anything.

astropy fetches IERS Earth-rotation tables and may fetch ephemerides on first use; these
machines have no internet, and a page must never wait on a download. ``configure()`` (run
from ``IcareTomConfig.ready()``, so in every process) turns the downloads off: the IERS
tables bundled with astropy (``astropy-iers-data``) are used, times beyond them degrade
accuracy with a warning instead of an error, and planet/Moon positions use astropy's
built-in ephemeris.
"""

from __future__ import annotations

_configured = False


def configure() -> None:
    global _configured
    if _configured:
        return
    from astropy.coordinates import solar_system_ephemeris
    from astropy.utils import iers
    from astropy.utils.data import conf as data_conf

    iers.conf.auto_download = False
    iers.conf.auto_max_age = None
    iers.conf.iers_degraded_accuracy = "warn"
    data_conf.allow_internet = False
    solar_system_ephemeris.set("builtin")
    _configured = True
