"""Every URL TOM Toolkit mounts is served behind accounts, redirected to ours, or unmounted
(icare_tom.urls.TOM_URL_POLICY); a TOM URL nobody decided about is not served."""

import pytest
from tom_common import urls as tom_urls

from accounts.url_policy import served_names
from icare_tom.urls import TOM_URL_POLICY
from tests.accounts.attack import client_for

# What TOM Toolkit 3.1 serves through us. A TOM upgrade that adds or renames a URL fails
# here until its line is decided in TOM_URL_POLICY (it is unmounted meanwhile).
SERVED = {
    "login", "logout", "robots_txt", "terms-of-service", "terms-accept", "user-profile",
    "user-update", "user-delete", "user-list", "user-create", "user-approve",
    "admin-user-change-password", "targets:detail", "api:api-root", "api:groups-list",
    "api:targets-list", "api:targets-detail", "rest_framework:login", "rest_framework:logout",
}  # fmt: skip
REDIRECTED = {"targets:list", "targets:name-search"}


def test_it_serves_only_the_tom_urls_decided_on():
    decisions = served_names(tom_urls.urlpatterns, TOM_URL_POLICY)
    served = {
        name
        for name, how in decisions.items()
        if how == "served" and not name.startswith(("account_", "mfa_", "admin:"))
    }
    assert served == SERVED
    assert {name for name, how in decisions.items() if how == "redirected"} == REDIRECTED
    unmounted = {name for name, how in decisions.items() if how == "unmounted"}
    for name in (
        "targets:create", "targets:import", "targets:update", "targets:delete", "targets:share",
        "dataproducts:upload", "dataproducts:share", "dataproducts:feature",
        "comments-post-comment", "comments-flag", "comment-delete", "calendar:delete-event",
        "api:targetlist-detail", "<unnamed api/token-auth/>",
    ):  # fmt: skip
        assert name in unmounted, name


@pytest.mark.django_db
def test_it_answers_404_to_unmounted_urls_even_for_a_super_admin(superadmin, target_a):
    client = client_for(superadmin)
    for url in (
        "/targets/create/",
        "/targets/import/",
        "/dataproducts/data/upload/",
        "/calendar/",
        "/comments/post/",
        f"/api/targetlist/{target_a.pk}/",
        "/api/token-auth/",
        f"/targets/{target_a.pk}/update/",
    ):
        assert client.get(url).status_code == 404, url
        assert client.post(url).status_code == 404, url


@pytest.mark.django_db
def test_it_sends_tom_target_pages_to_ours(alice, target_a):
    client = client_for(alice)
    assert client.get("/targets/")["Location"] == "/group-sources/"
    assert client.get(f"/targets/name/{target_a.name}")["Location"] == (
        f"/sources/{target_a.name}/"
    )
    # TOM's target page reads one target; its REST API reads targets and never writes
    assert client.get(f"/targets/{target_a.pk}/").status_code == 200
    assert client.patch(f"/api/targets/{target_a.pk}/", {"name": "x"}).status_code == 405
    assert client.delete(f"/api/targets/{target_a.pk}/").status_code == 405
