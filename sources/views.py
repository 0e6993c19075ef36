"""Scanning queue, source page and group source lists. Views stay thin: queries live in
``sources.forms`` (the queue's request), ``sources.queue`` (its query) and ``sources.cards``
(what a card shows), actions in ``sources.actions``, permissions in ``accounts.access``."""

from __future__ import annotations

import json
from pathlib import Path

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    StreamingHttpResponse,
)
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header, url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from accounts import acl
from accounts.access import groups_of, has_acl, may_scan, target_for, visible_to
from icare_tom.csv_download import DownloadWriter
from sources import actions, display
from sources.cards import render_actions, render_cards, scanning_page
from sources.classifications import classification_rows, visible_classifications
from sources.coords import galactic_latitude, sexagesimal
from sources.forms import QueueError, QueueForm
from sources.lightcurves import band_legend, detection_span, light_curves, marks, plotly_traces
from sources.live import candidate_events
from sources.models import (
    Candidate,
    Comment,
    Cutout,
    Filter,
    Photometry,
    SavedSource,
    SourceTag,
    Stream,
    Taxonomy,
)
from sources.panels import render_source_panels
from sources.queue import matching_alerts, scanning_filters, scope_descriptions
from sources.state import target_state
from sources.uploads import visible_photometry


@login_required
def home(request: HttpRequest) -> HttpResponse:
    return redirect("sources:candidates")


def _queue_form(request: HttpRequest) -> QueueForm:
    return QueueForm(request.GET)


def choices_for(user) -> dict:
    """Programs, filters and streams the user can pick in the queue's form."""
    groups = list(groups_of(user).order_by("name"))
    filters = list(
        Filter.objects.filter(group__in=groups).select_related("stream", "group").order_by("name")
    )
    streams = list(Stream.objects.filter(filters__in=filters).distinct().order_by("name"))
    return {"groups": groups, "filters": filters, "streams": streams}


OBJECT_ALERTS_SHOWN = 100


@login_required
@require_GET
def object_alerts(request: HttpRequest, name: str) -> HttpResponse:
    """The alerts of one object that match the queue's filters (a card's "n alerts"), newest
    first; a fragment the card loads on demand."""
    target = target_for(request.user, name=name)
    form = _queue_form(request)
    if not form.is_valid():
        return HttpResponseBadRequest("bad queue parameters")
    try:
        params = form.params()
        rows = list(
            matching_alerts(
                Candidate.objects.filter(target=target),
                params,
                scanning_filters(request.user, params),
                timezone.now(),
            )
            .select_related("filter__stream")
            .order_by("-passed_at", "-id")[:OBJECT_ALERTS_SHOWN]
        )
    except QueueError as error:
        return HttpResponseBadRequest(str(error))
    return render(request, "sources/_object_alerts.html", {"rows": rows, "target": target})


@login_required
@require_GET
def candidates(request: HttpRequest) -> HttpResponse:
    """The scanning queue. With ``HX-Request`` only the next page of cards is returned."""
    form = _queue_form(request)
    cards, next_cursor, error, scopes, scope_inputs = [], None, None, [], []
    if form.is_valid():
        try:
            params = form.params()
            scope_inputs = [pair for _, values in params.scopes for pair in values]
            scopes = scope_descriptions(request.user, params)
            cards, next_cursor = scanning_page(request.user, params)
        except QueueError as exc:
            error = str(exc)
    else:
        error = "; ".join(f"{k}: {' '.join(v)}" for k, v in form.errors.items())
    query = request.GET.copy()
    query.pop("cursor", None)
    next_url = None
    if next_cursor:
        query["cursor"] = next_cursor
        next_url = f"{reverse('sources:candidates')}?{query.urlencode()}"
    query.pop("cursor", None)
    context = {
        "cards": cards,
        "cards_html": render_cards(request, cards, query.urlencode()),
        "next_url": next_url,
        "error": error,
    }
    if request.headers.get("HX-Request") and request.GET.get("cursor"):
        return render(request, "sources/_cards_page.html", context)
    stream_query = request.GET.copy()
    stream_query.pop("cursor", None)
    context.update(
        form=form,
        values=request.GET,
        choices=choices_for(request.user),
        stream_url=f"{reverse('sources:candidate-stream')}?{stream_query.urlencode()}",
        annotation_keys=display.annotation_keys(),
        scopes=scopes,
        scope_inputs=scope_inputs,
    )
    return render(request, "sources/candidates.html", context, status=400 if error else 200)


