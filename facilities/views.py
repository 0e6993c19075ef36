"""Follow-up pages: the queue of my groups, one request with its exchanges, requesting from
the source page, and the telescopes. Logic lives in ``facilities.services``."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import access, acl
from facilities import services
from facilities.models import FollowupRequest, Telescope
from facilities.services import Refused
from icare_tom.csv_download import DownloadWriter

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
        writer = DownloadWriter(response)
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
    return render(
        request,
        "facilities/telescopes.html",
        {"telescopes": rows, "night": night_polygon(timezone.now()), "now": timezone.now()},
    )


def night_polygon(when, width: int = 720, height: int = 360) -> str:
    """SVG points of the night side of the Earth at ``when`` on the equirectangular map
    (longitude -180..180 → 0..width, latitude 90..-90 → 0..height). The Sun's position is
    approximate (declination from the day of the year, longitude from UTC; < 1° off)."""
    import math

    day = when.timetuple().tm_yday
    decl = math.radians(-23.44 * math.cos(math.radians(360 / 365 * (day + 10))))
    hours = when.hour + when.minute / 60 + when.second / 3600
    sun_lon = -15.0 * (hours - 12.0)
    decl = decl if abs(decl) > 1e-4 else 1e-4
    points = []
    for i in range(0, 361, 4):
        lon = -180.0 + i
        lat = math.degrees(math.atan(-math.cos(math.radians(lon - sun_lon)) / math.tan(decl)))
        points.append((i / 360 * width, (90 - lat) / 180 * height))
    # the night side contains the pole the Sun does not light
    edge = height if decl > 0 else 0
    points += [(width, edge), (0, edge)]
    return " ".join(f"{x:.1f},{y:.1f}" for x, y in points)


# --------------------------------------------------------------------------- allocations


@login_required
def allocations(request: HttpRequest) -> HttpResponse:
    """My groups' allocations; holders of Manage allocations create them here (credentials
    are written once and never shown); allocation admins make and revoke robot tokens."""
    from facilities.models import Instrument, RobotToken
    from facilities.plugins import facility_names

    user = request.user
    may_manage = access.has_acl(user, acl.MANAGE_ALLOCATIONS)
    new_token = None
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "create":
                if not may_manage:
                    raise Refused(403, "creating allocations needs 'Manage allocations'")
                allocation = _create_allocation(request, facility_names())
                messages.success(request, f"Allocation #{allocation.pk} created.")
            elif action == "edit":
                allocation = services.allocation_for(user, request.POST.get("allocation"))
                if not may_manage:
                    raise Refused(403, "editing allocations needs 'Manage allocations'")
                _edit_allocation(request, allocation)
                messages.success(request, f"Allocation #{allocation.pk} saved.")
            elif action in ("token", "revoke"):
                allocation = services.allocation_for(user, request.POST.get("allocation"))
                if action == "token":
                    new_token = (allocation, services.create_robot_token(user, allocation))
                else:
                    if not services.may_administer(user, allocation):
                        raise Refused(403, "only an admin of this allocation may revoke tokens")
                    RobotToken.objects.filter(
                        allocation=allocation, pk=_int_or_none(request.POST.get("token"))
                    ).update(revoked=timezone.now())
                    messages.success(request, "Token revoked.")
            else:
                raise Refused(400, "unknown action")
        except Refused as exc:
            messages.error(request, exc.reason)
            if exc.status == 404:
                raise Http404(exc.reason) from None
        if new_token is None:
            return redirect("facilities:allocations")
    rows = list(
        services.visible_allocations(user).prefetch_related("admins", "robot_tokens").order_by("id")
    )
    for a in rows:
        a.may_admin = services.may_administer(user, a)
        a.live_tokens = [t for t in a.robot_tokens.all() if t.revoked is None]
    context = {
        "allocations": rows,
        "may_manage": may_manage,
        "new_token": new_token,
        "groups": access.groups_of(user).order_by("name"),
        "instruments": Instrument.objects.select_related("telescope").order_by("name"),
        "facilities": facility_names(),
        "today": timezone.now().strftime("%Y-%m-%dT00:00Z"),
    }
    return render(request, "facilities/allocations.html", context)


def _window(post) -> tuple:
    from datetime import datetime

    try:
        start = datetime.fromisoformat(post.get("start", "").replace("Z", "+00:00"))
        end = datetime.fromisoformat(post.get("end", "").replace("Z", "+00:00"))
        hours = float(post.get("hours") or 0)
    except ValueError:
        raise Refused(400, "start and end must be ISO 8601 times, hours a number") from None
    if start.tzinfo is None or end.tzinfo is None or end <= start or not 0 <= hours <= 1e5:
        raise Refused(400, "give a UTC window (end after start) and hours ≥ 0")
    return start, end, hours


def _credentials(post) -> dict:
    credentials = {}
    for line in post.get("credentials", "")[:20_000].splitlines()[:20]:
        if "=" in line:
            key, value = line.split("=", 1)
            if key.strip():
                credentials[key.strip()[:100]] = value.strip()[:2000]
    return credentials


def _edit_allocation(request: HttpRequest, allocation) -> None:
    """PI, hours and window; credentials are replaced only when new ones are typed."""
    start, end, hours = _window(request.POST)
    allocation.pi = request.POST.get("pi", allocation.pi)[:200]
    allocation.start, allocation.end, allocation.hours = start, end, hours
    credentials = _credentials(request.POST)
    if credentials:
        allocation.set_credentials(credentials)
    allocation.save()


def _create_allocation(request: HttpRequest, known_facilities: list[str]):
    from facilities.models import Allocation, Instrument

    post = request.POST
    group = access.groups_of(request.user).filter(pk=_int_or_none(post.get("group"))).first()
    instrument = Instrument.objects.filter(pk=_int_or_none(post.get("instrument"))).first()
    if group is None or instrument is None:
        raise Refused(400, "choose one of your groups and an instrument")
    if post.get("facility") not in known_facilities:
        raise Refused(400, "unknown facility")
    start, end, hours = _window(post)
    credentials = _credentials(post)
    allocation = Allocation(
        group=group,
        instrument=instrument,
        facility=post["facility"],
        pi=post.get("pi", "")[:200],
        hours=hours,
        start=start,
        end=end,
        created_by=request.user,
    )
    allocation.set_credentials(credentials)
    allocation.save()
    allocation.admins.add(request.user)
    return allocation


# --------------------------------------------------------------------------- instruments


@login_required
def instrument_detail(request: HttpRequest, instrument_id: int) -> HttpResponse:
    """An instrument: its filters, timings, footprint and its fields drawn on the sky;
    holders of Manage instruments edit the filters and timings here."""
    from facilities.models import Instrument
    from sources.bands import unknown_bands

    instrument = Instrument.objects.select_related("telescope").filter(pk=instrument_id).first()
    if instrument is None:
        raise Http404("no such instrument")
    may_edit = access.has_acl(request.user, acl.MANAGE_INSTRUMENTS)
    if request.method == "POST":
        if not may_edit:
            return HttpResponse("editing instruments needs 'Manage instruments'", status=403)
        filters = request.POST.get("filters", "").replace(",", " ").split()[:50]
        bad = unknown_bands(filters)
        try:
            numbers = {
                key: float(request.POST.get(key, getattr(instrument, key)) or 0)
                for key in ("readout", "overhead_per_exposure", "filter_change_time", "slew_rate")
            }
        except ValueError:
            numbers = None
        if bad or not filters or numbers is None or any(v < 0 for v in numbers.values()):
            messages.error(
                request,
                f"Not saved: filters must be sncosmo band names ({', '.join(bad) or 'none given'}) "
                "and timings numbers ≥ 0.",
            )
        else:
            instrument.filters = filters
            for key, value in numbers.items():
                setattr(instrument, key, value)
            instrument.save()
            messages.success(request, "Instrument saved.")
        return redirect("facilities:instrument", instrument_id=instrument.pk)
    centres = list(instrument.fields.order_by("field_id").values_list("ra", "dec")[:60_000])
    return render(
        request,
        "facilities/instrument.html",
        {"i": instrument, "may_edit": may_edit, "centres": centres, "n_fields": len(centres)},
    )
