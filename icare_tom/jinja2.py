"""The Jinja2 environment for the few templates on hot paths (queue cards: 50 to 200 per
page, where Django's template engine cost more than the queries behind the page).

Templates live in each app's ``jinja2/`` folder and are rendered with
``render_to_string(name, context, request=request, using="jinja2")``; autoescaping is on.
Globals: ``url(name, *args)`` (``reverse``) and ``static(path)``; with a request, the
backend adds ``csrf_input`` and ``csrf_token``.
"""

from __future__ import annotations

from django.templatetags.static import static
from django.urls import reverse
from jinja2 import Environment


def url(name: str, *args) -> str:
    return reverse(name, args=args or None)


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update({"url": url, "static": static})
    return env
