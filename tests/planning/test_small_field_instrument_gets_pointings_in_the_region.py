"""An instrument loaded without a field grid (KAIT, 6.7' field: millions of fields to tile
the sky) is planned on the pointings of its footprint's whole-sky grid that fall inside the
event's credible region, the most probable first; a second plan reuses them."""

from __future__ import annotations

import numpy as np
import pytest

from facilities.instruments import load_instrument_file
from facilities.models import Instrument, InstrumentField
from gcn.models import LocalizationTile
from planning import region_fields
from sources.sky import healpix_index_order29
from tests.planning.conftest import REPO_ROOT, allocate, make_plan, plan_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def kait(db):
    load_instrument_file(REPO_ROOT / "config" / "instruments" / "kait.yaml")
    return Instrument.objects.select_related("telescope").get(name="KAIT-CCD")


def _in_region(localization, level, ra, dec) -> np.ndarray:
    tiles = np.array(
        LocalizationTile.objects.filter(localization=localization, cumprob__lte=level)
        .order_by("lower")
        .values_list("lower", "upper"),
        dtype=np.int64,
    )
    pixels = healpix_index_order29(ra, dec)
    i = np.searchsorted(tiles[:, 0], pixels, side="right") - 1
    return (i >= 0) & (pixels < tiles[np.clip(i, 0, None), 1])


def test_it_plans_a_small_field_telescope_on_pointings_in_the_region(
    alice, group_a, lvk_event, kait
):
    assert not InstrumentField.objects.filter(instrument=kait).exists()
    allocate(group_a, kait)
    body = plan_body([kait.pk], filters=["bessellr"], exposure_times=[60], max_fields=20)
    plan = make_plan(alice, lvk_event, body)

    assert plan.status == "complete", plan.error
    fields = InstrumentField.objects.filter(instrument=kait)
    n_fields = fields.count()
    assert 0 < n_fields <= region_fields.MAX_REGION_FIELDS
    ra, dec = (np.array(c) for c in zip(*fields.values_list("ra", "dec"), strict=True))
    assert _in_region(plan.localization, plan.probability, ra, dec).all()
    assert all(
        f >= region_fields.REGION_FIELD_ID_BASE for f in fields.values_list("field_id", flat=True)
    )
    assert any("pointings of its footprint's grid added" in note for note in plan.notes)
    planned = plan.planned_observations.all()
    assert planned.exists() and all(o.field.instrument_id == kait.pk for o in planned)

    again = make_plan(alice, lvk_event, body)
    assert again.status == "complete"
    assert InstrumentField.objects.filter(instrument=kait).count() == n_fields  # reused
    assert not any("pointings" in note for note in again.notes)


def test_it_keeps_grid_ids_stable_whatever_band_is_asked():
    footprint = {"type": "rectangle", "width": 0.5, "height": 0.5}
    ids_a, ra_a, dec_a = region_fields.footprint.whole_sky_grid_band(footprint, -30, -10)
    ids_b, ra_b, dec_b = region_fields.footprint.whole_sky_grid_band(footprint, -20, 10)
    common = np.intersect1d(ids_a, ids_b)
    assert common.size > 1000
    pos_a = {i: (r, d) for i, r, d in zip(ids_a, ra_a, dec_a, strict=True)}
    pos_b = {i: (r, d) for i, r, d in zip(ids_b, ra_b, dec_b, strict=True)}
    assert all(pos_a[i] == pos_b[i] for i in common)
    assert region_fields.footprint.whole_sky_grid_size(footprint) == len(
        region_fields.footprint.whole_sky_grid_band(footprint, -90, 90)[0]
    )
