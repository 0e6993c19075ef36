"""``{% load source_links %}{{ target.name|source_url }}``: a source page's URL for any name,
``/`` included (see ``sources.links``), where ``{% url %}`` would fail the whole page."""

from django import template

from sources import links

register = template.Library()


@register.filter
def source_url(name: str) -> str:
    return links.source_url(name)
