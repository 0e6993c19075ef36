"""The one function follow-up plugins use to talk HTTP to a facility.

Bounded: a timeout (``FACILITY_HTTP_TIMEOUT_S``), no redirects followed, answers read up to
``MAX_RESPONSE_BYTES``, http(s) only. When the project's guarded fetch helper
(``icare_tom.fetch``) is available, switch the body of :func:`request` to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings

from facilities.plugins import FacilityError

MAX_RESPONSE_BYTES = 50_000_000


def timeout_s() -> float:
    return float(getattr(settings, "FACILITY_HTTP_TIMEOUT_S", 20.0))


def request(
    method: str, url: str, *, headers: dict | None = None, json: Any = None
) -> requests.Response:
    """Send one request; raise :class:`FacilityError` on a timeout, a refused connection, a
    redirect, an oversized answer or an HTTP error status (with the facility's message)."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise FacilityError(f"not an http(s) URL: {url[:100]}")
    try:
        response = requests.request(
            method,
            url,
            headers=headers or {},
            json=json,
            timeout=timeout_s(),
            allow_redirects=False,
            stream=True,
        )
        body = response.raw.read(MAX_RESPONSE_BYTES + 1, decode_content=True)
    except requests.Timeout:
        raise FacilityError(f"the facility did not answer within {timeout_s():g} s") from None
    except requests.RequestException as exc:
        raise FacilityError(f"the facility could not be reached: {exc}") from None
    if len(body) > MAX_RESPONSE_BYTES:
        raise FacilityError("the facility's answer is too large")
    response._content = body
    if 300 <= response.status_code < 400:
        raise FacilityError(f"the facility redirected ({response.status_code}); not followed")
    if response.status_code >= 400:
        raise FacilityError(
            f"the facility answered {response.status_code}: {body[:500].decode('utf-8', 'replace')}"
        )
    return response


def request_json(method: str, url: str, **kwargs) -> Any:
    response = request(method, url, **kwargs)
    try:
        return response.json()
    except ValueError:
        raise FacilityError("the facility's answer is not JSON") from None
