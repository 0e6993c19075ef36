"""Refuse target-scoped TOM Toolkit URLs for targets the user may not see, before the view runs.

Several TOM Toolkit views take a target id in the URL but check only a model-wide permission
(or none) — the share, merge and persistent-share pages would show another group's target.
This middleware answers them with 404 through ``accounts.access``, so every target URL
follows the same rule as our own views.
"""

from __future__ import annotations

from django.http import Http404

from accounts import access

# URL name (namespace:name) → the keyword arguments that hold target ids.
TARGET_KWARGS_BY_URL_NAME: dict[str, tuple[str, ...]] = {
    "targets:detail": ("pk",),
    "targets:update": ("pk",),
    "targets:delete": ("pk",),
    "targets:share": ("pk",),
    "targets:render-observation-table": ("pk",),
    "targets:merge": ("pk1", "pk2"),
    "dataproducts:share_all": ("tg_pk",),
}
# Keyword arguments that name a target wherever they appear.
TARGET_KWARG_NAMES = ("target_pk", "target_id")
# Query parameters that name a target wherever they appear (TOM's observation, data upload
# and data-service pages take ``?target_id=``).
TARGET_QUERY_PARAMS = ("target_id",)


def target_ids_in(view_name: str, kwargs: dict) -> list[int]:
    names = TARGET_KWARGS_BY_URL_NAME.get(view_name, ()) + TARGET_KWARG_NAMES
    ids = []
    for name in names:
        value = kwargs.get(name)
        if value is None:
            continue
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise Http404("no such target") from None
    return ids


class TargetAccessMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        match = getattr(request, "resolver_match", None)
        if match is None:
            return None
        ids = target_ids_in(match.view_name, view_kwargs or {})
        for name in TARGET_QUERY_PARAMS:
            for value in request.GET.getlist(name):
                try:
                    ids.append(int(value))
                except ValueError:
                    raise Http404("no such target") from None
        for target_id in ids:
            if not access.can_view_target(request.user, target_id):
                raise Http404("no such target")
        return None


class APITokenMiddleware:
    """Let API requests carrying a token through the site's LOCKED auth strategy.

    TOM Toolkit's AuthStrategyMiddleware refuses every request whose session is anonymous,
    which would refuse all token-authenticated API calls before the REST framework sees
    them. For ``/api/`` paths with an ``Authorization: Token …`` header this authenticates
    the token (expiry and two-factor rules included) so the request proceeds; a bad or
    revoked token leaves the request anonymous and it is refused as before.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        header = request.headers.get("Authorization", "")
        if request.path_info.startswith("/api/") and header.startswith("Token "):
            from rest_framework.exceptions import AuthenticationFailed
            from tom_common.accounts.api_auth import TomTokenAuthentication

            try:
                user, _ = TomTokenAuthentication().authenticate_credentials(header[6:].strip())
            except AuthenticationFailed:
                pass
            else:
                request.user = user
        return self.get_response(request)
