"""Helpers shared by the pages and the API (JSON shapes, saved-view input)."""

from __future__ import annotations

from urllib.parse import urlsplit

from notifications.errors import FieldError
from notifications.models import ChannelAddress, Delivery, SavedView

MAX_PROFILES = 50
MAX_SAVED_VIEWS = 50
QUEUE_PATH = "/candidates/"


InputError = FieldError


def channels_json(user) -> dict:
    address = ChannelAddress.objects.filter(user=user).first()
    return {"email": user.email, "slack_url": address.slack_url if address else ""}


def saved_view_json(view: SavedView) -> dict:
    return {
        "id": view.pk,
        "name": view.name,
        "query": view.query,
        "url": f"{QUEUE_PATH}?{view.query}" if view.query else QUEUE_PATH,
        "active": view.active,
    }


def delivery_json(d: Delivery) -> dict:
    return {
        "id": d.pk,
        "channel": d.channel,
        "state": d.state,
        "attempts": d.attempts,
        "reason": d.last_error,
        "created": d.created.isoformat(),
        "sent": d.sent_at.isoformat() if d.sent_at else None,
        "notification": d.notification.text if d.notification_id else d.subject,
    }


def query_of(url_or_query: str) -> str:
    """The query string of a scanning-page URL (``/candidates/?…``) or of ``?…`` itself."""
    text = url_or_query.strip()
    if text.startswith("?"):
        return text[1:]
    parts = urlsplit(text)
    if parts.path and parts.path != QUEUE_PATH:
        raise InputError("query", f"a URL of the scanning page ({QUEUE_PATH}?…)")
    return parts.query


def create_saved_view(user, data) -> SavedView:
    if not isinstance(data, dict):
        raise InputError("name", "send an object with name and query")
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InputError("name", "a name of 1-100 characters")
    raw = data.get("query", "")
    if not isinstance(raw, str) or len(raw) > 1000:
        raise InputError("query", "the queue's query string or URL, at most 1000 characters")
    if SavedView.objects.filter(user=user).count() >= MAX_SAVED_VIEWS:
        raise InputError("name", f"at most {MAX_SAVED_VIEWS} saved views")
    if SavedView.objects.filter(user=user, name=name.strip()).exists():
        raise InputError("name", "you already have a saved view with this name")
    # Start from now: the matcher (in ``sources``) moves the mark to the newest candidate
    # it has looked at; 0 means "not looked yet" and it then starts at the newest one.
    return SavedView.objects.create(user=user, name=name.strip(), query=query_of(raw))
