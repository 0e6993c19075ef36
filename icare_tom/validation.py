"""One validation layer for what every request carries: path, query parameters, cursors.

:class:`InputValidationMiddleware` answers 400 before any view runs when

- the path or a query parameter holds a NUL or another control character (PostgreSQL
  cannot store NUL in text: it was a 500 on every page that looked such a value up), or
  bytes that are not UTF-8 (Django keeps them percent-encoded; they match no name);
- a query parameter is longer than :data:`MAX_PARAM_CHARS` or there are more than
  :data:`MAX_PARAMS` of them;
- a pagination parameter (:data:`INTEGER_PARAMS`) is not a plain non-negative integer
  below :data:`MAX_INTEGER` (``limit=99999999999999999999999`` reached PostgreSQL).

The helpers below (:func:`bounded_int`, :func:`finite_float`, :func:`aware_datetime`) are
what views and forms use for their own parameters and cursor contents; each raises
:class:`accounts.refusals.Refused` (400) with a message naming the parameter.
Whatever still slips through to the database as an impossible value (``DataError``:
out of range, invalid datetime) is answered 400 by ``accounts.refusals``, never 500.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from django.http import HttpResponseBadRequest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from accounts.refusals import Refused

MAX_PARAM_CHARS = 4096
MAX_PARAMS = 200
MAX_INTEGER = 10**9
INT64 = 2**63
INTEGER_PARAMS = ("limit", "offset", "page", "page_size", "per_page")
# Control characters other than tab, line feed and carriage return (form text areas).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_NOT_UTF8 = re.compile(r"%[89A-Fa-f][0-9A-Fa-f]")


class InputValidationMiddleware:
    """Refuse malformed paths and query parameters with 400 before any view runs."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        problem = problem_in(request)
        if problem:
            return HttpResponseBadRequest(
                f"Bad request: {problem}.", content_type="text/plain; charset=utf-8"
            )
        return self.get_response(request)


def problem_in(request) -> str | None:
    path = request.path_info
    if _CONTROL.search(path):
        return "the path holds a control character"
    if _NOT_UTF8.search(path):  # Django leaves bytes that are not UTF-8 percent-encoded
        return "the path is not UTF-8"
    try:
        items = list(request.GET.lists())
    except Exception:
        return "the query string cannot be read"
    if len(items) > MAX_PARAMS:
        return f"more than {MAX_PARAMS} query parameters"
    for key, values in items:
        for text in (key, *values):
            if len(text) > MAX_PARAM_CHARS:
                return f"query parameter {key[:40]!r} is longer than {MAX_PARAM_CHARS} characters"
            if _CONTROL.search(text):
                return f"query parameter {key[:40]!r} holds a control character"
            if "\ufffd" in text or _has_surrogates(text):
                return f"query parameter {key[:40]!r} is not UTF-8"
        if key in INTEGER_PARAMS:
            for value in values:
                if value and not (value.isascii() and value.isdigit() and int(value) < MAX_INTEGER):
                    return f"{key} must be an integer from 0 to {MAX_INTEGER - 1}"
    return None


def _has_surrogates(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


# --------------------------------------------------------------------------- helpers


def bounded_int(value, name: str, minimum: int = -INT64, maximum: int = INT64 - 1) -> int:
    """An integer (ASCII digits, optional sign) within [minimum, maximum]."""
    text = str(value).strip()
    if not re.fullmatch(r"[+-]?[0-9]{1,20}", text):
        raise Refused(f"{name}: expected an integer")
    number = int(text)
    if not minimum <= number <= maximum:
        raise Refused(f"{name}: must be between {minimum} and {maximum}")
    return number


def finite_float(value, name: str) -> float:
    """A finite number (NaN, ±Infinity and 1e999 refused)."""
    if isinstance(value, bool):
        raise Refused(f"{name}: expected a number")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise Refused(f"{name}: expected a number") from None
    if not math.isfinite(number):
        raise Refused(f"{name}: must be a finite number")
    return number


def aware_datetime(value, name: str) -> datetime:
    """An ISO 8601 date-time that exists (2024-13-45 refused); UTC when no zone is given."""
    if not isinstance(value, str) or len(value) > 64:
        raise Refused(f"{name}: expected an ISO 8601 date-time")
    try:
        parsed = parse_datetime(value.strip())
    except ValueError:
        parsed = None
    if parsed is None:
        raise Refused(f"{name}: not a valid date-time (ISO 8601, e.g. 2026-01-31T22:00:00Z)")
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed, UTC)
    if not 1900 <= parsed.year <= 2200:
        raise Refused(f"{name}: year out of range")
    return parsed
