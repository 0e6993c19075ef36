"""Data for access tests: group A's target, named so a leak is easy to spot (the people, alice,
bob, victor, carol, root and ursula, come from tests/people.py)."""

import pytest
from tom_targets.models import Target, TargetName

from accounts import services

SECRET_NAME = "ZTF26secretAlice"
SECRET_ALIAS = "AT2026secretAlias"


def refused(response) -> bool:
    """403, which TOM Toolkit turns into a redirect to the login page for browser URLs."""
    location = response.headers.get("Location", "")
    return response.status_code == 403 or (
        response.status_code == 302 and location.startswith("/accounts/login/")
    )


@pytest.fixture
def target_a(group_a):
    """A target owned by group A, with photometry, named so a leak is easy to spot."""
    target = Target.objects.create(name=SECRET_NAME, type="SIDEREAL", ra=150.1, dec=2.2)
    services.assign_target_to_groups(target, [group_a])
    TargetName.objects.create(target=target, name=SECRET_ALIAS)
    from sources.models import Photometry

    Photometry.objects.bulk_create(
        [
            Photometry(
                target=target,
                mjd=61000.0 + i,
                band="ztfg",
                instrument="ZTF",
                flux=10.0 + i,
                fluxerr=1.0,
                mag=21.4 - 0.1 * i,
                magerr=0.1,
                origin="alert",
                measurement_key=1000 + i,
            )
            for i in range(3)
        ]
    )
    return target
