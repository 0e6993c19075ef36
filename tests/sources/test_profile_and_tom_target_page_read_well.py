"""The profile page names the user's groups and masks the API token (copy, replace,
revoke); TOM Toolkit's target page is light and leads to our source page."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts import services
from tests.sources.conftest import add_photometry, make_candidate, make_target

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_it_shows_group_names_and_a_masked_token(alice, group_a):
    key = services.create_api_token(alice).key
    html = client_for(alice).get("/users/profile/").content.decode()
    groups = html.split('id="profile-groups">')[1].split("</dd>")[0]
    assert ">A<" in groups and "<Group" not in html and "&lt;Group" not in html
    shown = html.split('id="api-token-value"')[1].split("</span>")[0]
    assert key not in shown.split(">", 1)[1]  # the text shows only its ends
    assert key[:4] in shown and key[-4:] in shown
    assert 'data-copy="#api-token-value"' in html
    assert "Replace token" in html and "Revoke token" in html


def test_it_keeps_tom_target_page_light_and_pointing_to_the_source_page(alice, group_a, filter_a):
    target = make_target("ZTFpage", [group_a])
    add_photometry(target, n=20)
    make_candidate(target, filter_a)
    client = client_for(alice)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(f"/targets/{target.pk}/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'href="/sources/ZTFpage/"' in html
    assert "No recent photometry" not in html and "<textarea" not in html  # no comment box
    assert len(queries) < 40
