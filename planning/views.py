"""Pages of observation plans: the panel on the GCN event page, the plans list, the request
form's POST, cancel/send/withdraw, downloads. Thin: logic lives in planning.services."""

from __future__ import annotations

import io
import math
import re

import numpy as np
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from accounts import access
from gcn.api import get_event
from gcn.views import ApprovedMixin
from icare_tom.csv_download import DownloadWriter
from icare_tom.plotly_text import plotly_text
from planning import api, defaults, engine, services
from planning.models import ObservationPlanRequest, PlanStatus

MAX_ROWS_SHOWN = 500
MAX_FIELDS_DRAWN = 1000


def _outline(footprint: dict, ra: float, dec: float) -> list[list[float]]:
    """The footprint's outline around (ra, dec), as (ra, dec) degrees (first shape)."""
    from facilities import footprint as fp

    try:
        shapes = fp.shapes_of(footprint)
    except Exception:
        shapes = []
    if not shapes:
        xs, ys = np.array([-0.5, 0.5, 0.5, -0.5, -0.5]), np.array([-0.5, -0.5, 0.5, 0.5, -0.5])
    elif shapes[0].kind == "circle":
        x0, y0, r = shapes[0].params
        t = np.linspace(0, 2 * math.pi, 37)
        xs, ys = x0 + r * np.cos(t), y0 + r * np.sin(t)
    else:
        pts = [*shapes[0].params, shapes[0].params[0]]
        xs, ys = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    sra, sdec = fp.offsets_to_sky(ra, dec, xs, ys)
    return [[round(float(a), 4), round(float(b), 4)] for a, b in zip(sra, sdec, strict=True)]


def fields_geometry(plan: ObservationPlanRequest) -> list[dict]:
    """One outline per planned field (for drawing on the sky map)."""
    seen: dict[int, dict] = {}
    for o in plan.planned_observations.select_related("field", "allocation__instrument"):
        if o.field_id in seen:
            seen[o.field_id]["filters"].append(plotly_text(o.filter))
            continue
        if len(seen) >= MAX_FIELDS_DRAWN:
            break
        inst = o.allocation.instrument
        seen[o.field_id] = {
            "instrument": plotly_text(inst.name),
            "field_id": o.field.field_id,
            "ra": o.ra,
            "dec": o.dec,
            "first": services._iso(o.obstime),
            "filters": [plotly_text(o.filter)],
            "outline": _outline(inst.footprint, o.ra, o.dec),
        }
    return list(seen.values())


def event_panel_context(request, event, loc) -> dict | None:
    """Context of the observation-plan panel on an event page (None: user sees no plans)."""
    user = request.user
    if not access.is_approved(user):
        return None
    plans = list(
        services.plans_visible_to(user)
        .filter(event=event)
        .select_related("event", "group", "localization", "requester")
        .prefetch_related("allocations__instrument")[:20]
    )
    selected = None
    wanted = request.GET.get("plan")
    if wanted:
        selected = next((p for p in plans if str(p.pk) == wanted), None)
    if selected is None:
        selected = next((p for p in plans if p.status == PlanStatus.COMPLETE), None)
    may_request = services.may_request(user)
    allocations = list(services.allocations_of(user)) if may_request else []
    filters = sorted({f for a in allocations for f in (a.instrument.filters or [])})
    default_filters = list(allocations[0].instrument.filters[:2]) if allocations else []
    rows = services.observation_rows(selected)[:MAX_ROWS_SHOWN] if selected else []
    executed_coverage, coverage_error = None, ""
    if loc is not None:
        from planning import executed

        window = {"start": request.GET.get("cov_start", ""), "end": request.GET.get("cov_end", "")}
        try:
            executed_coverage = executed.covered(user, loc, window)
        except executed.ExecutedInputError as exc:
            coverage_error = "; ".join(f"{k}: {v}" for k, v in exc.errors.items())
    return {
        "plans": plans,
        "selected": selected,
        "rows": rows,
        "circular": services.circular_text(selected) if selected else "",
        "geometry": fields_geometry(selected) if selected else [],
        "may_request": may_request,
        "may_manage": services.may_manage(user, selected) if selected else False,
        "allocations": allocations,
        "all_filters": filters,
        "default_filters": default_filters,
        "schedule_types": engine.SCHEDULE_TYPES,
        "active_ids": [p.pk for p in plans if not p.is_finished],
        "executed": executed_coverage,
        "coverage_error": coverage_error,
        "cov_start": request.GET.get("cov_start", "")[:40],
        "cov_end": request.GET.get("cov_end", "")[:40],
    }