@login_required
@require_GET
def candidate_stream(request: HttpRequest) -> HttpResponse:
    """Server-sent events: new candidates matching the queue's filters (see sources.live)."""
    form = _queue_form(request)
    if not form.is_valid():
        return HttpResponseBadRequest(json.dumps(form.errors), content_type="application/json")
    params = form.params()
    foreign = set(params.groups) - {g.id for g in groups_of(request.user)}
    if foreign:  # like the queue page: a group the user is not in is an error, not "none"
        return HttpResponseBadRequest(
            json.dumps({"group": [f"not one of your groups: {sorted(foreign)}"]}),
            content_type="application/json",
        )
    response = StreamingHttpResponse(
        candidate_events(request.user, params, csrf_token=get_token(request)),
        content_type="text/event-stream",
    )
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return default


def _group_ids(request: HttpRequest) -> list[int] | None:
    raw = request.POST.getlist("group")
    if not raw:
        return None
    try:
        return [int(g) for g in raw]
    except ValueError as error:
        raise actions.ActionRefused("group ids must be integers") from error


def _actions_html(request: HttpRequest, target, message: str | None = None):
    """The action bar of a source for this user: on cards, the source page, htmx swaps."""
    return render_actions(
        request,
        target=target,
        state=target_state(request.user, target.id),
        group_names=dict(groups_of(request.user).order_by("name").values_list("id", "name")),
        can_act=may_scan(request.user),
        message=message,
    )


def _source_action(request: HttpRequest, name: str, action) -> HttpResponse:
    target = target_for(request.user, name=name)
    message = None
    status = 200
    try:
        action(request.user, target, _group_ids(request))
    except actions.ActionRefused as refused:
        message, status = str(refused), refused.status
    if request.headers.get("HX-Request"):
        return HttpResponse(_actions_html(request, target, message), status=status)
    if message:
        messages.error(request, message)
    return redirect(_back(request, reverse("sources:source", args=[target.name])))


@login_required
@require_POST
def save(request: HttpRequest, name: str) -> HttpResponse:
    return _source_action(request, name, actions.save_source)


@login_required
@require_POST
def unsave(request: HttpRequest, name: str) -> HttpResponse:
    return _source_action(request, name, actions.unsave_source)


@login_required
@require_POST
def reject(request: HttpRequest, name: str) -> HttpResponse:
    return _source_action(request, name, actions.reject_source)


@login_required
@require_POST
def unreject(request: HttpRequest, name: str) -> HttpResponse:
    return _source_action(request, name, actions.undo_rejection)


# --------------------------------------------------------------------------- source page


