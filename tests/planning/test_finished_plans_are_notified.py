"""A finished or failed plan is told to whoever asked for it (notification kind ``plan``)."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from tests.planning.conftest import make_plan, plan_body

pytestmark = pytest.mark.django_db


def test_it_tells_the_requester_that_the_plan_failed(
    alice, group_a, lvk_event, ztf, ztf_allocation
):
    plan = make_plan(alice, lvk_event, plan_body([ztf.pk], probability=1.5))
    assert plan.status == "failed"
    (text,) = Notification.objects.filter(recipient=alice, kind="plan").values_list(
        "text", flat=True
    )
    assert text.startswith(f"Observation plan {plan.pk} for {lvk_event.name}: failed (")
    assert "probability" in text
