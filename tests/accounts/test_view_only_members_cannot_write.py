"""Item 4: a View-only member of group A writes nothing: no save or reject through our API
or pages (saving to the sitewide group would publish the target to everyone), no TOM data
upload, target creation or comment."""

import pytest
from tom_targets.models import Target

from accounts import services
from accounts.access import owning_groups
from sources.models import Rejection, SavedSource
from tests.accounts.attack import client_for


@pytest.mark.django_db
def test_it_refuses_every_write_of_a_view_only_member(viewer, group_a, target_a):
    sitewide = services.sitewide_group()
    client = client_for(viewer)
    api = client.post(
        "/api/sources",
        {"name": target_a.name, "group_ids": [sitewide.pk]},
        content_type="application/json",
    )
    assert api.status_code == 403
    api_a = client.post(
        "/api/sources",
        {"name": target_a.name, "group_ids": [group_a.pk]},
        content_type="application/json",
    )
    assert api_a.status_code == 403
    assert client.delete(f"/api/sources/{target_a.name}").status_code == 403
    for action in ("save", "reject", "unsave", "unreject"):
        page = client.post(f"/sources/{target_a.name}/{action}/", {"group": [group_a.pk]})
        assert page.status_code in (302, 403), action
    assert client.post("/dataproducts/data/upload/", {"target": target_a.pk}).status_code == 404
    assert client.post("/api/targets/", {"name": "v"}).status_code == 405
    assert client.post("/comments/post/", {"comment": "v"}).status_code == 404
    assert not SavedSource.objects.filter(target=target_a).exists()
    assert not Rejection.objects.filter(target=target_a).exists()
    assert sitewide not in owning_groups(target_a)
    assert not Target.objects.filter(name="v").exists()


@pytest.mark.django_db
def test_it_lets_only_publishers_save_to_the_sitewide_group(alice, carol, target_a):
    sitewide = services.sitewide_group()
    body = {"name": target_a.name, "group_ids": [sitewide.pk]}
    refused = client_for(alice).post("/api/sources", body, content_type="application/json")
    assert refused.status_code == 403
    assert sitewide not in owning_groups(target_a)
    saved = client_for(carol).post("/api/sources", body, content_type="application/json")
    assert saved.status_code == 201
    assert sitewide in owning_groups(target_a)


@pytest.mark.django_db
def test_it_lets_only_publishers_share_with_the_sitewide_group(alice, target_a):
    sitewide = services.sitewide_group()
    response = client_for(alice).post(f"/targets/{target_a.pk}/access/", {"groups": [sitewide.pk]})
    assert response.status_code == 403
    assert sitewide not in owning_groups(target_a)
