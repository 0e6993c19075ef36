"""Follow-up pages: the queue of my groups, one request with its exchanges, requesting from
the source page, and the telescopes. Logic lives in ``facilities.services``."""

from __future__ import annotations

import csv
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from facilities import services
from facilities.models import FollowupRequest, Telescope
from facilities.services import Refused

SORTS = {
    "created": "created",
    "-created": "-created",
    "status": "status",
    "-status": "-status",
    "priority": "priority",
    "-priority": "-priority",
    "target": "target__name",
    "-target": "-target__name",
    "telescope": "allocation__instrument__telescope__nickname",
    "-telescope": "-allocation__instrument__telescope__nickname",
}
MAX_ROWS = 2000


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None


@login_required
@require_GET
def followup_queue(request: HttpRequest) -> HttpResponse:
    """The follow-up requests of my groups: filter by status, allocation, telescope and
    requester; sort by a column; ``?format=csv`` downloads what is shown."""
    qs = services.visible_requests(request.user)
    status = request.GET.get("status", "")[:20]
    if status:
        qs = qs.filter(status=status)
    allocation = _int_or_none(request.GET.get("allocation"))
    if allocation is not None:
        qs = qs.filter(allocation_id=allocation)
    telescope = request.GET.get("telescope", "")[:40]
    if telescope:
        qs = qs.filter(allocation__instrument__telescope__nickname=telescope)
    requester = request.GET.get("requester", "")[:150]
    if requester:
        qs = qs.filter(requester__username=requester)
    sort = request.GET.get("sort", "-created")
    qs = qs.order_by(SORTS.get(sort, "-created"), "-id")[:MAX_ROWS]
    rows = list(qs)
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="followup.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                "id",
                "target",
                "ra_deg",
                "dec_deg",
                "telescope",
                "instrument",
                "facility",
                "group",
                "requester",
                "status",
                "priority",
                "filters",
                "exposure_time_s",
                "exposure_count",
                "start_utc",
                "end_utc",
                "message",
                "created_utc",
            ]
        )
        for r in rows:
            p = r.parameters
            writer.writerow(
                [
                    r.pk,
                    r.target.name,
                    r.target.ra,
                    r.target.dec,
                    r.allocation.instrument.telescope.nickname,
                    r.allocation.instrument.name,
                    r.allocation.facility,
                    r.allocation.group.name,
                    r.requester.username if r.requester else "",
                    r.status,
                    r.priority,
                    " ".join(p.get("filters", [])),
                    p.get("exposure_time"),
                    p.get("exposure_count"),
                    p.get("start"),
                    p.get("end"),
                    r.message,
                    r.created.isoformat(),
                ]
            )
        return response
    allocations = services.visible_allocations(request.user).order_by("id")
    context = {
        "rows": rows,
        "statuses": [s for s, _ in FollowupRequest.STATUSES],
        "allocations": allocations,
        "telescopes": sorted({a.instrument.telescope.nickname for a in allocations}),
        "filters": {
            "status": status,
            "allocation": allocation,
            "telescope": telescope,
            "requester": requester,
            "sort": sort,
        },
        "query": request.GET.urlencode(),
    }
    return render(request, "facilities/followup.html", context)


@login_required
@require_GET
def followup_detail(request: HttpRequest, request_id: int) -> HttpResponse:
    try:
        followup = services.request_for(request.user, request_id)
    except Refused:
        raise Http404("no such request") from None
    exchanges = list(followup.exchanges.select_related("user", "robot_token"))
    for e in exchanges:
        e.sent_text = json.dumps(e.sent, indent=1, default=str)[:5000]
        e.received_text = json.dumps(e.received, indent=1, default=str)[:5000]
    return render(request, "facilities/request.html", {"r": followup, "exchanges": exchanges})


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt.startswith("/") and not nxt.startswith("//"):
        return redirect(nxt)
    return redirect(fallback)


@login_required
@require_POST
def request_followup(request: HttpRequest, name: str) -> HttpResponse:
    """The source page's request form."""
    target = access.visible_targets(request.user).filter(name=name).first()
    if target is None:
        raise Http404("no such target")
    keys = ("exposure_time", "exposure_count", "priority", "start", "end", "comment")
    params = {key: request.POST.get(key, "") for key in keys}
    params["filters"] = request.POST.getlist("filters")
    params = {k: v for k, v in params.items() if v not in ("", [])}
    try:
        followup = services.submit_request(
            request.user, target, request.POST.get("allocation"), params
        )
    except Refused as exc:
        messages.error(request, f"Follow-up not requested: {exc.reason}")
        return _back(request, reverse("sources:source", args=[target.name]))
    messages.success(request, f"Follow-up request #{followup.pk} is {followup.status}.")
    return _back(request, reverse("sources:source", args=[target.name]))


@login_required
@require_POST
def change_request(request: HttpRequest, request_id: int, action: str) -> HttpResponse:
    try:
        followup = services.request_for(request.user, request_id)
    except Refused:
        raise Http404("no such request") from None
    try:
        if action == "cancel":
            services.cancel_request(request.user, followup)
        elif action == "resubmit":
            services.resubmit_request(request.user, followup)
        elif action == "edit":
            params = dict(followup.parameters)
            for key in ("exposure_time", "exposure_count", "priority", "start", "end", "comment"):
                if key in request.POST:
                    params[key] = request.POST[key]
            if request.POST.getlist("filters"):
                params["filters"] = request.POST.getlist("filters")
            services.edit_request(request.user, followup, params)
        else:
            raise Http404("no such action")
    except Refused as exc:
        messages.error(request, f"Request #{followup.pk}: {exc.reason}")
    else:
        messages.success(request, f"Request #{followup.pk}: {action} done ({followup.status}).")
    return _back(request, reverse("facilities:request", args=[followup.pk]))


@login_required
@require_GET
def telescopes(request: HttpRequest) -> HttpResponse:
    """Telescopes and instruments with the sites on a world map (equirectangular)."""
    rows = list(Telescope.objects.prefetch_related("instruments").order_by("nickname"))
    for t in rows:
        if t.longitude is not None and t.latitude is not None:
            t.map_x = round(((t.longitude + 180) % 360) / 360 * 720, 1)
            t.map_y = round((90 - t.latitude) / 180 * 360, 1)
    return render(request, "facilities/telescopes.html", {"telescopes": rows})
