"""Which of TOM Toolkit's URLs we serve, and how: the URL policy's mechanics.

TOM Toolkit mounts about a hundred views of its own (target list and import, data-product
upload/share/feature, django_comments, calendar, observation and data-service pages, a
writable REST API). Many check only model-wide permissions, change state on GET or know
nothing of our groups and ACLs. ``icare_tom.urls`` lists, for every TOM URL name we keep,
one :class:`Rule`; :func:`apply_policy` rebuilds TOM's URL tree with each view either

- served as it is, optionally limited to some HTTP methods and/or to holders of an ACL,
- redirected to our page that covers the same need, or
- unmounted: the pattern stays (so TOM's templates can still ``{% url %}`` it) but the
  view answers 404 to everybody.

A URL name the policy does not list is unmounted, so a TOM Toolkit upgrade that adds
a view serves nothing new until someone decides about it here.
"""

from __future__ import annotations

import fnmatch
import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.shortcuts import redirect
from django.urls import URLPattern, URLResolver
from django.urls.resolvers import RoutePattern
from django.utils.functional import cached_property

from accounts import access

SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


@dataclass(frozen=True)
class Rule:
    """How one TOM URL is served.

    ``methods``: the HTTP methods let through (others answer 405); None lets all through.
    ``refuse_params``: query parameters that make the view change state (answered 400).
    ``acl``: an ACL the signed-in user must hold (others answer 403), or a predicate on the
    request. ``redirect_to``: a function of (request, **url kwargs) giving our URL instead.
    """

    methods: tuple[str, ...] | None = None
    acl: str | Callable[[HttpRequest], bool] | None = None
    redirect_to: Callable[..., str] | None = None
    refuse_params: tuple[str, ...] = ()
    why: str = ""


def serve(methods: tuple[str, ...] | None = None, acl=None, why: str = "") -> Rule:
    return Rule(methods=methods, acl=acl, why=why)


def read_only(acl=None, refuse_params: tuple[str, ...] = (), why: str = "") -> Rule:
    return Rule(methods=SAFE_METHODS, acl=acl, refuse_params=refuse_params, why=why)


def redirect_to(target: Callable[..., str], why: str = "") -> Rule:
    return Rule(redirect_to=target, why=why)


def unmounted(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    """TOM Toolkit's view that we do not serve (see ``icare_tom.urls``)."""
    raise Http404("not served here")


unmounted.csrf_exempt = True  # a 404 for every method, before CSRF is asked


def rule_for(name: str, policy: dict[str, Rule]) -> Rule | None:
    """The rule of a fully qualified URL name (``namespace:name``); patterns allowed."""
    if name in policy:
        return policy[name]
    for pattern, rule in policy.items():
        if any(c in pattern for c in "*?[") and fnmatch.fnmatchcase(name, pattern):
            return rule
    return None


def _guarded(callback, rule: Rule):
    if rule.redirect_to is not None:
        # Keeps the replaced view's attributes (view_class…): tests and the schema still
        # know which TOM view the URL stands for.
        @functools.wraps(callback)
        def redirected(request, *args, **kwargs):
            return redirect(rule.redirect_to(request, *args, **kwargs))

        redirected.csrf_exempt = True
        return redirected
    if rule.methods is None and rule.acl is None and not rule.refuse_params:
        return callback

    @functools.wraps(callback)
    def guarded(request, *args, **kwargs):
        if rule.methods is not None and request.method not in rule.methods:
            return HttpResponseNotAllowed(rule.methods)
        refused = [name for name in rule.refuse_params if name in request.GET]
        if refused:
            return HttpResponseBadRequest(f"{refused[0]} is not served here")
        if rule.acl is not None:
            allowed = (
                rule.acl(request) if callable(rule.acl) else access.has_acl(request.user, rule.acl)
            )
            if not allowed:
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied("your role does not allow this")
        return callback(request, *args, **kwargs)

    return guarded


def apply_policy(patterns, policy: dict[str, Rule], namespace: str = "") -> list:
    """A copy of ``patterns`` with every view served, redirected or unmounted per ``policy``."""
    result = []
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            result.append(
                URLResolver(
                    entry.pattern,
                    apply_policy(entry.url_patterns, policy, inner),
                    entry.default_kwargs,
                    entry.app_name,
                    entry.namespace,
                )
            )
            continue
        name = f"{namespace}{entry.name or ''}"
        rule = rule_for(name, policy) if entry.name or namespace else None
        callback = unmounted if rule is None else _guarded(entry.callback, rule)
        result.append(URLPattern(entry.pattern, callback, entry.default_args, entry.name))
    return result


def served_names(patterns, policy: dict[str, Rule], namespace: str = "") -> dict[str, str]:
    """Every URL name under ``patterns`` → "served", "redirected" or "unmounted"."""
    found: dict[str, str] = {}
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = namespace + (f"{entry.namespace}:" if entry.namespace else "")
            found.update(served_names(entry.url_patterns, policy, inner))
            continue
        name = f"{namespace}{entry.name or ''}" or f"<unnamed {entry.pattern}>"
        rule = rule_for(name, policy)
        found[name] = (
            "unmounted"
            if rule is None
            else "redirected"
            if rule.redirect_to is not None
            else "served"
        )
    return found


class _GuardedModule:
    """A URLconf whose patterns are another's with the policy applied, built on first use.

    TOM Toolkit's URLconf imports every app's ``urls`` module while it is being built
    (``collect_api_urls``), ours included: reading its patterns at import time could see
    them half-built, so they are read when the resolver first needs them.
    """

    def __init__(self, module: str, policy: dict[str, Rule]):
        self.module = module
        self.policy = policy

    @cached_property
    def urlpatterns(self) -> list:
        from importlib import import_module

        return apply_policy(import_module(self.module).urlpatterns, self.policy)


def guarded_urlconf(module: str, policy: dict[str, Rule]) -> URLResolver:
    """``path("", include(module))`` with every view served, redirected or unmounted per
    ``policy``."""
    return URLResolver(RoutePattern("", is_endpoint=False), _GuardedModule(module, policy))
