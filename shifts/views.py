"""Shift pages: calendars (week/month, one group or all mine), a shift with its people and
actions, creating and editing (Manage shifts), the summary, and the iCalendar feed."""

from __future__ import annotations

from datetime import date, timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from shifts import services
from shifts.forms import ShiftForm
from shifts.models import ReplacementRequest
from shifts.summary import shift_summary, summary_json, summary_text


def approved(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.is_approved(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _my_group(user, group_id: int) -> Group:
    group = access.groups_of(user).filter(pk=group_id).first()
    if group is None:
        raise Http404("no such group")
    return group


def _my_shift(user, shift_id: int):
    return get_object_or_404(services.visible_shifts(user).select_related("group"), pk=shift_id)


def _start_day(request) -> date:
    raw = request.GET.get("start", "")[:10]
    try:
        return date.fromisoformat(raw) if raw else timezone.now().date()
    except ValueError:
        return timezone.now().date()


def _calendar(request: HttpRequest, group: Group | None) -> HttpResponse:
    kind = "month" if request.GET.get("view") == "month" else "week"
    start = _start_day(request)
    first, last = services.calendar_range(kind, start)
    shifts = list(services.shifts_between(request.user, first, last, group))
    mine = set(
        services.visible_shifts(request.user)
        .filter(members__user=request.user, id__in=[s.pk for s in shifts])
        .values_list("id", flat=True)
    )
    days = []
    day = first
    while day <= last:
        days.append(
            {
                "date": day,
                "in_month": kind == "week" or day.month == start.month,
                "shifts": [
                    {"shift": s, "mine": s.pk in mine, "full": s.taken >= s.people_needed}
                    for s in shifts
                    if s.start_at.date() <= day <= (s.end_at - timedelta(microseconds=1)).date()
                    and (s.start_at.date() == day or day == first)
                ],
            }
        )
        day += timedelta(days=1)
    weeks = [days[i : i + 7] for i in range(0, len(days), 7)]
    step = timedelta(days=7) if kind == "week" else timedelta(days=31)
    previous = (start.replace(day=1) - timedelta(days=1)) if kind == "month" else start - step
    following = (
        (start.replace(day=28) + timedelta(days=4)).replace(day=1)
        if kind == "month"
        else start + step
    )
    return render(
        request,
        "shifts/calendar.html",
        {
            "group": group,
            "groups": access.groups_of(request.user).order_by("name"),
            "weeks": weeks,
            "kind": kind,
            "start": start,
            "previous": previous,
            "following": following,
            "may_manage": services.manageable_groups(request.user),
        },
    )


@approved
@require_GET
def calendar(request: HttpRequest) -> HttpResponse:
    return _calendar(request, None)


@approved
@require_GET
def group_calendar(request: HttpRequest, group_id: int) -> HttpResponse:
    return _calendar(request, _my_group(request.user, group_id))


@approved
def create(request: HttpRequest, group_id: int) -> HttpResponse:
    group = _my_group(request.user, group_id)
    if not services.may_manage(request.user, group):
        raise PermissionDenied
    members = services.group_members(group)
    form = ShiftForm(request.POST or None, members=members)
    if request.method == "POST" and form.is_valid():
        start, end = form.start_end()
        data = form.cleaned_data
        spec = services.ShiftSpec(
            data["name"], start, end, data["people_needed"], data["description"]
        )
        admins = [int(a) for a in data["admins"]]
        try:
            if data["occurrences"] > 1:
                made = services.create_series(
                    request.user, group, spec, data["occurrences"], data["every_days"], admins
                )
            else:
                made = [services.create_shift(request.user, group, spec, admins)]
        except services.ShiftRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, f"{len(made)} shift(s) created.")
            return redirect(f"{_group_url(group)}?start={made[0].start_at.date().isoformat()}")
    return render(
        request,
        "shifts/form.html",
        {"form": form, "group": group},
        status=400 if form.errors else 200,
    )


def _group_url(group: Group) -> str:
    return f"/shifts/groups/{group.pk}/"


@approved
def edit(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    if not services.may_edit(request.user, shift):
        raise PermissionDenied
    members = services.group_members(shift.group)
    initial = {
        "name": shift.name,
        "description": shift.description,
        "start_date": shift.start_at.date(),
        "start_time": shift.start_at.time().replace(tzinfo=None),
        "duration_hours": (shift.end_at - shift.start_at).total_seconds() / 3600,
        "people_needed": shift.people_needed,
        "occurrences": 1,
        "every_days": 1,
        "admins": [str(pk) for pk in shift.admins.values_list("pk", flat=True)],
    }
    form = ShiftForm(request.POST or None, initial=initial, members=members)
    if request.method == "POST" and form.is_valid():
        start, end = form.start_end()
        data = form.cleaned_data
        spec = services.ShiftSpec(
            data["name"], start, end, data["people_needed"], data["description"]
        )
        try:
            services.update_shift(request.user, shift, spec, [int(a) for a in data["admins"]])
        except services.ShiftRefused as error:
            form.add_error(None, str(error))
        else:
            return redirect("shifts:detail", shift.pk)
    return render(
        request, "shifts/form.html", {"form": form, "group": shift.group, "shift": shift},
        status=400 if form.errors else 200,
    )  # fmt: skip


@approved
@require_POST
def delete(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    try:
        services.delete_shift(request.user, shift)
    except services.ShiftRefused as error:
        raise PermissionDenied(str(error)) from error
    return redirect(_group_url(shift.group))


@approved
@require_GET
def detail(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    people = list(shift.members.select_related("user").order_by("joined_at"))
    on_it = any(m.user_id == request.user.pk for m in people)
    open_requests = list(
        shift.replacement_requests.filter(status=ReplacementRequest.Status.OPEN).select_related(
            "requester"
        )
    )
    return render(
        request,
        "shifts/detail.html",
        {
            "shift": shift,
            "people": people,
            "on_it": on_it,
            "full": len(people) >= shift.people_needed,
            "open_requests": open_requests,
            "my_request": next(
                (r for r in open_requests if r.requester_id == request.user.pk), None
            ),
            "may_edit": services.may_edit(request.user, shift),
            "admins": list(shift.admins.order_by("username")),
        },
    )


def _act(request: HttpRequest, shift, action, done: str) -> HttpResponse:
    try:
        action()
    except services.ShiftRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done)
    return redirect("shifts:detail", shift.pk)


@approved
@require_POST
def join(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    return _act(
        request, shift, lambda: services.join(request.user, shift), "You joined this shift."
    )


@approved
@require_POST
def leave(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    return _act(request, shift, lambda: services.leave(request.user, shift), "You left this shift.")


@approved
@require_POST
def replacement(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    return _act(
        request, shift, lambda: services.request_replacement(request.user, shift),
        "Your group has been asked for a replacement.",
    )  # fmt: skip


@approved
@require_POST
def take(request: HttpRequest, shift_id: int, request_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    wanted = get_object_or_404(ReplacementRequest, pk=request_id, shift=shift)
    return _act(
        request, shift, lambda: services.take_replacement(request.user, wanted),
        "You took over this shift.",
    )  # fmt: skip


@approved
@require_GET
def summary(request: HttpRequest, shift_id: int) -> HttpResponse:
    shift = _my_shift(request.user, shift_id)
    data = shift_summary(shift)
    return render(request, "shifts/summary.html", {"shift": shift, "data": data})


@approved
@require_GET
def summary_download(request: HttpRequest, shift_id: int, fmt: str) -> HttpResponse:
    if fmt not in ("json", "txt"):
        raise Http404("summaries come as .txt or .json")
    shift = _my_shift(request.user, shift_id)
    data = shift_summary(shift)
    if fmt == "json":
        response = HttpResponse(summary_json(data), content_type="application/json")
    else:
        response = HttpResponse(summary_text(data), content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="shift-{shift.pk}-summary.{fmt}"'
    return response


@approved
def feed_page(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.reset_calendar_token(request.user)
        messages.success(request, "A new calendar address was made; the old one no longer works.")
        return redirect("shifts:feed")
    token = services.calendar_token(request.user)
    url = request.build_absolute_uri(f"/shifts/ical/{token.token}.ics")
    return render(request, "shifts/feed.html", {"feed_url": url})


@require_GET
def ical(request: HttpRequest, token: str) -> HttpResponse:
    """The user's shifts for a calendar application; the secret token is the credential."""
    user = services.user_for_token(token)
    if user is None:
        raise Http404("no such calendar")
    body = services.ics_feed(user, getattr(settings, "SITE_URL", ""))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = "private, max-age=300"
    return response
