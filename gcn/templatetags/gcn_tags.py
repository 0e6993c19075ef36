"""``{% load gcn_tags %}{% gcn_regions target %}`` on a source page: the GCN events whose
credible region (90 %) holds the source and whose time window holds its first detection."""

from django import template

from gcn import crossmatch

register = template.Library()


@register.inclusion_tag("gcn/_regions.html", takes_context=True)
def gcn_regions(context, target, cumprob: float = crossmatch.DEFAULT_CUMPROB):
    request = context.get("request")
    user = getattr(request, "user", None) or context.get("user")
    return {"regions": crossmatch.events_containing(target, user, cumprob), "cumprob": cumprob}
