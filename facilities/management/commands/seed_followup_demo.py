"""Demo follow-up: telescopes and instruments from config/instruments, one queue allocation per
demo group, and fresh robot tokens for the simulated robot (written to var/)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import BaseCommand
from django.utils import timezone

from facilities import instruments, services
from facilities.models import Allocation, Instrument, RobotToken

CONFIG = Path(settings.BASE_DIR) / "config" / "instruments"
# group → (instrument, PI, admin); the demo's own data only: field grids from footprints
DEMO_ALLOCATIONS = {
    "GRANDMA-A": ("TAROT-Calern", "GRANDMA follow-up A", "alice"),
    "GRANDMA-B": ("TAROT-Reunion", "GRANDMA follow-up B", "bob"),
    "Fink": ("KAIT-CCD", "Fink early classification", "alice"),
}
DEMO_GRIDS = {"tarot_reunion.yaml"}  # small grids (a few thousand fields) generated quickly


def tokens_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-robot-tokens.json"


class Command(BaseCommand):
    help = "Seed demo instruments, one allocation per demo group and robot tokens (idempotent)."

    def handle(self, *args, **options):
        for path in sorted(CONFIG.glob("*.yaml")):
            config = instruments.read_config(path)
            if path.name not in DEMO_GRIDS:
                config["fields"] = "none"  # the demo never reads the shared survey grids
            result = instruments.load_config(config, base=path.parent)
            if options["verbosity"] > 1:
                self.stdout.write(json.dumps(result.summary()))
        now = timezone.now()
        users = get_user_model().objects
        tokens = {}
        for group_name, (instrument_name, pi, admin) in DEMO_ALLOCATIONS.items():
            group = Group.objects.filter(name=group_name).first()
            instrument = Instrument.objects.get(name=instrument_name)
            if group is None:
                continue
            allocation, _ = Allocation.objects.update_or_create(
                group=group,
                instrument=instrument,
                facility="Queue",
                defaults={
                    "pi": pi,
                    "hours": 50,
                    "start": now - timedelta(days=1),
                    "end": now + timedelta(days=365),
                },
            )
            owner = users.filter(username=admin).first()
            if owner is not None:
                allocation.admins.add(owner)
            RobotToken.objects.filter(allocation=allocation, revoked__isnull=True).update(
                revoked=now
            )
            if owner is not None:
                tokens[str(allocation.pk)] = services.create_robot_token(owner, allocation)
        path = tokens_file()
        path.touch(mode=0o600)
        path.write_text(json.dumps(tokens, indent=1))
        self.stdout.write(
            f"Follow-up demo: {Instrument.objects.count()} instruments, "
            f"{len(tokens)} queue allocations; robot tokens in {path}"
        )
