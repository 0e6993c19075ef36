"""Helpers of the attack tests: clients sharing one request handler, and hostile strings."""

from __future__ import annotations

from django.test import Client

# A value that runs as script if written unescaped into HTML, an attribute or an inline
# script, and that closes a JSON string.
HOSTILE = "</script><img src=x onerror=alert(1)>\"'&"
HOSTILE_MARKERS = ("<img src=x onerror=alert(1)>", "</script><img")

_HANDLER = None


def client_for(user=None, **defaults) -> Client:
    """A test client for ``user`` (anonymous when None). Clients share one request handler:
    building the middleware chain (WhiteNoise scans every static file) per client was most
    of an attack walk's time."""
    global _HANDLER
    client = Client(raise_request_exception=False, **defaults)
    if _HANDLER is None:
        _HANDLER = client.handler
    client.handler = _HANDLER
    if user is not None:
        client.force_login(user)
    return client


def body_text(response) -> str:
    """The body. An event stream never ends, so it is left unread (its generator never
    starts; its own tests check what it pushes); finite streams (CSV downloads) are read
    whole."""
    if not getattr(response, "streaming", False):
        return response.content.decode("utf-8", "replace")
    if response.headers.get("Content-Type", "").startswith("text/event-stream"):
        return ""
    return b"".join(response.streaming_content).decode("utf-8", "replace")


def unescaped(response) -> bool:
    """Whether an HTML page carries a hostile value as markup. JSON bodies are data (served
    as application/json with nosniff) and are judged by their content type instead."""
    content_type = response.headers.get("Content-Type", "")
    if "json" in content_type:
        return False
    text = response.content.decode("utf-8", "replace")
    return any(marker in text for marker in HOSTILE_MARKERS)
