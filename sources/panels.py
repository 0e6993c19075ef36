"""Panels that other apps add to the source page (follow-up, observability, events, …).

``sources`` never imports the apps above it; they register a panel here from their
``AppConfig.ready()``. A panel is a template and a function that builds its context for
one request and target, or returns ``None`` when the panel has nothing to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString
from tom_targets.models import Target

PanelContext = Callable[[HttpRequest, Target], dict | None]


@dataclass(frozen=True)
class SourcePanel:
    template_name: str
    context: PanelContext
    order: int


_panels: dict[str, SourcePanel] = {}


def register_source_panel(template_name: str, context: PanelContext, *, order: int) -> None:
    """Show ``template_name`` on every source page, rendered with ``context(request, target)``."""
    _panels[template_name] = SourcePanel(template_name, context, order)


def render_source_panels(request: HttpRequest, target: Target) -> list[SafeString]:
    """The registered panels for this request, in order; panels without context are left out."""
    rendered = []
    for panel in sorted(_panels.values(), key=lambda p: p.order):
        context = panel.context(request, target)
        if context is None:
            continue
        rendered.append(
            render_to_string(panel.template_name, {"target": target, **context}, request=request)
        )
    return rendered
