"""Circular drafts: the API (``POST /api/gcn_events/<id-or-alias>/circulars``) and pages
(compose from the event page, read/edit a version, text download, report JSON)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.views.decorators.http import require_GET
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from gcn import api, circulars
from gcn.models import CircularDraft


def draft_json(draft: CircularDraft) -> dict:
    return {
        "id": draft.pk,
        "version": draft.version,
        "event": draft.event.name,
        "group_id": draft.group_id,
        "subject": draft.subject,
        "text": draft.text,
        "created": draft.created.isoformat(),
    }


class CircularCreate(APIView):
    """Draft a GCN Circular for one of your groups:
    ``{"group_id", "localization_id"?, "cumprob"?, "sources"?: [{"name", "status":
    "kept"|"rejected", "reason"}], "galaxies"?: [names], "n_galaxies"?, "authors"?:
    [{"user_id", "affiliation"}], "acknowledgements"?, "collaboration"?, "text"?}`` →
    ``{"id", "version", "text", …}``. ``GET`` lists your groups' drafts of the event."""

    permission_classes = [api.IsApproved]

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, key: str):
        event = api.get_event(key)
        drafts = circulars.visible_drafts(request.user).filter(event=event)[:200]
        return Response({"results": [draft_json(d) for d in drafts]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request, key: str):
        event = api.get_event(key)
        try:
            draft = circulars.create_draft(request.user, event, request.data)
        except circulars.CircularError as error:
            code = status.HTTP_403_FORBIDDEN if error.message == "not one of your groups" else 400
            return Response({error.field: [error.message]}, status=code)
        body = draft_json(draft)
        body["report"] = draft.report
        return Response(body, status=status.HTTP_201_CREATED)


def _approved(request: HttpRequest) -> None:
    if not access.is_approved(request.user):
        raise PermissionDenied


@login_required
def compose(request: HttpRequest, key: str) -> HttpResponse:
    """Choose the group, sources (status, reason), galaxies, authors; POST makes a version."""
    _approved(request)
    event = api.get_event(key)
    groups = list(access.groups_of(request.user).order_by("name"))
    try:
        group_id = int(request.GET.get("group") or request.POST.get("group_id") or groups[0].pk)
    except (ValueError, IndexError):
        group_id = None
    group = next((g for g in groups if g.pk == group_id), None)
    error = None
    if request.method == "POST" and group is not None:
        data = _form_document(request, group.pk)
        try:
            draft = circulars.create_draft(request.user, event, data)
        except circulars.CircularError as exc:
            error = str(exc)
        else:
            return redirect("gcn:circular", draft.pk)
    loc = event.current_localization()
    sources, members, galaxies = [], [], []
    if group is not None and loc is not None:
        inside = circulars.group_sources_in_region(group, loc)
        statuses = circulars.default_statuses(group, [t for t, _ in inside])
        sources = [
            {"target": t, "cumprob": cp, "status": statuses[t.pk][0], "reason": statuses[t.pk][1]}
            for t, cp in inside[: circulars.MAX_SOURCES]
        ]
        galaxies = circulars.crossmatch.matching_galaxies(loc, limit=20)
    if group is not None:
        members = list(group.user_set.filter(is_active=True).order_by("username"))
    drafts = circulars.visible_drafts(request.user).filter(event=event)[:50]
    return render(
        request,
        "gcn/circular_compose.html",
        {
            "event": event,
            "groups": groups,
            "group": group,
            "loc": loc,
            "sources": sources,
            "galaxies": galaxies,
            "members": members,
            "drafts": drafts,
            "error": error,
        },
        status=400 if error else 200,
    )


def _form_document(request: HttpRequest, group_id: int) -> dict:
    post = request.POST
    sources = []
    for name in post.getlist("source")[: circulars.MAX_SOURCES]:
        status_value = post.get(f"status-{name}", "kept")[:10]
        sources.append(
            {
                "name": name[:200],
                "status": status_value,
                "reason": post.get(f"reason-{name}", "")[:200],
            }
        )
    authors = []
    for uid in post.getlist("author")[: circulars.MAX_AUTHORS]:
        try:
            authors.append(
                {"user_id": int(uid), "affiliation": post.get(f"affiliation-{uid}", "")[:200]}
            )
        except ValueError:
            continue
    return {
        "group_id": group_id,
        "sources": sources,
        "galaxies": [g[:100] for g in post.getlist("galaxy")[: circulars.MAX_GALAXIES]],
        "authors": authors or None,
        "acknowledgements": post.get("acknowledgements", "")[:5000],
    }


def _my_draft(request: HttpRequest, draft_id: int) -> CircularDraft:
    _approved(request)
    return get_object_or_404(circulars.visible_drafts(request.user), pk=draft_id)


@login_required
def draft_page(request: HttpRequest, draft_id: int) -> HttpResponse:
    """A version; POST saves the edited text as the next version."""
    draft = _my_draft(request, draft_id)
    error = None
    if request.method == "POST":
        try:
            new = circulars.edit_draft(
                request.user, draft, request.POST.get("text", "")[: circulars.MAX_TEXT + 1]
            )
        except circulars.CircularError as exc:
            error = str(exc)
        else:
            return redirect("gcn:circular", new.pk)
    versions = CircularDraft.objects.filter(event=draft.event, group=draft.group).order_by(
        "-version"
    )
    return render(
        request,
        "gcn/circular_draft.html",
        {"draft": draft, "versions": versions, "error": error},
        status=400 if error else 200,
    )


@login_required
@require_GET
def draft_text(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _my_draft(request, draft_id)
    response = HttpResponse(draft.text, content_type="text/plain; charset=utf-8")
    name = f"{draft.event.name}-{draft.group.name}-v{draft.version}".replace('"', "")
    response["Content-Disposition"] = f'attachment; filename="circular-{name}.txt"'
    return response


@login_required
@require_GET
def draft_report(request: HttpRequest, draft_id: int) -> HttpResponse:
    draft = _my_draft(request, draft_id)
    return JsonResponse(
        {**draft_json(draft), "report": draft.report}, json_dumps_params={"indent": 2}
    )


urlpatterns = [
    path("events/<str:key>/circulars/", compose, name="circular-compose"),
    path("circulars/<int:draft_id>/", draft_page, name="circular"),
    path("circulars/<int:draft_id>/text", draft_text, name="circular-text"),
    path("circulars/<int:draft_id>/report.json", draft_report, name="circular-report"),
]
