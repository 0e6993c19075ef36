"""The site's one navigation, filled by the apps that own each section.

Each app registers its menu entries (and the small fragments it shows in the top bar or
under it, such as a notification bell or an "on shift now" banner) from its
``AppConfig.ready()``; ``templates/base.html`` renders them through the context processor
below, so a new app never edits the base template.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

VisibleTo = Callable[[HttpRequest], bool]


def signed_in(request: HttpRequest) -> bool:
    return request.user.is_authenticated


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    order: int
    visible: VisibleTo = signed_in


_items: dict[str, NavItem] = {}
_user_menu: dict[str, NavItem] = {}
_topbar_templates: list[str] = []
_banner_templates: list[str] = []


def register_nav_item(
    label: str, url_name: str, *, order: int, visible: VisibleTo = signed_in
) -> None:
    """Add (or replace, by label) one entry of the main navigation."""
    _items[label] = NavItem(label, url_name, order, visible)


def register_user_menu_item(
    label: str, url_name: str, *, order: int, visible: VisibleTo = signed_in
) -> None:
    """Add (or replace, by label) one entry of the user menu (profile, token, notifications…).
    ``url_name`` may carry a fragment: ``"user-profile#api-token"``."""
    _user_menu[label] = NavItem(label, url_name, order, visible)


def register_topbar_template(template_name: str) -> None:
    """A fragment included at the right of the top bar (bell, user menu additions)."""
    if template_name not in _topbar_templates:
        _topbar_templates.append(template_name)


def register_banner_template(template_name: str) -> None:
    """A fragment included under the top bar on every page (e.g. "on shift now")."""
    if template_name not in _banner_templates:
        _banner_templates.append(template_name)


def _entries(items: dict[str, NavItem], request: HttpRequest) -> list[dict]:
    entries = []
    for item in sorted(items.values(), key=lambda i: i.order):
        if not item.visible(request):
            continue
        url_name, _, fragment = item.url_name.partition("#")
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        entries.append(
            {
                "label": item.label,
                "url": f"{url}#{fragment}" if fragment else url,
                "active": request.path.startswith(url),
            }
        )
    return entries


def nav_entries(request: HttpRequest) -> list[dict]:
    """The main navigation's entries for this request: ``{label, url, active}``."""
    return _entries(_items, request)


def navigation(request: HttpRequest) -> dict:
    """Context processor: the entries this request's user may follow, in menu order."""
    return {
        "site_nav": nav_entries(request),
        "site_user_menu": _entries(_user_menu, request),
        "site_topbar_templates": list(_topbar_templates),
        "site_banner_templates": list(_banner_templates),
    }
