"""Pages: my notifications, preferences, GCN profiles, saved views, delivery log; the bell's
event stream. Logic lives in ``services``/``preferences``/``gcn_profiles``."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from accounts import access
from notifications import gcn_profiles, preferences, services, views_common
from notifications.kinds import CHANNELS, KIND_LABELS, KINDS
from notifications.live import bell_events
from notifications.models import GcnProfile, GroupChannel, SavedView

PAGE = 200


def approved(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not access.is_approved(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@approved
def notice_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        services.mark_read(request.user)
        return redirect("notifications:list")
    notices = list(services.inbox(request.user)[:PAGE])
    return render(request, "notifications/list.html", {"notices": notices})


@approved
@require_POST
def notice_open(request: HttpRequest, notice_id: int) -> HttpResponse:
    notice = get_object_or_404(services.inbox(request.user), pk=notice_id)
    services.mark_read(request.user, [notice.pk])
    if notice.url.startswith("/") and not notice.url.startswith("//"):
        return redirect(notice.url)
    return redirect("notifications:list")


@approved
@require_GET
def stream(request: HttpRequest) -> HttpResponse:
    response = StreamingHttpResponse(bell_events(request.user), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _admin_groups(user):
    return [g for g in access.groups_of(user).order_by("name") if access.is_group_admin(user, g)]


def _form_preferences(post) -> dict:
    doc = {}
    for kind in KINDS:
        quiet_start = post.get(f"{kind}-quiet_start", "").strip()
        quiet_end = post.get(f"{kind}-quiet_end", "").strip()
        entry = {
            "channels": [c for c in post.getlist(f"{kind}-channels") if c in CHANNELS],
            "only_on_shift": post.get(f"{kind}-only_on_shift") == "on",
            "quiet_hours": {"start": quiet_start, "end": quiet_end}
            if quiet_start or quiet_end
            else None,
        }
        labels = [x.strip() for x in post.get(f"{kind}-labels", "")[:5000].split(",") if x.strip()]
        if labels:
            entry["labels"] = labels
        doc[kind] = entry
    return doc


@approved
def preferences_page(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            parsed = preferences.parse_preferences(_form_preferences(request.POST))
            services.set_slack_url(request.user, request.POST.get("slack_url", "")[:1000])
        except (preferences.PreferenceError, services.AddressError) as exc:
            error = str(exc)
        else:
            preferences.write_preferences(request.user, parsed)
            messages.success(request, "Preferences saved.")
            return redirect("notifications:preferences")
    prefs = preferences.read_preferences(request.user)
    rows = [
        {
            "kind": kind,
            "label": KIND_LABELS[kind],
            "pref": prefs[kind],
            "labels": ", ".join(prefs[kind]["labels"]),
        }
        for kind in KINDS
    ]
    groups = [
        {
            "group": g,
            "slack_url": getattr(GroupChannel.objects.filter(group=g).first(), "slack_url", ""),
        }
        for g in _admin_groups(request.user)
    ]
    return render(
        request,
        "notifications/preferences.html",
        {
            "rows": rows,
            "channels": CHANNELS,
            "addresses": views_common.channels_json(request.user),
            "admin_groups": groups,
            "error": error,
            "prefixes": services.slack_prefixes(),
        },
        status=400 if error else 200,
    )


@approved
@require_POST
def group_slack(request: HttpRequest, group_id: int) -> HttpResponse:
    group = Group.objects.filter(pk=group_id, id__in=access.groups_of(request.user)).first()
    if group is None:
        raise Http404("no such group")
    if not access.is_group_admin(request.user, group):
        raise PermissionDenied
    try:
        services.set_group_slack_url(request.user, group, request.POST.get("slack_url", "")[:1000])
    except services.AddressError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Slack webhook of {group.name} saved.")
    return redirect("notifications:preferences")


@approved
@require_GET
def deliveries(request: HttpRequest) -> HttpResponse:
    rows = list(services.deliveries_of(request.user)[:PAGE])
    return render(request, "notifications/deliveries.html", {"deliveries": rows})


def _profile_doc(post) -> dict:
    def names(key):
        return [x.strip() for x in post.get(key, "")[:5000].split(",") if x.strip()]

    conditions = []
    for i in range(5):
        name = post.get(f"prop{i}-name", "").strip()
        if not name:
            continue
        raw = post.get(f"prop{i}-value", "").strip()[:40]
        try:
            value = float(raw)
        except ValueError:
            value = raw
        conditions.append(
            {"name": name[:50], "op": post.get(f"prop{i}-op", "")[:5], "value": value}
        )
    area = post.get("max_area_90", "").strip()[:40]
    try:
        area_value = float(area) if area else None
    except ValueError:
        area_value = area
    return {
        "name": post.get("name", "")[:200],
        "notice_types": names("notice_types"),
        "tags": names("tags"),
        "max_area_90": area_value,
        "properties": conditions,
    }


@approved
def profiles(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            if GcnProfile.objects.filter(user=request.user).count() >= views_common.MAX_PROFILES:
                raise gcn_profiles.ProfileError("profile", "too many profiles")
            spec = gcn_profiles.parse_profile(_profile_doc(request.POST))
        except gcn_profiles.ProfileError as exc:
            error = str(exc)
        else:
            gcn_profiles.save_profile(request.user, spec)
            messages.success(request, f"Profile “{spec.name}” saved.")
            return redirect("notifications:profiles")
    return render(
        request,
        "notifications/profiles.html",
        {
            "profiles": GcnProfile.objects.filter(user=request.user),
            "properties": gcn_profiles.PROPERTIES,
            "operators": list(gcn_profiles.OPERATORS),
            "slots": range(3),
            "error": error,
        },
        status=400 if error else 200,
    )


@approved
@require_POST
def profile_delete(request: HttpRequest, profile_id: int) -> HttpResponse:
    get_object_or_404(GcnProfile, pk=profile_id, user=request.user).delete()
    return redirect("notifications:profiles")


@approved
def saved_views(request: HttpRequest) -> HttpResponse:
    error = None
    if request.method == "POST":
        try:
            views_common.create_saved_view(
                request.user,
                {
                    "name": request.POST.get("name", "")[:200],
                    "query": request.POST.get("query", "")[:2000],
                },
            )
        except views_common.InputError as exc:
            error = str(exc)
        else:
            return redirect("notifications:saved-views")
    rows = [views_common.saved_view_json(v) for v in SavedView.objects.filter(user=request.user)]
    return render(
        request,
        "notifications/saved_views.html",
        {"views": rows, "error": error, "initial_query": request.GET.get("query", "")[:1000]},
        status=400 if error else 200,
    )


@approved
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    get_object_or_404(SavedView, pk=view_id, user=request.user).delete()
    return redirect("notifications:saved-views")
