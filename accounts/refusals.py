"""Refusals and the one place that turns them into HTTP statuses.

Services and views raise a :class:`Refused` (or a subclass) with a message for the user;
:func:`status_of` maps every refusal — ours, Django's and the REST framework's — to its
status, and both the REST framework (:func:`api_exception_handler`, set as
``REST_FRAMEWORK["EXCEPTION_HANDLER"]``) and the pages (:class:`RefusalMiddleware`) answer
with it. A view never decides 400/403/404 by matching a message's text, and never turns an
unexpected exception into a 404: those stay 500s (and are seen in the logs).
"""

from __future__ import annotations

import logging

from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, SuspiciousOperation
from django.db import DataError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse

log = logging.getLogger("accounts.security")


class Refused(ValueError):
    """The request cannot be done as asked (400); the message says why, for the user."""

    status = 400


class Forbidden(Refused):
    """The user may not do this (403): a role without the ACL, a group they are not in."""

    status = 403


class NotVisible(Refused):
    """No such object among those the user may see (404), whether it exists or not."""

    status = 404


def status_of(error: BaseException) -> int | None:
    """The HTTP status of a refusal; None when ``error`` is not one (a bug: 500)."""
    if isinstance(error, Refused):
        return error.status
    if isinstance(error, Http404 | ObjectDoesNotExist):
        return 404
    if isinstance(error, PermissionDenied):
        return 403
    if isinstance(error, SuspiciousOperation | DataError):
        # DataError: a value from the request the database cannot hold (out of range, an
        # impossible date): the request's fault, answered 400 like the validation layer
        return 400
    from rest_framework.exceptions import APIException

    if isinstance(error, APIException):
        return error.status_code
    return None


def api_exception_handler(error, context):
    """The REST framework's handler, with our refusals answered by their status."""
    from rest_framework.response import Response
    from rest_framework.views import exception_handler

    if isinstance(error, Refused):
        return Response({"detail": str(error)}, status=error.status)
    if isinstance(error, DataError):
        log.info("value refused by the database: %s", error)
        return Response({"detail": "a value in the request is out of range"}, status=400)
    return exception_handler(error, context)


def refusal_page(request: HttpRequest, status: int, message: str) -> HttpResponse:
    html = render_to_string(
        "accounts/refused.html", {"status": status, "message": message}, request=request
    )
    return HttpResponse(html, status=status)


class RefusalMiddleware:
    """Pages: a :class:`Refused` becomes its status with the message; a 403 to somebody not
    signed in becomes the login page (TOM Toolkit's habit, kept for browsers), a 403 to a
    signed-in user stays a 403 page (TOM Toolkit sent them to the login page too), and a
    CSRF failure is always a 403 page. API paths answer JSON 403s as they are."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code != 403 or request.path_info.startswith("/api/"):
            return response
        if getattr(response, "csrf_failure", False):
            return response
        if not request.user.is_authenticated:
            return redirect(reverse("login") + "?next=" + request.path)
        if not response.content:
            return refusal_page(request, 403, "You may not do this.")
        return response

    def process_exception(self, request, error):
        if isinstance(error, Refused):
            return refusal_page(request, error.status, str(error))
        if isinstance(error, DataError):
            log.info("value refused by the database on %s: %s", request.path, error)
            return refusal_page(request, 400, "A value in the request is out of range.")
        return None


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a 403 page (never a redirect), the reason logged for admins."""
    log.warning("CSRF failure on %s %s: %s", request.method, request.path, reason)
    response = refusal_page(
        request,
        403,
        "This form expired or did not come from this site. Reload the page and try again.",
    )
    response.csrf_failure = True
    return response
