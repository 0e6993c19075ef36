"""Real data for plan tests: the MS181101ab LVK notice (bayestar map), ZTF with its real field
grid, TAROT La Silla (a GRANDMA telescope) on a grid around the map, allocations of group A,
and a fixed Palomar night (2019-04-08, when the map's region is up at night).

alice (group A, Full user), bob (group B, Full user), victor (View only in A), mona (group A,
holds "Manage observation plans").
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from accounts import acl, services
from tests.conftest import REPO_ROOT, SHARED_DATA
from tests.people import make_user

# A Palomar night when the MS181101ab region (RA ~195°, Dec ~-19°) rises to airmass < 2;
# the Sun is below -12° there from about 03:25 to 12:05 UTC.
NIGHT_START = datetime(2019, 4, 8, 3, 0, tzinfo=UTC)
NIGHT_END = datetime(2019, 4, 8, 13, 0, tzinfo=UTC)
PALOMAR = (33.3563, -116.8648, 1712.0)

LVK_NOTICE = "lvk/MS181101ab-preliminary.json"


def need(rel: str) -> Path:
    path = SHARED_DATA / rel
    if not path.exists():
        pytest.skip(f"shared sample {rel} not found under {SHARED_DATA} (set ICARE_SHARED_DATA)")
    return path


@pytest.fixture
def mona(group_a):
    user = make_user("mona", acl.FULL_USER, group_a)
    services.grant_acl(user, acl.MANAGE_OBSERVATION_PLANS)
    return user


@pytest.fixture
def lvk_event(db):
    """MS181101ab from its LVK JSON notice (multi-order map with distances)."""
    from gcn import services as gcn_services

    path = need(LVK_NOTICE)
    result = gcn_services.ingest_bytes(path.read_bytes(), origin=LVK_NOTICE)
    assert result.event is not None
    return result.event


@pytest.fixture
def ztf(db):
    """ZTF with the real ZTF field grid (1,778 fields)."""
    from facilities.instruments import load_instrument_file
    from facilities.models import Instrument

    need("fields/ZTF_Fields.csv")
    load_instrument_file(REPO_ROOT / "config" / "instruments" / "ztf.yaml")
    return Instrument.objects.select_related("telescope").get(name="ZTF")


@pytest.fixture
def tarot_lasilla(db):
    """TAROT La Silla (GRANDMA) with its generated grid, cut to the map's declinations."""
    from facilities.instruments import load_config, read_config
    from facilities.models import Instrument

    config = read_config(REPO_ROOT / "config" / "instruments" / "tarot_chile.yaml")
    config["fields"] = {"grid": {"dec_min": -30, "dec_max": -8}}
    load_config(config)
    return Instrument.objects.select_related("telescope").get(name="TAROT-LaSilla")


def allocate(group, instrument, facility: str = "Queue"):
    from facilities.models import Allocation

    return Allocation.objects.create(
        group=group,
        instrument=instrument,
        facility=facility,
        pi="PI",
        hours=10,
        start=datetime(2018, 1, 1, tzinfo=UTC),
        end=datetime(2035, 1, 1, tzinfo=UTC),
    )


@pytest.fixture
def ztf_allocation(group_a, ztf):
    return allocate(group_a, ztf)


def plan_body(instrument_ids, **extra) -> dict:
    return {
        "instrument_ids": list(instrument_ids),
        "start": NIGHT_START.isoformat(),
        "end": NIGHT_END.isoformat(),
        "filters": ["ztfg", "ztfr"],
        "exposure_time": 30,
        "max_airmass": 2.0,
        "probability": 0.9,
        "schedule_type": "greedy",
        "max_fields": 12,
        **extra,
    }


def logged_in(user):
    """A REST client signed in as ``user`` (a session, as the site's pages use)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_login(user)
    return client


def make_plan(user, event, body, run: bool = True):
    """Validate and store a plan as the API does, then run it here (no worker)."""
    from planning import services as plan_services

    validated = plan_services.validate_request(user, event, body)
    plan = plan_services.create_plan(event, validated, requester=user, dispatch=False)
    if run:
        plan_services.run_plan(plan.pk)
        plan.refresh_from_db()
    return plan
