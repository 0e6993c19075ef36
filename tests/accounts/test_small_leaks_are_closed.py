"""Headers and small leaks: a strict Content-Security-Policy with a nonce on every inline
script, public-link tokens shown only to those who may publish, /users/ only for user
managers, a CSRF failure is a 403 page, the live stream refuses groups the user is not in,
and login throttling counts per account, with a higher threshold per IP."""

import re

import pytest
from django.test import Client

from accounts import services
from tests.accounts.attack import client_for


@pytest.mark.django_db
def test_it_sends_a_strict_csp_with_a_nonce_on_inline_scripts(alice, carol, target_a):
    link = services.publish_target(carol, target_a)
    pages = {
        "/candidates/": client_for(alice),
        f"/sources/{target_a.name}/": client_for(alice),
        f"/targets/{target_a.pk}/access/": client_for(alice),
        f"/public/{link.token}/": client_for(None),
    }
    for url, client in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        policy = response.headers["Content-Security-Policy"]
        script_src = re.search(r"script-src ([^;]+)", policy).group(1)
        assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
        assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
        # django-csp adds the nonce only when the page used it
        found = re.search(r"'nonce-([^']+)'", script_src)
        nonce = found.group(1) if found else "no inline script may run"
        html = response.content.decode()
        for tag in re.findall(r"<script\b[^>]*>", html):
            if "src=" in tag or "application/json" in tag:
                continue
            assert f'nonce="{nonce}"' in tag, f"{url}: inline script without the nonce: {tag}"
        assert not re.search(r"\son(click|change|load|submit|error)=", html), url


@pytest.mark.django_db
def test_it_shows_public_link_tokens_only_to_publishers(viewer, carol, target_a):
    link = services.publish_target(carol, target_a)
    assert link.token in client_for(carol).get(f"/targets/{target_a.pk}/access/").content.decode()
    page = client_for(viewer).get(f"/targets/{target_a.pk}/access/")
    assert page.status_code == 200 and link.token not in page.content.decode()


@pytest.mark.django_db
def test_it_lists_users_only_for_user_managers(alice, superadmin):
    assert client_for(alice).get("/users/").status_code == 403
    assert client_for(superadmin).get("/users/").status_code == 200


@pytest.mark.django_db
def test_it_answers_a_csrf_failure_with_a_403_page(alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post("/groups/", {"name": "no token"})
    assert response.status_code == 403
    assert "Location" not in response.headers
    anonymous = Client(enforce_csrf_checks=True).post("/accounts/login/", {"login": "x"})
    assert anonymous.status_code == 403


@pytest.mark.django_db
def test_it_refuses_a_stream_of_a_group_the_user_is_not_in(alice, group_b):
    response = client_for(alice).get(f"/candidates/stream/?group={group_b.pk}")
    assert response.status_code == 400


@pytest.mark.django_db
def test_it_throttles_logins_per_account_before_per_ip(alice, bob):
    client = Client(REMOTE_ADDR="192.0.2.10")
    for _ in range(6):
        client.post("/accounts/login/", {"login": "alice", "password": "wrong"})
    locked = client.post("/accounts/login/", {"login": "alice", "password": "pw-alice"})
    assert "_auth_user_id" not in client.session, "alice's account is locked after 5 failures"
    assert locked.status_code in (200, 429)
    colleague = Client(REMOTE_ADDR="192.0.2.10")
    colleague.post("/accounts/login/", {"login": "bob", "password": "pw-bob"})
    assert colleague.session.get("_auth_user_id") == str(bob.pk), "the IP is not locked"
