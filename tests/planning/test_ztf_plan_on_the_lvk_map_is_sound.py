"""A one-night ZTF plan on the real bayestar map (MS181101ab) and the real ZTF grid at a fixed
Palomar night: every field overlaps the 90 % region, every exposure starts inside the window
at night, every airmass is within the limit, and the statistics equal an independent
computation from the stored tiles."""

from __future__ import annotations

import math

import numpy as np
import pytest

from facilities.models import InstrumentFieldTile
from gcn.models import LocalizationTile
from planning.models import PlanStatus
from tests.planning.conftest import NIGHT_END, NIGHT_START, PALOMAR, make_plan, plan_body

pytestmark = pytest.mark.django_db
PIXEL_DEG2 = 4 * math.pi / (12 * 4.0**29) * (180 / math.pi) ** 2


def _merge(lo, hi):
    order = np.argsort(lo, kind="stable")
    lo, hi = np.asarray(lo)[order], np.asarray(hi)[order]
    out_lo, out_hi = [], []
    for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
        if out_hi and a <= out_hi[-1]:
            out_hi[-1] = max(out_hi[-1], b)
        else:
            out_lo.append(a)
            out_hi.append(b)
    return np.array(out_lo, dtype=np.int64), np.array(out_hi, dtype=np.int64)


def _overlap(lo, hi, tiles_lo, tiles_hi):
    """Per tile, the number of order-29 cells it shares with the union of [lo, hi)."""
    total = np.zeros(tiles_lo.size, dtype=np.float64)
    for a, b in zip(lo.tolist(), hi.tolist(), strict=True):
        total += np.clip(np.minimum(tiles_hi, b) - np.maximum(tiles_lo, a), 0, None)
    return total


def test_it_plans_ztf_inside_the_region_at_night(alice, lvk_event, ztf, ztf_allocation):
    from astropy import units as u
    from astropy.coordinates import AltAz, EarthLocation, SkyCoord, get_sun
    from astropy.time import Time

    plan = make_plan(alice, lvk_event, plan_body([ztf.pk]))
    assert plan.status == PlanStatus.COMPLETE, plan.error
    observations = list(plan.planned_observations.select_related("field"))
    assert 4 <= len(observations) <= 2 * 12
    assert {o.filter for o in observations} == {"ztfg", "ztfr"}

    loc = plan.localization
    tiles = np.array(
        LocalizationTile.objects.filter(localization=loc).values_list(
            "lower", "upper", "probdensity", "cumprob"
        )
    )
    t_lo, t_hi = tiles[:, 0].astype(np.int64), tiles[:, 1].astype(np.int64)
    dens, cum = tiles[:, 2], tiles[:, 3]
    region = cum <= 0.9

    field_tiles = {}
    for field_id, lo, hi in InstrumentFieldTile.objects.filter(
        field_id__in={o.field_id for o in observations}
    ).values_list("field_id", "lower", "upper"):
        field_tiles.setdefault(field_id, ([], []))
        field_tiles[field_id][0].append(lo)
        field_tiles[field_id][1].append(hi)

    # every planned field overlaps the 90 % region
    for field_id, (lo, hi) in field_tiles.items():
        shared = _overlap(np.array(lo), np.array(hi), t_lo[region], t_hi[region])
        assert shared.sum() > 0, f"field {field_id} misses the 90 % region"

    # inside the window, at night at Palomar, airmass within the limit (recomputed here)
    times = Time([o.obstime for o in observations])
    ends = times + np.array([o.exposure_time for o in observations]) * u.s
    assert all(o.obstime >= NIGHT_START for o in observations)
    assert all(
        o.obstime.timestamp() + o.exposure_time <= NIGHT_END.timestamp() for o in observations
    )
    lat, lon, height = PALOMAR
    site = EarthLocation(lat=lat * u.deg, lon=lon * u.deg, height=height * u.m)
    coords = SkyCoord([o.ra for o in observations], [o.dec for o in observations], unit="deg")
    for when in (times, ends):
        frame = AltAz(obstime=when, location=site)
        assert np.all(get_sun(when).transform_to(frame).alt.deg < -12.0)
        alt = coords.transform_to(frame).alt.deg
        assert np.all(1 / np.sin(np.radians(alt)) <= 2.0 + 1e-6)
    assert all(o.airmass <= 2.0 for o in observations)

    # statistics equal an independent computation from the stored tiles
    stats = plan.statistics
    all_lo = np.concatenate([np.array(v[0]) for v in field_tiles.values()])
    all_hi = np.concatenate([np.array(v[1]) for v in field_tiles.values()])
    u_lo, u_hi = _merge(all_lo, all_hi)
    area = float((u_hi - u_lo).sum()) * PIXEL_DEG2
    shared = _overlap(u_lo, u_hi, t_lo, t_hi)
    probability = float((shared * dens).sum()) * PIXEL_DEG2 / (180 / math.pi) ** 2
    assert stats["n_observations"] == len(observations)
    assert stats["area"] == pytest.approx(area, rel=1e-9)
    assert stats["probability"] == pytest.approx(probability, rel=1e-9)
    assert 0.3 < stats["probability"] <= 1.0
    assert stats["total_time"] == pytest.approx(sum(o.exposure_time for o in observations))
    assert stats["total_time_with_overheads"] > stats["total_time"]
    assert stats["first"].startswith(
        min(o.obstime for o in observations).strftime("%Y-%m-%dT%H:%M")
    )
    for name, per in stats["per_filter"].items():
        lo = np.concatenate(
            [np.array(field_tiles[o.field_id][0]) for o in observations if o.filter == name]
        )
        hi = np.concatenate(
            [np.array(field_tiles[o.field_id][1]) for o in observations if o.filter == name]
        )
        f_lo, f_hi = _merge(lo, hi)
        assert per["area"] == pytest.approx(float((f_hi - f_lo).sum()) * PIXEL_DEG2, rel=1e-9)
    assert plan.progress == 100 and plan.stage == "stored"
    assert plan.n_candidate_fields >= len(field_tiles)
