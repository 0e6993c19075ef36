"""Our URLs of a source, by name, through ``reverse()``.

A name the URL pattern cannot carry (TOM Toolkit lets a target be called anything, ``/``
included) gets its percent-encoded path instead of an error: the page answers 404 there,
and the page linking to it still renders.
"""

from __future__ import annotations

from urllib.parse import quote

from django.urls import NoReverseMatch, reverse

ACTIONS = ("save", "unsave", "reject", "unreject")


def source_url(name: str, action: str | None = None) -> str:
    """``/sources/<name>/`` or one of its actions (``save``, ``reject``…)."""
    url_name = f"sources:{action}" if action else "sources:source"
    try:
        return reverse(url_name, args=[name])
    except NoReverseMatch:
        return f"/sources/{quote(name, safe='')}/" + (f"{action}/" if action else "")


def action_urls(name: str) -> dict[str, str]:
    return {action: source_url(name, action) for action in ACTIONS}
