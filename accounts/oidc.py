"""OpenID Connect sign-in (ORCID, eduGAIN through an INDIGO IAM, …) through django-allauth.

Configured by one environment variable, ``ICARE_OIDC_PROVIDERS``: a JSON list of providers,
each ``{"provider_id": "orcid", "name": "ORCID", "client_id": "…", "secret": "…",
"server_url": "https://orcid.org"}``. Unset, sign-in is by local account only.
"""

from __future__ import annotations

import json

from django.core.exceptions import ImproperlyConfigured

OIDC_APPS = ["allauth.socialaccount", "allauth.socialaccount.providers.openid_connect"]
REQUIRED_KEYS = ("provider_id", "name", "client_id", "secret", "server_url")


def oidc_settings(raw: str | None, variable: str = "ICARE_OIDC_PROVIDERS") -> dict:
    """django-allauth's ``SOCIALACCOUNT_PROVIDERS`` for the configured providers ({} if none).

    Raises ImproperlyConfigured naming ``variable`` unless the value lists complete providers.
    """
    if not raw or not raw.strip():
        return {}
    try:
        providers = json.loads(raw)
    except json.JSONDecodeError as error:
        raise ImproperlyConfigured(f"{variable} is not valid JSON: {error}") from None
    if not isinstance(providers, list) or not providers:
        raise ImproperlyConfigured(f"{variable} must be a non-empty JSON list of providers")
    apps = []
    for index, provider in enumerate(providers):
        missing = [key for key in REQUIRED_KEYS if not (provider or {}).get(key)]
        if missing:
            raise ImproperlyConfigured(f"{variable}[{index}] lacks {', '.join(missing)}")
        apps.append(
            {
                "provider_id": provider["provider_id"],
                "name": provider["name"],
                "client_id": provider["client_id"],
                "secret": provider["secret"],
                "settings": {"server_url": provider["server_url"]},
            }
        )
    return {"openid_connect": {"APPS": apps, "OAUTH_PKCE_ENABLED": True}}


def approval_social_account_adapter():
    """An allauth social-account adapter that applies TOM_REGISTRATION_STRATEGY to accounts
    created through a provider, exactly as to local sign-ups (inactive until approved)."""
    from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
    from django.conf import settings

    class ApprovalSocialAccountAdapter(DefaultSocialAccountAdapter):
        def save_user(self, request, sociallogin, form=None):
            user = super().save_user(request, sociallogin, form)
            if getattr(settings, "TOM_REGISTRATION_STRATEGY", None) == "approval_required":
                user.is_active = False
                user.save(update_fields=["is_active"])
                from accounts.services import notify_super_admins_of_registration

                notify_super_admins_of_registration(user)
            return user

    return ApprovalSocialAccountAdapter


class SocialAccountAdapter:
    """Import path for ``SOCIALACCOUNT_ADAPTER`` (built lazily: allauth's social app may be
    absent when no provider is configured)."""

    def __new__(cls, *args, **kwargs):
        return approval_social_account_adapter()(*args, **kwargs)
