"""The one way follow-up plugins talk HTTP to a facility.

Every call goes through the project's guarded fetch (:func:`icare_tom.fetch.fetch`) under the
``facilities`` allow-list (``FETCH_ALLOWED_HOSTS_FACILITIES``), with the facility timeout
(``FACILITY_HTTP_TIMEOUT_S``) and a size limit. A refusal becomes a :class:`FacilityError`
whose message is stored on the request and shown to its group: the facility's own explanation
of an error status, the time limit, or a short reason; addresses and other network detail go to
the log for admins only.
"""

from __future__ import annotations

import json as jsonlib
import logging
from typing import Any

from django.conf import settings

from facilities.plugins import FacilityError
from icare_tom.fetch import FetchRefused, explain, fetch

logger = logging.getLogger(__name__)

MAX_RESPONSE_BYTES = 50_000_000  # an API answer (JSON)
MAX_DATA_PRODUCT_BYTES = 200_000_000  # one frame from a facility's archive


def timeout_s() -> float:
    return float(getattr(settings, "FACILITY_HTTP_TIMEOUT_S", 20.0))


def request(
    method: str,
    url: str,
    *,
    headers: dict | None = None,
    json: Any = None,
    max_bytes: int = MAX_RESPONSE_BYTES,
) -> bytes:
    """The body of one exchange with a facility; :class:`FacilityError` when it fails."""
    sent_headers = dict(headers or {})
    body = None
    if json is not None:
        body = jsonlib.dumps(json).encode()
        sent_headers.setdefault("Content-Type", "application/json")
    try:
        return fetch(
            url,
            source="facilities",
            max_bytes=max_bytes,
            timeout_s=timeout_s(),
            method=method,
            body=body,
            headers=sent_headers,
        )
    except FetchRefused as refused:
        logger.warning("facility %s %s refused: %s", method, url[:300], refused)
        raise FacilityError(
            explain(refused, remote="the facility", source="facilities", timeout_s=timeout_s())
        ) from None


def request_json(method: str, url: str, **kwargs) -> Any:
    body = request(method, url, **kwargs)
    try:
        return jsonlib.loads(body)
    except ValueError:
        raise FacilityError("the facility's answer is not JSON") from None
