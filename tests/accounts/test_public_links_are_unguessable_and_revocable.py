"""A group that owns a target publishes a read-only public link; revoking it answers 404."""

import pytest
from django.test import Client

from accounts.models import PublicLink
from tests.accounts.conftest import SECRET_NAME, refused


def _client(user=None):
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.mark.django_db
def test_it_publishes_and_revokes_a_public_link(carol, target_a):
    created = _client(carol).post(f"/targets/{target_a.pk}/public-links/")
    assert created.status_code == 302
    link = PublicLink.objects.get(target=target_a)
    assert len(link.token) >= 40

    page = _client().get(f"/public/{link.token}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert SECRET_NAME in body
    assert "21.400" in body  # the first photometry point's AB magnitude
    assert "ztfg" in body

    revoked = _client(carol).post(f"/public-links/{link.pk}/revoke/")
    assert revoked.status_code == 302
    gone = _client().get(f"/public/{link.token}/")
    assert gone.status_code == 404
    assert SECRET_NAME not in gone.content.decode()


@pytest.mark.django_db
def test_it_answers_404_to_a_guessed_token(carol, target_a):
    _client(carol).post(f"/targets/{target_a.pk}/public-links/")
    assert _client().get("/public/not-a-real-token/").status_code == 404


@pytest.mark.django_db
def test_it_lets_only_managers_of_an_owning_group_publish_or_revoke(alice, bob, carol, target_a):
    assert refused(_client(alice).post(f"/targets/{target_a.pk}/public-links/"))
    assert _client(bob).post(f"/targets/{target_a.pk}/public-links/").status_code == 404
    _client(carol).post(f"/targets/{target_a.pk}/public-links/")
    link = PublicLink.objects.get(target=target_a)
    assert _client(bob).post(f"/public-links/{link.pk}/revoke/").status_code == 404
    assert refused(_client(alice).post(f"/public-links/{link.pk}/revoke/"))
    link.refresh_from_db()
    assert link.revoked is None
