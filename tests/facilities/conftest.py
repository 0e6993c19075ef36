"""alice (group A, Full user), bob (group B, Full user), victor (View only in A), and the
instruments and allocations follow-up tests share."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from facilities.models import Allocation, Instrument, Telescope


@pytest.fixture
def telescope(db):
    return Telescope.objects.create(
        name="TAROT Calern",
        nickname="TCA",
        latitude=43.7522,
        longitude=6.9222,
        elevation=1270,
        aperture=0.25,
        robotic=True,
    )


@pytest.fixture
def instrument(telescope):
    return Instrument.objects.create(
        telescope=telescope,
        name="TAROT-Calern",
        filters=["sdssg", "sdssr", "sdssi"],
        footprint={"type": "rectangle", "width": 1.86, "height": 1.86},
        readout=6,
        overhead_per_exposure=4,
        filter_change_time=5,
        slew_rate=60,
    )


def make_allocation(group, instrument, facility="Queue", days=30, **kw) -> Allocation:
    now = timezone.now()
    values = {
        "pi": "PI " + group.name,
        "hours": 10,
        "start": now - timedelta(days=1),
        "end": now + timedelta(days=days),
    }
    values.update(kw)
    return Allocation.objects.create(
        group=group, instrument=instrument, facility=facility, **values
    )


@pytest.fixture
def allocation_a(group_a, instrument):
    return make_allocation(group_a, instrument)


@pytest.fixture
def allocation_b(group_b, instrument):
    return make_allocation(group_b, instrument)


@pytest.fixture
def target_a(group_a):
    """A real-looking Fink ZTF source saved by group A."""
    from tom_targets.models import Target

    from accounts import services

    target = Target.objects.create(name="ZTF21abbzjeq", type="SIDEREAL", ra=150.1, dec=2.2)
    services.assign_target_to_groups(target, [group_a])
    return target


def valid_parameters(**overrides) -> dict:
    now = timezone.now()
    params = {
        "filters": ["sdssr"],
        "exposure_time": 60,
        "exposure_count": 3,
        "priority": 2,
        "start": now.isoformat(),
        "end": (now + timedelta(hours=12)).isoformat(),
        "comment": "rising fast",
    }
    params.update(overrides)
    return params


def api(client, method: str, url: str, data=None, **headers):
    import json as _json

    kwargs = {"content_type": "application/json"} if data is not None else {}
    if data is not None:
        kwargs["data"] = _json.dumps(data)
    return getattr(client, method)(url, headers=headers or None, **kwargs)


def robot(token: str) -> dict:
    return {"Authorization": f"Robot {token}"}
