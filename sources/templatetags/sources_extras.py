from django import template
from django.utils.safestring import mark_safe

from sources.lightcurves import band_legend, sparkline_svg

register = template.Library()


@register.simple_tag
def sparklines(points):
    """Both light-curve views of a card (magnitude and flux); CSS shows the chosen one."""
    return mark_safe(
        sparkline_svg(points, "mag")
        + sparkline_svg(points, "flux")
        + f'<div class="legend">{band_legend(points)}</div>'
    )


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None
