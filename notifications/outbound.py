"""The one outbound HTTP call of this app (Slack incoming webhooks), through the project's
guarded fetch helper (``icare_tom.fetch``, source ``slack``: allowed hosts, no private or
loopback address, bounded size and time). The webhook URL has also been checked against the
allowed prefixes (``SLACK_WEBHOOK_PREFIXES``) when it was saved and again before sending.
"""

from __future__ import annotations

import json

from icare_tom.fetch import FetchRefused, fetch

TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024


class OutboundError(Exception):
    """The request failed; ``permanent`` when retrying cannot help (a 4xx answer, a refusal
    by policy)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def post_json(url: str, payload: dict, headers: dict[str, str] | None = None) -> None:
    """POST ``payload`` as JSON to ``url``; raises :class:`OutboundError` unless 2xx."""
    try:
        fetch(
            url,
            source="slack",
            method="POST",
            body=json.dumps(payload).encode(),
            headers={"Content-Type": "application/json", **(headers or {})},
            max_bytes=MAX_RESPONSE_BYTES,
            timeout_s=TIMEOUT_S,
        )
    except FetchRefused as error:
        if error.reason == "http_error" and error.status is not None:
            message = f"HTTP {error.status} from the webhook"
        else:
            message = f"{error.reason.replace('_', ' ')}: {error.detail[:200]}"
        raise OutboundError(message, error.permanent) from None
