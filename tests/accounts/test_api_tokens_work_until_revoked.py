"""Per-user API tokens created and revoked on the profile page; revocation acts at once."""

import pytest
from django.test import Client
from rest_framework.authtoken.models import Token

from accounts import services
from tests.accounts.conftest import SECRET_NAME


def _session(user):
    client = Client()
    client.force_login(user)
    return client


def _api(key):
    return Client(HTTP_AUTHORIZATION=f"Token {key}")


@pytest.mark.django_db
def test_it_creates_uses_and_revokes_a_token(alice, target_a):
    profile = _session(alice)
    assert profile.post("/profile/token/").status_code == 302
    key = Token.objects.get(user=alice).key

    me = _api(key).get("/api/me/")
    assert me.status_code == 200
    assert me.json()["username"] == "alice"
    assert "Comment" in me.json()["acls"]
    targets = _api(key).get("/api/targets/")
    assert targets.status_code == 200
    assert SECRET_NAME in targets.content.decode()

    assert profile.post("/profile/token/revoke/").status_code == 302
    assert _api(key).get("/api/me/").status_code in (401, 403)
    assert _api(key).get("/api/targets/").status_code in (401, 403)


@pytest.mark.django_db
def test_it_replacing_a_token_stops_the_old_one(alice):
    profile = _session(alice)
    profile.post("/profile/token/")
    old = Token.objects.get(user=alice).key
    profile.post("/profile/token/")
    new = Token.objects.get(user=alice).key
    assert old != new
    assert _api(old).get("/api/me/").status_code in (401, 403)
    assert _api(new).get("/api/me/").status_code == 200


@pytest.mark.django_db
def test_it_gives_nothing_to_another_groups_or_an_inactive_users_token(bob, alice, target_a):
    bob_key = services.create_api_token(bob).key
    listing = _api(bob_key).get("/api/targets/")
    assert listing.status_code == 200
    assert SECRET_NAME not in listing.content.decode()
    assert _api(bob_key).get(f"/api/targets/{target_a.pk}/").status_code == 404

    alice_key = services.create_api_token(alice).key
    alice.is_active = False
    alice.save()
    assert _api(alice_key).get("/api/targets/").status_code in (401, 403)


@pytest.mark.django_db
def test_it_lists_the_token_on_the_profile_page(alice):
    page = _session(alice).get("/users/profile/")
    assert page.status_code == 200
    assert "Revoke token" in page.content.decode()
    _session(alice).post("/profile/token/revoke/")
    assert "Create token" in _session(alice).get("/users/profile/").content.decode()
