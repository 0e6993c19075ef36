"""The one outbound HTTP call of this app (Slack incoming webhooks).

Kept in one small function so that it can be switched to the project's guarded fetch
helper in one line; the webhook URL has already been checked against the allowed prefixes
(``SLACK_WEBHOOK_PREFIXES``) when it was saved and again before sending.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request

TIMEOUT_S = 10.0
MAX_RESPONSE_BYTES = 64 * 1024


class OutboundError(Exception):
    """The request failed; ``permanent`` when retrying cannot help (a 4xx answer)."""

    def __init__(self, message: str, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


def post_json(url: str, payload: dict, headers: dict[str, str] | None = None) -> int:
    """POST ``payload`` as JSON to ``url``; returns the HTTP status (2xx) or raises."""
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json", **(headers or {})},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            response.read(MAX_RESPONSE_BYTES)
            return response.status
    except urllib.error.HTTPError as error:
        raise OutboundError(
            f"HTTP {error.code} from the webhook", 400 <= error.code < 500
        ) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise OutboundError(f"unreachable: {reason}") from None
