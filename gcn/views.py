"""Pages: GCN events list (filters) and event page (sky map, properties, notices, matches)."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import render
from django.urls import reverse
from django.views import View
from rest_framework.exceptions import ValidationError

from accounts import access
from gcn import api, crossmatch, panels, plots, presentation
from gcn.models import GalaxyCatalog, GcnNotice, Localization

MAX_SOURCES_SHOWN = 500
MAX_GALAXIES_SHOWN = 100
LEVELS = (0.5, 0.9, 0.95, 0.99)


def scan_url(loc: Localization, cumprob: float) -> str:
    """The queue limited to the sources the event page counts: inside the region with their
    first detection in the event's window (the ``localization`` queue scope registered by
    this app), whenever their alerts passed, saved or not, rejected or not."""
    query = urlencode(
        [
            ("localization", loc.pk),
            ("cumprob", cumprob),
            ("window", "all"),
            ("saved", "all"),
            ("show_rejected", "on"),
        ]
    )
    return f"{reverse('sources:candidates')}?{query}"


class ApprovedMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not access.is_approved(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class EventListPage(ApprovedMixin, View):
    def get(self, request):
        error = None
        try:
            events = api.filter_events(request.GET)
        except ValidationError as exc:
            error = exc.detail
            events = api.filter_events({})
        page = Paginator(events, 50).get_page(request.GET.get("page"))
        unknown = GcnNotice.objects.filter(notice_type="unknown").count()
        query = request.GET.copy()
        query.pop("page", None)
        rows = [
            {
                "event": event,
                "far": "" if event.far_hz is None else presentation.far_text(event.far_hz),
                "area": presentation.value_text("area_90", event.properties.get("area_90")),
            }
            for event in page
        ]
        return render(
            request,
            "gcn/event_list.html",
            {
                "page": page,
                "rows": rows,
                "params": request.GET,
                "page_query": f"{query.urlencode()}&" if query else "",
                "error": error,
                "unknown_notices": unknown,
            },
        )


class EventPage(ApprovedMixin, View):
    def get(self, request, key: str):
        event = api.get_event(key)
        params = request.GET
        try:
            cumprob = api.cumprob_param(params)
        except ValidationError:
            cumprob = crossmatch.DEFAULT_CUMPROB
        loc = None
        try:
            loc = api.get_localization(event, params.get("localization"))
        except Http404:
            if params.get("localization"):
                raise
        sources, galaxies, n_sources = [], [], 0
        if loc is not None:
            matched = crossmatch.matching_targets(loc, request.user, cumprob)
            n_sources = len(matched)
            sources = matched[:MAX_SOURCES_SHOWN]
            galaxies = crossmatch.matching_galaxies(loc, cumprob, limit=MAX_GALAXIES_SHOWN)
        projection = params.get("projection", "mollweide")
        figure = plots.skymap_figure(
            loc.contours if loc else {},
            sources=[(t.name, t.ra, t.dec) for t in sources if t.ra is not None],
            galaxies=[(g["name"], g["ra"], g["dec"]) for g in galaxies],
            projection=projection,
            title=f"{event.name} — {loc.name}" if loc else event.name,
        )
        return render(
            request,
            "gcn/event_detail.html",
            {
                "event": event,
                "loc": loc,
                "localizations": event.localizations.order_by("-created_at", "-id"),
                "notices": event.notices.order_by("received_at", "id"),
                "properties": presentation.property_rows(event.properties),
                "levels": LEVELS,
                "max_galaxies": MAX_GALAXIES_SHOWN,
                "galaxy_catalogs": GalaxyCatalog.objects.exists(),
                "scan_url": scan_url(loc, cumprob) if loc else None,
                "cumprob": cumprob,
                "cumprob_pct": round(cumprob * 100, 1),
                "sources": sources,
                "n_sources": n_sources,
                "galaxies": galaxies,
                "figure": figure,
                "projection": projection,
                "window_days": crossmatch.window_days(),
                "ready": Localization.Status.READY,
                "event_panels": panels.render_event_panels(request, event, loc),
            },
        )


def plotly_js(request):
    """plotly.js from the installed plotly package (no CDN needed)."""
    import plotly

    path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    response = FileResponse(path.open("rb"), content_type="application/javascript")
    response["Cache-Control"] = "public, max-age=86400"
    return response
