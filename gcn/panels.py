"""Panels that apps above ``gcn`` add to the GCN event page (observation plans, …).

``gcn`` never imports those apps; they register a panel here from their
``AppConfig.ready()``: a template and a function building its context for one request and
event (``None``: nothing to show). The event page renders them after the sky map.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from gcn.models import GcnEvent, Localization

PanelContext = Callable[[HttpRequest, GcnEvent, Localization | None], dict | None]


@dataclass(frozen=True)
class EventPanel:
    template_name: str
    context: PanelContext
    order: int


_panels: dict[str, EventPanel] = {}


def register_event_panel(template_name: str, context: PanelContext, *, order: int) -> None:
    """Show ``template_name`` on every event page, rendered with
    ``context(request, event, localization)``."""
    _panels[template_name] = EventPanel(template_name, context, order)


def render_event_panels(
    request: HttpRequest, event: GcnEvent, loc: Localization | None
) -> list[SafeString]:
    rendered = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.context(request, event, loc)
        if context is None:
            continue
        rendered.append(
            render_to_string(
                panel.template_name, {"event": event, "loc": loc, **context}, request=request
            )
        )
    return rendered
