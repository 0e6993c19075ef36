"""ZTF and a GRANDMA telescope (TAROT La Silla) in one plan: each gets its own filters, both
observe, and TAROT does not re-observe sky ZTF already covers unless overlap is allowed."""

from __future__ import annotations

import numpy as np
import pytest

from facilities.models import InstrumentFieldTile
from planning.models import PlanStatus
from tests.planning.conftest import allocate, make_plan, plan_body

pytestmark = pytest.mark.django_db


def _ranges(field_ids):
    rows = InstrumentFieldTile.objects.filter(field_id__in=field_ids).values_list("lower", "upper")
    return np.array(list(rows), dtype=np.int64).reshape(-1, 2)


def _shared_fraction(inner, outer) -> float:
    """Fraction of the cells of ``inner`` ranges that lie inside ``outer`` ranges."""
    from planning.engine import covered_fraction
    from sources.sky import merge_ranges

    lo, hi = merge_ranges(outer[:, 0], outer[:, 1])
    size = (inner[:, 1] - inner[:, 0]).astype(float)
    frac = covered_fraction(inner[:, 0], inner[:, 1], lo, hi)
    return float((frac * size).sum() / size.sum())


def test_it_plans_ztf_and_tarot_together(alice, group_a, lvk_event, ztf, tarot_lasilla):
    ztf_alloc = allocate(group_a, ztf)
    tarot_alloc = allocate(group_a, tarot_lasilla)
    body = plan_body(
        [ztf.pk, tarot_lasilla.pk],
        filters=["ztfg", "ztfr", "sdssr"],
        exposure_times=[30, 30, 60],
        max_fields=3,
    )
    body.pop("exposure_time")
    plan = make_plan(alice, lvk_event, body)
    assert plan.status == PlanStatus.COMPLETE, plan.error
    obs = list(plan.planned_observations.all())
    by_alloc = {a: [o for o in obs if o.allocation_id == a] for a in (ztf_alloc.pk, tarot_alloc.pk)}
    assert by_alloc[ztf_alloc.pk] and by_alloc[tarot_alloc.pk]
    assert {o.filter for o in by_alloc[ztf_alloc.pk]} <= {"ztfg", "ztfr"}
    assert {o.filter for o in by_alloc[tarot_alloc.pk]} == {"sdssr"}
    assert {o.exposure_time for o in by_alloc[tarot_alloc.pk]} == {60}
    assert set(plan.statistics["per_filter"]) == {"ztfg", "ztfr", "sdssr"}

    ztf_sky = _ranges({o.field_id for o in by_alloc[ztf_alloc.pk]})
    tarot_sky = _ranges({o.field_id for o in by_alloc[tarot_alloc.pk]})
    apart = _shared_fraction(tarot_sky, ztf_sky)
    assert apart < 0.5, f"TAROT re-observes {apart:.0%} of its fields inside ZTF's"

    overlapping = make_plan(alice, lvk_event, {**body, "allow_overlap": True})
    assert overlapping.status == PlanStatus.COMPLETE, overlapping.error
    tarot_again = _ranges(
        {o.field_id for o in overlapping.planned_observations.filter(allocation=tarot_alloc)}
    )
    assert _shared_fraction(tarot_again, ztf_sky) > apart
