"""Galaxy-targeted tiling: with galaxies loaded (``load_galaxies``), the fields are weighted
by the galaxies they hold (localization density times distance agreement), so every planned
field holds one of the catalogued galaxies of the region."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.management import call_command

from facilities.models import InstrumentFieldTile
from planning.models import PlanStatus
from sources.sky import healpix_index_order29
from tests.planning.conftest import make_plan, plan_body

pytestmark = pytest.mark.django_db

# Our own test galaxies: three near the map's peak (~40 Mpc, like the event), one far away.
GALAXIES = """name,ra,dec,distance,distance_err
near-1,194.30,-17.86,41,3
near-2,196.20,-21.40,38,3
near-3,192.10,-24.80,44,4
elsewhere,20.00,40.00,40,3
"""


def test_it_plans_fields_holding_galaxies(alice, lvk_event, ztf, ztf_allocation, tmp_path):
    path = tmp_path / "galaxies.csv"
    path.write_text(GALAXIES)
    call_command("load_galaxies", "--catalog", "test-galaxies", str(path))

    body = plan_body([ztf.pk], tiling="galaxies", galaxy_catalog="test-galaxies")
    plan = make_plan(alice, lvk_event, body)
    assert plan.status == PlanStatus.COMPLETE, plan.error
    fields = set(plan.planned_observations.values_list("field_id", flat=True))
    assert fields
    points = healpix_index_order29([194.30, 196.20, 192.10], [-17.86, -21.40, -24.80])
    for field_id in fields:
        tiles = np.array(
            list(
                InstrumentFieldTile.objects.filter(field_id=field_id).values_list("lower", "upper")
            )
        )
        inside = ((tiles[:, :1] <= points) & (points < tiles[:, 1:])).any()
        assert inside, f"field {field_id} holds no galaxy"
