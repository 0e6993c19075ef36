"""OpenID Connect providers come from ICARE_OIDC_PROVIDERS; a bad value names the variable."""

import json

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.oidc import approval_social_account_adapter, oidc_settings

ORCID = {
    "provider_id": "orcid",
    "name": "ORCID",
    "client_id": "APP-123",
    "secret": "s3cret",
    "server_url": "https://orcid.example.org",
}


def test_it_builds_allauth_settings_for_each_provider():
    providers = oidc_settings(json.dumps([ORCID]))
    (app,) = providers["openid_connect"]["APPS"]
    assert app["provider_id"] == "orcid"
    assert app["settings"] == {"server_url": "https://orcid.example.org"}
    assert oidc_settings(None) == {}
    assert oidc_settings("  ") == {}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "not valid JSON"),
        ("{}", "non-empty JSON list"),
        (json.dumps([{**ORCID, "secret": ""}]), r"\[0\] lacks secret"),
    ],
)
def test_it_refuses_a_bad_value_naming_the_variable(raw, message):
    with pytest.raises(ImproperlyConfigured, match=rf"ICARE_OIDC_PROVIDERS.*{message}"):
        oidc_settings(raw)


def test_it_has_an_adapter_that_keeps_provider_sign_ups_waiting_for_approval():
    adapter = approval_social_account_adapter()
    assert adapter.__name__ == "ApprovalSocialAccountAdapter"
    assert "save_user" in adapter.__dict__
