"""Item 1: a target name built to close an inline script is never written unescaped.

bob used TOM's target API to create a target with such a name in group A's groups, and
TOM's target list wrote names into an inline script (Aladin). The API no longer writes and
the list is ours; a hostile name that reaches group A another way is escaped on every page
alice and victor open (the attack walk checks every URL; these are the pages naming it)."""

import pytest
from tom_targets.models import Target

from accounts import services
from tests.accounts.attack import HOSTILE, client_for, unescaped


@pytest.mark.django_db
def test_it_refuses_creating_targets_through_tom_api(bob, group_a):
    response = client_for(bob).post(
        "/api/targets/",
        {"name": HOSTILE, "type": "SIDEREAL", "ra": 1, "dec": 1, "groups": [{"id": group_a.pk}]},
        content_type="application/json",
    )
    assert response.status_code == 405
    assert not Target.objects.filter(name=HOSTILE).exists()


@pytest.mark.django_db
def test_it_escapes_a_hostile_name_on_the_pages_of_group_a(alice, viewer, group_a):
    target = Target.objects.create(name=HOSTILE, type="SIDEREAL", ra=10.0, dec=-5.0)
    services.assign_target_to_groups(target, [group_a])
    for user in (alice, viewer):
        client = client_for(user)
        listing = client.get("/targets/", follow=True)
        assert listing.status_code == 200
        assert not unescaped(listing)
        for url in (
            f"/targets/{target.pk}/",
            f"/targets/{target.pk}/access/",
            "/api/targets/",
            f"/groups/{group_a.pk}/sources/",
        ):
            response = client.get(url)
            assert response.status_code == 200, url
            assert not unescaped(response), url