def _form_body(post) -> dict:
    body: dict = {"allocation_ids": []}
    if post.get("localization_id"):
        body["localization_id"] = post.get("localization_id")[:20]
    for raw in post.getlist("allocation_ids")[: services.MAX_INSTRUMENTS + 1]:
        try:
            body["allocation_ids"].append(int(raw))
        except ValueError:
            body["allocation_ids"].append(raw[:20])
    filters = [f[:20] for f in post.getlist("filters")[: services.MAX_FILTERS + 1] if f]
    if filters:
        body["filters"] = filters
    for name in ("start", "end", "schedule_type", "filter_strategy", "tiling"):
        if post.get(name):
            body[name] = post.get(name)[:40]
    for name in (
        "exposure_time",
        "probability",
        "max_airmass",
        "galactic_limit",
        "min_filter_separation",
    ):
        if post.get(name):
            try:
                body[name] = float(post.get(name)[:30])
            except ValueError:
                body[name] = post.get(name)[:30]
    if post.get("max_fields"):
        try:
            body["max_fields"] = int(post.get("max_fields")[:10])
        except ValueError:
            body["max_fields"] = post.get("max_fields")[:10]
    return body


class RequestPlanPage(ApprovedMixin, View):
    """POST of the event page's plan form."""

    def post(self, request, key: str):
        event = get_event(key)
        if not services.may_request(request.user):
            raise PermissionDenied
        back = reverse("gcn:event", args=[key])
        try:
            validated = services.validate_request(request.user, event, _form_body(request.POST))
        except services.PlanInputError as exc:
            for name, reason in exc.errors.items():
                messages.error(request, f"Plan not requested — {name}: {reason}")
            return redirect(back + "#observation-plans")
        plan = services.create_plan(event, validated, requester=request.user)
        messages.success(request, f"Plan {plan.pk} queued.")
        return redirect(f"{back}?plan={plan.pk}#observation-plans")


class PlanActionPage(ApprovedMixin, View):
    """POST cancel / send / withdraw from the event page."""

    def post(self, request, plan_id: str, action: str):
        from planning import queue

        plan = api.get_plan(request.user, plan_id)
        back = reverse("gcn:event", args=[plan.event.pk]) + f"?plan={plan.pk}#observation-plans"
        if action == "cancel":
            if plan.requester_id != request.user.pk and not services.may_manage(request.user, plan):
                raise PermissionDenied
            services.cancel_plan(plan)
            return redirect(back)
        if action not in ("send", "withdraw"):
            raise Http404
        if not services.may_manage(request.user, plan):
            raise PermissionDenied
        try:
            if action == "send":
                n = queue.send_plan(plan, request.user)
                messages.success(request, f"{n} observation(s) sent to the telescope queue.")
            else:
                n = queue.withdraw_plan(plan, request.user)
                messages.success(request, f"{n} observation(s) taken back from the queue.")
        except queue.QueueError as exc:
            messages.error(request, str(exc))
        return redirect(back)


class PlanDownload(ApprovedMixin, View):
    """The plan as JSON, CSV or queue JSON."""

    def get(self, request, plan_id: str, kind: str):
        plan = api.get_plan(request.user, plan_id)
        name = f"{plan.event.name}_plan{plan.pk}"
        if kind == "json":
            response = JsonResponse(api.plan_payload(plan), json_dumps_params={"indent": 1})
        elif kind == "queue":
            response = JsonResponse(services.queue_json(plan), json_dumps_params={"indent": 1})
            name += "_queue"
        elif kind == "csv":
            buffer = io.StringIO()
            columns = [
                "order", "instrument", "field_id", "ra", "dec", "filter", "obstime",
                "exposure_time", "airmass", "probability", "queue_status",
            ]  # fmt: skip
            writer = DownloadWriter(buffer)
            writer.writerow(columns)
            for row in services.observation_rows(plan):
                writer.writerow(row.get(column) for column in columns)
            response = HttpResponse(buffer.getvalue(), content_type="text/csv")
        else:
            raise Http404
        ext = "csv" if kind == "csv" else "json"
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in name)
        response["Content-Disposition"] = f'attachment; filename="{safe}.{ext}"'
        return response


