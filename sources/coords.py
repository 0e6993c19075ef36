"""Sky coordinates as a scanner reads them: sexagesimal text and galactic latitude (deg)."""

from __future__ import annotations

import numpy as np


def sexagesimal(ra_deg, dec_deg) -> tuple[list[str], list[str]]:
    """RA (deg) → 'hh:mm:ss.ss', Dec (deg) → '±dd:mm:ss.s', vectorised."""
    ra_deg = np.asarray(ra_deg, dtype=float)
    dec_deg = np.asarray(dec_deg, dtype=float)
    ra_seconds = np.round(np.mod(ra_deg, 360.0) / 15.0 * 3600.0, 2) % 86400.0
    hours, rest = np.divmod(ra_seconds, 3600.0)
    minutes, seconds = np.divmod(rest, 60.0)
    ras = [
        f"{int(h):02d}:{int(m):02d}:{s:05.2f}"
        for h, m, s in zip(hours, minutes, seconds, strict=True)
    ]
    dec_arcsec = np.round(np.abs(dec_deg) * 3600.0, 1)
    degrees, rest = np.divmod(dec_arcsec, 3600.0)
    arcmin, arcsec = np.divmod(rest, 60.0)
    decs = [
        f"{'-' if d < 0 else '+'}{int(dd):02d}:{int(mm):02d}:{ss:04.1f}"
        for d, dd, mm, ss in zip(dec_deg, degrees, arcmin, arcsec, strict=True)
    ]
    return ras, decs


# ICRS → Galactic rotation (the matrix astropy uses for the Galactic frame).
_ICRS_TO_GALACTIC = None


def galactic_latitude(ra_deg, dec_deg) -> np.ndarray:
    """Galactic latitude b (deg) of ICRS positions (deg), vectorised."""
    global _ICRS_TO_GALACTIC
    if _ICRS_TO_GALACTIC is None:
        from astropy.coordinates import SkyCoord

        basis = SkyCoord(
            x=[1.0, 0.0, 0.0], y=[0.0, 1.0, 0.0], z=[0.0, 0.0, 1.0],
            representation_type="cartesian", frame="icrs",
        )  # fmt: skip
        # Column j is the image of the ICRS unit vector j: the rotation matrix itself.
        _ICRS_TO_GALACTIC = basis.galactic.cartesian.xyz.value
    ra, dec = (
        np.radians(np.asarray(ra_deg, dtype=float)),
        np.radians(np.asarray(dec_deg, dtype=float)),
    )
    xyz = np.stack([np.cos(dec) * np.cos(ra), np.cos(dec) * np.sin(ra), np.sin(dec)])
    z = (_ICRS_TO_GALACTIC @ xyz)[2]
    return np.degrees(np.arcsin(np.clip(z, -1.0, 1.0)))
