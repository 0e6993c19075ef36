"""Demo observation plan: a simulated LVK event (our own synthetic multi-order sky map, placed
where tonight's sky is dark at La Réunion) with a finished plan for TAROT Réunion, for the
demo groups GRANDMA-A and GRANDMA-B. Idempotent: an existing complete demo plan is kept.

Run by ``prepare_demo`` after ``seed_followup_demo`` (which loads TAROT Réunion's field
grid). The plan runs here, in this process (about 20 s the first time: gwemopt is imported).
"""

from __future__ import annotations

import io
import math
from datetime import UTC, datetime, timedelta

import numpy as np
from django.contrib.auth.models import Group
from django.core.management import BaseCommand
from django.utils import timezone

DEMO_EVENT = "S-DEMO-PLAN"
INSTRUMENT = "TAROT-Reunion"
GROUPS = ("GRANDMA-A", "GRANDMA-B")


def synthetic_skymap(ra_deg: float, dec_deg: float, sigma_deg: float, when: datetime) -> bytes:
    """A multi-order (NUNIQ, order 7) FITS sky map: a Gaussian blob at (ra, dec), degrees,
    with a distance layer (ligo.skymap ansatz, ~120 ± 30 Mpc), as LVK distributes them."""
    import astropy_healpix as ah
    from astropy.io import fits
    from astropy.table import Table

    order = 7
    nside = 2**order
    ipix = np.arange(12 * nside * nside, dtype=np.int64)
    lon, lat = ah.healpix_to_lonlat(ipix, nside, order="nested")
    ra0, dec0 = math.radians(ra_deg), math.radians(dec_deg)
    cos = np.sin(lat.rad) * math.sin(dec0) + np.cos(lat.rad) * math.cos(dec0) * np.cos(
        lon.rad - ra0
    )
    sep = np.degrees(np.arccos(np.clip(cos, -1, 1)))
    dens = np.exp(-0.5 * (sep / sigma_deg) ** 2)
    dens /= dens.sum() * ah.nside_to_pixel_area(nside).to_value("sr")
    table = Table(
        {
            "UNIQ": 4 * 4**order + ipix,
            "PROBDENSITY": dens,
            "DISTMU": np.full(ipix.size, 120.0),
            "DISTSIGMA": np.full(ipix.size, 30.0),
            "DISTNORM": np.full(ipix.size, 1.0 / (120.0**2 + 30.0**2)),
        }
    )
    hdu = fits.table_to_hdu(table)
    hdu.header["PIXTYPE"] = "HEALPIX"
    hdu.header["ORDERING"] = "NUNIQ"
    hdu.header["COORDSYS"] = "C"
    hdu.header["OBJECT"] = DEMO_EVENT
    hdu.header["ORIGIN"] = "LIGO/Virgo/KAGRA (simulated for the demo)"
    hdu.header["DATE-OBS"] = when.strftime("%Y-%m-%dT%H:%M:%S.%f")
    hdu.header["DISTMEAN"] = 120.0
    hdu.header["DISTSTD"] = 30.0
    buffer = io.BytesIO()
    fits.HDUList([fits.PrimaryHDU(), hdu]).writeto(buffer)
    return buffer.getvalue()


def dark_sky_position(latitude: float, longitude: float, after: datetime):
    """(ra, dec) in degrees that transits at the middle of the site's next night, and that
    night's [start, end] (Sun below -12°)."""
    import astropy.units as u
    from astropy.coordinates import AltAz, EarthLocation, get_sun
    from astropy.time import Time

    from planning import engine

    engine._offline_astropy()
    site = EarthLocation(lat=latitude * u.deg, lon=longitude * u.deg)
    times = Time(after) + np.arange(0, 36 * 12) * 5 * u.min
    alt = get_sun(times).transform_to(AltAz(obstime=times, location=site)).alt.deg
    dark = alt < engine.NIGHT_SUN_ALTITUDE_DEG
    start_i = int(np.argmax(dark))
    end_i = start_i + int(np.argmax(~dark[start_i:])) - 1
    middle = times[(start_i + end_i) // 2]
    ra = middle.sidereal_time("apparent", longitude=longitude * u.deg).deg
    dec = max(-80.0, min(80.0, latitude - 5.0))
    return ra, dec, times[start_i].to_datetime(UTC), times[end_i].to_datetime(UTC)


class Command(BaseCommand):
    help = "Seed a simulated LVK event with a finished observation plan (idempotent)."

    def handle(self, *args, **options):
        from facilities.models import Allocation, Instrument
        from gcn import events
        from gcn.models import GcnEvent
        from planning import services
        from planning.models import ObservationPlanRequest, PlanStatus

        instrument = Instrument.objects.select_related("telescope").filter(name=INSTRUMENT).first()
        if instrument is None or not instrument.fields.exists():
            self.stdout.write(f"Planning demo skipped: {INSTRUMENT} has no fields.")
            return
        now = timezone.now().replace(microsecond=0)
        allocations = []
        for name in GROUPS:
            group = Group.objects.filter(name=name).first()
            if group is None:
                continue
            allocation, _ = Allocation.objects.get_or_create(
                group=group,
                instrument=instrument,
                facility="Queue",
                defaults={"pi": "GRANDMA", "hours": 50, "start": now - timedelta(days=1),
                          "end": now + timedelta(days=365)},
            )  # fmt: skip
            allocations.append(allocation)
        event = GcnEvent.objects.filter(name=DEMO_EVENT).first()
        done = (
            event is not None
            and ObservationPlanRequest.objects.filter(
                event=event, status=PlanStatus.COMPLETE
            ).exists()
        )
        if done:
            self.stdout.write(f"Planning demo: {DEMO_EVENT} already has a finished plan.")
            return
        tel = instrument.telescope
        ra, dec, night_start, night_end = dark_sky_position(tel.latitude, tel.longitude, now)
        if event is None:
            raw = synthetic_skymap(ra, dec, 3.0, now - timedelta(minutes=30))
            result = events.ingest_bytes(
                raw, origin="demo", filename_hint=f"{DEMO_EVENT}.multiorder.fits"
            )
            event = result.event
        for allocation in allocations:
            body = {
                "allocation_ids": [allocation.pk],
                "start": night_start.isoformat(),
                "end": night_end.isoformat(),
                "filters": list(instrument.filters[:2]),
                "exposure_time": 60,
                "max_fields": 12,
                "schedule_type": "greedy_slew",
            }
            validated = services.validate_request(None, event, body, pool=[allocation])
            plan = services.create_plan(event, validated, dispatch=False)
            status = services.run_plan(plan.pk)
            plan.refresh_from_db()
            self.stdout.write(
                f"Planning demo: {DEMO_EVENT} plan {plan.pk} for {allocation.group.name} "
                f"({INSTRUMENT}) {status}"
                + (f": {plan.error}" if plan.error else
                   f", {plan.statistics.get('n_fields', 0)} fields, "
                   f"{100 * plan.statistics.get('probability', 0):.0f} % of the map")
            )  # fmt: skip