@login_required
@require_GET
def source(request: HttpRequest, name: str) -> HttpResponse:
    """Everything known about one source that the user's groups may see."""
    user = request.user
    target = target_for(user, name=name)
    my_groups = list(groups_of(user).order_by("name"))
    my_ids = [g.id for g in my_groups]

    show_rejected = request.GET.get("rejected") == "1"
    points = light_curves([target.id], user=user, include_rejected=show_rejected).get(target.id, [])
    # One reading of the points for the header, the plot and the table (sources.lightcurves).
    drawn = marks(points)
    detections = detection_span(drawn)
    history = list(
        visible_to(user, Candidate.objects.filter(target=target, filter__group_id__in=my_ids))
        .select_related("filter__stream", "filter__group")
        .order_by("-passed_at", "-id")
    )
    latest = history[0] if history else None
    survey = latest.filter.stream.survey if latest else ("lsst" if name.isdigit() else "ztf")
    ra = float(target.ra or 0.0)
    dec = float(target.dec or 0.0)
    (ra_hms,), (dec_dms,) = sexagesimal([ra], [dec])

    classifications = classification_rows(user, target)

    comments = list(
        visible_to(
            user,
            Comment.objects.filter(target=target)
            .filter(Q(groups__in=my_ids) if not user.is_superuser else Q())
            .distinct(),
        )
        .select_related("author")
        .prefetch_related("mentions", Prefetch("groups"))
        .order_by("created")
    )
    tags = list(
        SourceTag.objects.filter(target=target, group_id__in=my_ids)
        .select_related("group")
        .order_by("group__name", "name")
    )
    saves = list(
        SavedSource.objects.filter(target=target, group_id__in=my_ids)
        .select_related("group", "saved_by", "unsaved_by")
        .order_by("-saved_at")
    )
    cutout_alert = (
        Cutout.objects.filter(target=target)
        .order_by("-alert_id")
        .values_list("alert_id", flat=True)
    ).first() or (latest.alert_id if latest else None)
    taxonomies = [(t, actions.taxonomy_labels(t)) for t in Taxonomy.objects.order_by("name")]

    context = {
        "target": target,
        "survey": survey,
        "ra": ra,
        "dec": dec,
        "ra_hms": ra_hms,
        "dec_dms": dec_dms,
        "galactic_b": float(galactic_latitude([ra], [dec])[0]),
        "links": display.external_links(survey, target.name, ra, dec),
        "summary": getattr(target, "summary", None),
        "points": points,
        "drawn": drawn,
        "detections": detections,
        "legend": band_legend(points),
        "plot_data": plotly_traces(points, drawn),
        "history": history,
        "latest": latest,
        "annotations": sorted((latest.annotations or {}).items()) if latest else [],
        "classifications": classifications,
        "taxonomies": taxonomies,
        "comments": comments,
        "tags": tags,
        "saves": saves,
        "active_saves": [s for s in saves if s.unsaved_at is None],
        "my_groups": my_groups,
        "group_names": {g.id: g.name for g in my_groups},
        "actions_html": _actions_html(request, target),
        "may": {
            "classify": has_acl(user, acl.CLASSIFY),
            "comment": has_acl(user, acl.COMMENT),
            "annotate": has_acl(user, acl.ANNOTATE),
        },
        "cutout_alert": cutout_alert,
        "raw_alert_url": _raw_alert_url(latest.alert_id) if latest else None,
        "source_panels": render_source_panels(request, target),
    }
    return render(request, "sources/source.html", context)


def _raw_alert_url(alert_id: int) -> str | None:
    """The archived raw alert, when the brokers app serves one (``raw-alert`` URL name)."""
    from django.urls import NoReverseMatch

    try:
        return reverse("raw-alert", args=[alert_id])
    except NoReverseMatch:
        return None


@login_required
@require_GET
def photometry_csv(request: HttpRequest, name: str) -> HttpResponse:
    target = target_for(request.user, name=name)
    response = HttpResponse(content_type="text/csv")
    response["Content-Disposition"] = content_disposition_header(
        True, f"{target.name}_photometry.csv"
    )
    writer = DownloadWriter(response)
    columns = [
        "mjd", "band", "instrument", "flux_ujy", "fluxerr_ujy", "mag_ab", "magerr",
        "limiting_mag_ab", "origin", "alert_id",
    ]  # fmt: skip
    writer.writerow(columns)
    rows = (
        visible_photometry(
            request.user,
            visible_to(request.user, Photometry.objects.filter(target=target)),
            include_rejected=request.GET.get("rejected") == "1",
        )
        .order_by("mjd", "band")
        .values_list(
            "mjd",
            "band",
            "instrument",
            "flux",
            "fluxerr",
            "mag",
            "magerr",
            "limiting_mag",
            "origin",
            "alert_id",
        )
    )
    for row in rows:
        writer.writerow(["" if v is None else v for v in row])
    return response


