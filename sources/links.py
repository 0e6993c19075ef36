"""Our URLs of a source, by name, through ``reverse()``.

A name the URL pattern cannot carry (TOM Toolkit lets a target be called anything, ``/``
included) gets its percent-encoded path instead of an error: the page answers 404 there,
and the page linking to it still renders.
"""

from __future__ import annotations

from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

ACTIONS = ("save", "unsave", "reject", "unreject")
# URL name of each page of a source that is not an action: (name, path under the source).
PAGES = {"alerts": ("sources:object-alerts", "alerts/")}


def source_url(name: str, action: str | None = None) -> str:
    """``/sources/<name>/``, one of its actions (``save``, ``reject``…) or pages
    (``alerts``)."""
    url_name, suffix = PAGES.get(action, (f"sources:{action}", f"{action}/"))
    if action is None:
        url_name, suffix = "sources:source", ""
    try:
        return reverse(url_name, args=[name])
    except NoReverseMatch:
        return f"/sources/{quote(name, safe='')}/{suffix}"


def cutout_url(alert_id: int, kind: str) -> str:
    """The PNG of one stamp of an alert (``science``, ``template``, ``difference``)."""
    return reverse("cutouts:png", args=[alert_id, kind])


def action_urls(name: str) -> dict[str, str]:
    return {action: source_url(name, action) for action in ACTIONS}