class PlanStatusFragment(ApprovedMixin, View):
    """Progress of a plan as JSON (the progress bar polls it)."""

    def get(self, request, plan_id: str):
        plan = api.get_plan(request.user, plan_id)
        return JsonResponse(
            {
                "id": plan.pk,
                "status": plan.status,
                "stage": plan.stage,
                "progress": plan.progress,
                "error": plan.error,
            }
        )


class PlanListPage(ApprovedMixin, View):
    def get(self, request):
        plans = (
            services.plans_visible_to(request.user)
            .select_related("event", "group", "requester")
            .prefetch_related("allocations__instrument")[:200]
        )
        return render(request, "planning/plan_list.html", {"plans": plans})


PROPERTY_RULE = re.compile(r"^\s*([\w.-]{1,50})\s*(<=|>=|==|<|>)\s*(\S{1,40})\s*$")


def _form_to_default(post) -> dict:
    """The page's form as the body the automatic-plan API takes (checked by
    ``planning.defaults.validate``)."""

    def number(name):
        value = post.get(name, "").strip()
        try:
            return float(value) if value else None
        except ValueError:
            return value  # refused with the field's name by the validation

    rules = []
    for line in post.get("property_filters", "").splitlines()[: defaults.MAX_PROPERTY_FILTERS + 1]:
        if not line.strip():
            continue
        match = PROPERTY_RULE.match(line)
        rules.append(
            {"name": match[1], "op": match[2], "value": match[3]} if match else {"name": line}
        )
    parameters = {
        "filters": [f.strip() for f in post.get("filters", "").split(",") if f.strip()],
        "exposure_time": number("exposure_time"),
        "duration_hours": number("duration_hours"),
        "probability": number("probability"),
    }
    ids = [int(v) for v in post.getlist("allocation_ids") if v.isdigit() and len(v) < 12]
    group = post.get("group_id", "")
    return {
        "name": post.get("name", ""),
        "group_id": int(group) if group.isdigit() and len(group) < 12 else None,
        "allocation_ids": ids,
        "notice_types": post.get("notice_types", ""),
        "tags": post.get("tags", ""),
        "max_area_90": post.get("max_area_90", "").strip(),
        "property_filters": rules,
        "parameters": {k: v for k, v in parameters.items() if v not in (None, [])},
        "send_to_queue": post.get("send_to_queue") == "on",
    }


class DefaultPlansPage(ApprovedMixin, View):
    """My groups' automatic plans, and a form to add one (Manage observation plans)."""

    def _render(self, request, errors=None, form=None, status=200):
        group_ids = defaults.manageable_group_ids(request.user)
        allocations = (
            services.allocations_of(request.user)
            .filter(group_id__in=group_ids)
            .select_related("group", "instrument__telescope")
            .order_by("group__name", "instrument__name")
        )
        context = {
            "defaults": defaults.defaults_visible_to(request.user)[:200],
            "manageable": set(group_ids),
            "groups": access.groups_of(request.user).filter(pk__in=group_ids).order_by("name"),
            "allocations": allocations,
            "errors": errors or {},
            "form": form or {},
        }
        return render(request, "planning/default_plans.html", context, status=status)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        if not defaults.manageable_group_ids(request.user):
            raise PermissionDenied
        try:
            values = defaults.validate(request.user, _form_to_default(request.POST))
        except defaults.DefaultPlanInputError as exc:
            return self._render(request, exc.errors, request.POST, status=400)
        default = defaults.save(request.user, values)
        messages.success(request, f"Automatic plan “{default.name}” saved.")
        return redirect("planning:defaults")


class DefaultPlanActionPage(ApprovedMixin, View):
    """POST pause / resume / delete of one automatic plan."""

    def post(self, request, default_id: str, action: str):
        default = api.default_for(request.user, default_id)
        if action not in ("pause", "resume", "delete"):
            raise Http404
        if not defaults.may_manage(request.user, default.group_id):
            raise PermissionDenied
        if action == "delete":
            default.delete()
        else:
            default.active = action == "resume"
            default.save(update_fields=["active"])
        return redirect("planning:defaults")