def _redirect_to_source(request: HttpRequest, target, error: str | None = None) -> HttpResponse:
    if error:
        messages.error(request, error)
    return redirect(reverse("sources:source", args=[target.name]))


@login_required
@require_POST
def add_classification(request: HttpRequest, name: str) -> HttpResponse:
    target = target_for(request.user, name=name)
    taxonomy_id, _, label = request.POST.get("label", "").partition(":")
    taxonomy = Taxonomy.objects.filter(id=taxonomy_id).first() if taxonomy_id.isdigit() else None
    if taxonomy is None:
        return _redirect_to_source(request, target, "choose a class")
    raw_probability = request.POST.get("probability", "").strip()
    try:
        probability = float(raw_probability) if raw_probability else None
        actions.classify(request.user, target, taxonomy, label, probability)
    except ValueError as error:  # ActionRefused is a ValueError too
        return _redirect_to_source(request, target, str(error))
    return _redirect_to_source(request, target)


@login_required
@require_POST
def vote(request: HttpRequest, classification_id: int) -> HttpResponse:
    classification = get_object_or_404(
        visible_classifications(request.user).select_related("target"), id=classification_id
    )
    try:
        actions.vote(request.user, classification, int(request.POST.get("vote", "0")))
    except ValueError as error:
        return _redirect_to_source(request, classification.target, str(error))
    return _redirect_to_source(request, classification.target)


@login_required
@require_POST
def add_comment(request: HttpRequest, name: str) -> HttpResponse:
    target = target_for(request.user, name=name)
    try:
        actions.add_comment(request.user, target, request.POST.get("text", ""), _group_ids(request))
    except actions.ActionRefused as error:
        return _redirect_to_source(request, target, str(error))
    return _redirect_to_source(request, target)


@login_required
@require_POST
def add_tag(request: HttpRequest, name: str) -> HttpResponse:
    target = target_for(request.user, name=name)
    try:
        group_id = int(request.POST.get("group", ""))
        actions.add_tag(request.user, target, group_id, request.POST.get("name", ""))
    except ValueError as error:
        return _redirect_to_source(request, target, str(error) or "choose a group")
    return _redirect_to_source(request, target)


# --------------------------------------------------------------------------- group sources


@login_required
@require_GET
def group_sources(request: HttpRequest, group_id: int) -> HttpResponse:
    """The sources saved to one of the user's groups, newest first."""
    group = groups_of(request.user).filter(id=group_id).first()
    if group is None:
        raise Http404("no such group")
    saves = list(
        visible_to(
            request.user,
            SavedSource.objects.filter(group=group, unsaved_at__isnull=True),
        )
        .select_related("target", "saved_by")
        .order_by("-saved_at")[:500]
    )
    ras, decs = sexagesimal(
        [s.target.ra or 0.0 for s in saves], [s.target.dec or 0.0 for s in saves]
    )
    rows = [
        {"save": s, "ra_hms": ra, "dec_dms": dec}
        for s, ra, dec in zip(saves, ras, decs, strict=True)
    ]
    return render(
        request,
        "sources/group_sources.html",
        {"group": group, "rows": rows, "my_groups": groups_of(request.user).order_by("name")},
    )


@login_required
@require_GET
def my_groups(request: HttpRequest) -> HttpResponse:
    groups = list(groups_of(request.user).order_by("name"))
    if len(groups) == 1:
        return redirect("sources:group-sources", group_id=groups[0].id)
    return render(request, "sources/my_groups.html", {"my_groups": groups})


_PLOTLY_JS = None


@require_GET
def plotly_js(request: HttpRequest) -> HttpResponse:
    """plotly.js from the installed plotly package (no CDN), cached by the browser."""
    global _PLOTLY_JS
    if _PLOTLY_JS is None:
        import plotly

        _PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    response = FileResponse(open(_PLOTLY_JS, "rb"), content_type="text/javascript")  # noqa: SIM115
    response["Cache-Control"] = "public, max-age=86400"
    return response
