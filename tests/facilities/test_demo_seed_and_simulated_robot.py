"""`make demo`'s follow-up: seeding is idempotent (instruments, one queue allocation per demo
group, robot tokens in var/), and the simulated robot completes a request over HTTP."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from facilities import services
from facilities.models import Allocation, FollowupRequest, Instrument, Telescope
from sources.models import Photometry, Spectrum
from tests.facilities.conftest import valid_parameters


@pytest.mark.django_db(transaction=True)
def test_the_demo_robot_completes_a_request(live_server, settings, tmp_path):
    from tom_targets.models import Target

    from accounts import services as accounts

    settings.VAR_DIR = tmp_path
    call_command("seed_demo", verbosity=0)
    call_command("seed_followup_demo", verbosity=0)
    call_command("seed_followup_demo", verbosity=0)  # idempotent
    assert Telescope.objects.count() >= 15 and Instrument.objects.count() >= 15
    assert Allocation.objects.count() == 3
    tokens = json.loads((tmp_path / "demo-robot-tokens.json").read_text())
    assert len(tokens) == 3

    alice = get_user_model().objects.get(username="alice")
    allocation = Allocation.objects.get(group__name="GRANDMA-A")
    target = Target.objects.create(name="ZTF26demo", type="SIDEREAL", ra=40.0, dec=20.0)
    accounts.assign_target_to_groups(target, [allocation.group])
    followup = services.submit_request(
        alice, target, allocation.pk, valid_parameters(filters=["sdssg", "sdssr"])
    )
    call_command(
        "simulate_robot",
        "--url",
        live_server.url,
        "--delay",
        "0",
        "--once",
        "--tokens",
        str(tmp_path / "demo-robot-tokens.json"),
    )
    followup = FollowupRequest.objects.get(pk=followup.pk)
    assert followup.status == "completed"
    assert Photometry.objects.filter(target=target, origin="followup").count() == 2
    assert Spectrum.objects.filter(target=target).count() == 1
