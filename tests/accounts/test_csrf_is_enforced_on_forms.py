"""Every state-changing form of accounts needs the CSRF token."""

import re

import pytest
from django.test import Client

from tests.accounts.conftest import refused


def _strict(user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(user)
    return client


def _csrf_from(client, url):
    page = client.get(url).content.decode()
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)


@pytest.mark.django_db
def test_it_refuses_posts_without_a_csrf_token(alice, carol, group_a, group_b, target_a):
    posts = {
        alice: [
            ("/groups/", {"name": "Sneaky"}),
            ("/profile/token/", {}),
            ("/profile/token/revoke/", {}),
            (f"/groups/{group_b.pk}/join/", {}),
            (f"/targets/{target_a.pk}/access/", {"groups": [group_b.pk]}),
        ],
        carol: [
            (f"/targets/{target_a.pk}/public-links/", {}),
            (f"/groups/{group_a.pk}/members/add/", {"username": "bob"}),
        ],
    }
    for user, requests in posts.items():
        client = _strict(user)
        for url, data in requests:
            assert refused(client.post(url, data)), url


@pytest.mark.django_db
def test_it_accepts_the_same_post_with_the_token(alice):
    client = _strict(alice)
    token = _csrf_from(client, "/groups/")
    response = client.post("/groups/", {"name": "Kilonova hunters", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
