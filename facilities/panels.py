"""The source page's Follow-up panel (and, later, observability), registered from
``FacilitiesConfig.ready()`` through ``sources.panels``."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from accounts import access, acl
from facilities import services
from icare_tom.plotly_text import plotly_text


def _active_allocations(request) -> list:
    """The user's groups' active allocations, read once per request for both panels."""
    cached = getattr(request, "_icare_active_allocations", None)
    if cached is None:
        now = timezone.now()
        cached = list(
            services.visible_allocations(request.user)
            .filter(start__lte=now, end__gt=now)
            .order_by("id")
        )
        request._icare_active_allocations = cached
    return cached


def followup_context(request, target) -> dict | None:
    user = request.user
    if not access.is_approved(user):
        return None
    requests = list(
        services.visible_requests(user)
        .select_related(None)
        .select_related("allocation__instrument__telescope", "requester")
        .filter(target=target)
        .order_by("-created")[:50]
    )
    allocations = (
        _active_allocations(request) if access.has_acl(user, acl.REQUEST_OBSERVATIONS) else []
    )
    filters: list[str] = []
    for allocation in allocations:
        filters += [f for f in allocation.instrument.filters if f not in filters]
    now = timezone.now().replace(microsecond=0, second=0)
    return {
        "requests": requests,
        "allocations": allocations,
        "all_filters": filters,
        "may_request": access.has_acl(user, acl.REQUEST_OBSERVATIONS),
        "default_start": now.strftime("%Y-%m-%dT%H:%MZ"),
        "default_end": (now + timedelta(days=1)).strftime("%Y-%m-%dT%H:%MZ"),
    }


MAX_TELESCOPES = 10


def observability_context(request, target) -> dict | None:
    """Tonight at each telescope of the user's active allocations (cached per hour)."""
    from facilities import observability

    user = request.user
    if not access.is_approved(user):
        return None
    telescopes = {}
    for allocation in _active_allocations(request):
        telescope = allocation.instrument.telescope
        telescopes.setdefault(telescope.pk, telescope)
    if not telescopes:
        return None
    chosen = sorted(telescopes.values(), key=lambda t: t.nickname)[:MAX_TELESCOPES]
    rows = [row for row in observability.tonight_many(target, chosen) if row is not None]
    curves = [
        {"telescope": plotly_text(r["telescope"]), **r["curve"]} for r in rows if r.get("curve")
    ]
    return {"observability": rows, "observability_curves": curves}


def register() -> None:
    from sources.panels import register_source_panel

    register_source_panel("facilities/panel_followup.html", followup_context, order=40)
    register_source_panel("facilities/panel_observability.html", observability_context, order=45)
