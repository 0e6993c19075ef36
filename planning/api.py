"""REST API of observation plans (group-scoped through ``accounts``; another group's plan is
404; every change is a POST with the user's ACL checked)."""

from __future__ import annotations

import math

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from gcn.api import IsApproved, get_event
from planning import defaults, executed, services
from planning.models import ObservationPlanRequest
from planning.serializers import PlanRequestSerializer

MAX_PLAN_ID = 2**62


class PlanCreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


class PlannedObservationSerializer(serializers.Serializer):
    order = serializers.IntegerField()
    instrument = serializers.CharField()
    allocation_id = serializers.IntegerField()
    field_id = serializers.IntegerField()
    ra = serializers.FloatField(help_text="deg")
    dec = serializers.FloatField(help_text="deg")
    filter = serializers.CharField()
    obstime = serializers.CharField(help_text="ISO 8601 UTC")
    exposure_time = serializers.FloatField(help_text="s")
    airmass = serializers.FloatField()
    probability = serializers.FloatField()
    queue_status = serializers.CharField()


class StatisticsSerializer(serializers.Serializer):
    probability = serializers.FloatField(required=False)
    area = serializers.FloatField(required=False, help_text="deg²")
    n_observations = serializers.IntegerField(required=False)
    total_time = serializers.FloatField(required=False, help_text="s")


class PlanSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    event = serializers.CharField()
    localization_id = serializers.IntegerField()
    group = serializers.CharField()
    status = serializers.CharField()
    stage = serializers.CharField()
    progress = serializers.IntegerField(help_text="percent")
    error = serializers.CharField()
    notes = serializers.ListField(child=serializers.CharField())
    start = serializers.CharField()
    end = serializers.CharField()
    request = serializers.DictField()
    statistics = StatisticsSerializer()
    circular = serializers.CharField()
    planned_observations = PlannedObservationSerializer(many=True)


def plan_payload(plan: ObservationPlanRequest, with_observations: bool = True) -> dict:
    return {
        "id": plan.pk,
        "event": plan.event.name,
        "localization_id": plan.localization_id,
        "group": plan.group.name,
        "status": plan.status,
        "stage": plan.stage,
        "progress": plan.progress,
        "error": plan.error,
        "notes": list(plan.notes or []),
        "start": services._iso(plan.start),
        "end": services._iso(plan.end),
        "request": {
            "instruments": [a.instrument.name for a in plan.allocations.all()],
            "allocation_ids": [a.pk for a in plan.allocations.all()],
            "filters": list(plan.filters),
            "exposure_times": list(plan.exposure_times),
            "filter_strategy": plan.filter_strategy,
            "schedule_type": plan.schedule_type,
            "tiling": plan.tiling,
            "probability": plan.probability if math.isfinite(plan.probability) else None,
            "max_airmass": plan.max_airmass,
            "galactic_limit": plan.galactic_limit,
            "max_fields": plan.max_fields,
            "automatic": plan.default_id is not None,
        },
        "statistics": plan.statistics or {},
        "circular": services.circular_text(plan),
        "planned_observations": services.observation_rows(plan) if with_observations else [],
    }


def get_plan(user, plan_id) -> ObservationPlanRequest:
    try:
        pk = int(plan_id)
    except (TypeError, ValueError):
        raise Http404 from None
    if not 0 < pk < MAX_PLAN_ID:
        raise Http404
    return get_object_or_404(
        services.plans_visible_to(user)
        .select_related("event", "localization", "group", "requester")
        .prefetch_related("allocations__instrument"),
        pk=pk,
    )


class EventPlansView(APIView):
    """Observation plans of an event: GET lists your groups' plans; POST requests a new one
    (202, run on the planning queue)."""

    permission_classes = [IsApproved]
    serializer_class = PlanSerializer

    @extend_schema(responses=PlanSerializer(many=True))
    def get(self, request, key: str):
        event = get_event(key)
        plans = (
            services.plans_visible_to(request.user)
            .filter(event=event)
            .select_related("event", "group", "localization")
            .prefetch_related("allocations__instrument")[:100]
        )
        return Response([plan_payload(p, with_observations=False) for p in plans])

    @extend_schema(request=PlanRequestSerializer, responses={202: PlanCreatedSerializer})
    def post(self, request, key: str):
        event = get_event(key)
        if not services.may_request(request.user):
            raise PermissionDenied("requesting a plan needs the Request observations ACL")
        try:
            validated = services.validate_request(request.user, event, request.data)
        except services.PlanInputError as exc:
            raise ValidationError(exc.errors) from None
        plan = services.create_plan(event, validated, requester=request.user)
        return Response({"id": plan.pk, "status": plan.status}, status=status.HTTP_202_ACCEPTED)


class PlanDetailView(APIView):
    """One plan: status, progress, statistics (probability 0-1, area deg², times s) and its
    planned observations (times ISO 8601 UTC)."""

    permission_classes = [IsApproved]
    serializer_class = PlanSerializer

    def get(self, request, plan_id: str):
        return Response(plan_payload(get_plan(request.user, plan_id)))


class PlanCancelView(APIView):
    """Cancel a queued or running plan (its requester, or Manage observation plans)."""

    permission_classes = [IsApproved]
    serializer_class = PlanCreatedSerializer

    @extend_schema(request=None, responses=PlanCreatedSerializer)
    def post(self, request, plan_id: str):
        plan = get_plan(request.user, plan_id)
        if plan.requester_id != request.user.pk and not services.may_manage(request.user, plan):
            raise PermissionDenied(
                "cancelling another person's plan needs Manage observation plans"
            )
        services.cancel_plan(plan)
        plan.refresh_from_db()
        return Response({"id": plan.pk, "status": plan.status})


class QueueResultSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sent = serializers.IntegerField(required=False)
    withdrawn = serializers.IntegerField(required=False)


class PlanQueueView(APIView):
    """POST ``action=send`` puts the plan's observations in the allocations' telescope
    queues; ``action=withdraw`` takes the ones not yet observed back. Needs Manage
    observation plans."""

    permission_classes = [IsApproved]
    serializer_class = QueueResultSerializer

    @extend_schema(request=None, responses=QueueResultSerializer)
    def post(self, request, plan_id: str, action: str):
        from planning import queue

        plan = get_plan(request.user, plan_id)
        if not services.may_manage(request.user, plan):
            raise PermissionDenied("sending plans needs Manage observation plans")
        try:
            if action == "send":
                sent = queue.send_plan(plan, request.user)
                return Response({"id": plan.pk, "sent": sent})
            if action == "withdraw":
                return Response(
                    {"id": plan.pk, "withdrawn": queue.withdraw_plan(plan, request.user)}
                )
        except queue.QueueError as exc:
            raise ValidationError({"queue": str(exc)}) from None
        raise Http404


class ExecutedSerializer(serializers.Serializer):
    ingested = serializers.IntegerField()


class ObservationsView(APIView):
    """Executed observations. POST a JSON body ``{"allocation_id" | "instrument_id",
    "group_id"?, "observations": [{"field_id" | "ra"+"dec", "obstime", "filter",
    "exposure_time", "limiting_mag"?}]}`` or a CSV file (``file``) with those columns →
    201 ``{"ingested": n}``. Needs Upload data, and an allocation of your group on the
    instrument."""

    permission_classes = [IsApproved]
    serializer_class = ExecutedSerializer

    @extend_schema(request=None, responses={201: ExecutedSerializer})
    def post(self, request):
        try:
            n = executed.ingest_request(request.user, request.data, request.FILES.get("file"))
        except executed.ExecutedInputError as exc:
            raise ValidationError(exc.errors) from None
        except PermissionError as exc:
            raise PermissionDenied(str(exc)) from None
        return Response({"ingested": n}, status=status.HTTP_201_CREATED)


class CoverageSerializer(serializers.Serializer):
    event = serializers.CharField()
    localization_id = serializers.IntegerField()
    start = serializers.CharField(allow_null=True)
    end = serializers.CharField(allow_null=True)
    n_observations = serializers.IntegerField()
    area = serializers.FloatField(help_text="deg²")
    probability = serializers.FloatField()


class EventCoverageView(APIView):
    """Area (deg²) and probability of the event's localization covered by your groups'
    executed observations between ``start`` and ``end`` (ISO 8601 UTC, optional)."""

    permission_classes = [IsApproved]
    serializer_class = CoverageSerializer

    def get(self, request, key: str):
        from gcn.api import get_localization

        event = get_event(key)
        loc = get_localization(event, request.query_params.get("localization"))
        try:
            result = executed.covered(request.user, loc, request.query_params)
        except executed.ExecutedInputError as exc:
            raise ValidationError(exc.errors) from None
        return Response({"event": event.name, "localization_id": loc.pk, **result})


class DefaultPlanSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField()
    group_id = serializers.IntegerField()
    group = serializers.CharField(read_only=True)
    allocation_ids = serializers.ListField(child=serializers.IntegerField())
    notice_types = serializers.ListField(child=serializers.CharField(), required=False)
    tags = serializers.ListField(child=serializers.CharField(), required=False)
    max_area_90 = serializers.FloatField(required=False, allow_null=True, help_text="deg²")
    property_filters = serializers.ListField(
        child=serializers.DictField(), required=False, help_text='[{"name", "op", "value"}]'
    )
    parameters = serializers.DictField(
        required=False, help_text="the plan API's body, with duration_hours for the window"
    )
    send_to_queue = serializers.BooleanField(required=False)
    active = serializers.BooleanField(required=False)
    created_by = serializers.CharField(read_only=True, allow_null=True)


def default_for(user, default_id: str):
    if not default_id.isdigit() or int(default_id) > MAX_PLAN_ID:
        raise Http404
    return get_object_or_404(defaults.defaults_visible_to(user), pk=int(default_id))


class DefaultPlansView(APIView):
    """Your groups' automatic plans: GET lists them; POST creates one (needs Manage
    observation plans in that group)."""

    permission_classes = [IsApproved]
    serializer_class = DefaultPlanSerializer

    @extend_schema(responses=DefaultPlanSerializer(many=True))
    def get(self, request):
        return Response(
            [defaults.as_payload(d) for d in defaults.defaults_visible_to(request.user)[:200]]
        )

    @extend_schema(request=DefaultPlanSerializer, responses={201: DefaultPlanSerializer})
    def post(self, request):
        if not defaults.manageable_group_ids(request.user):
            raise PermissionDenied("automatic plans need Manage observation plans in a group")
        try:
            values = defaults.validate(request.user, request.data)
        except defaults.DefaultPlanInputError as exc:
            raise ValidationError(exc.errors) from None
        default = defaults.save(request.user, values)
        return Response(defaults.as_payload(default), status=status.HTTP_201_CREATED)


class DefaultPlanDetailView(APIView):
    """One automatic plan: GET; PATCH changes the given fields; DELETE removes it (both need
    Manage observation plans in its group)."""

    permission_classes = [IsApproved]
    serializer_class = DefaultPlanSerializer

    def get(self, request, default_id: str):
        return Response(defaults.as_payload(default_for(request.user, default_id)))

    def _managed(self, request, default_id: str):
        default = default_for(request.user, default_id)
        if not defaults.may_manage(request.user, default.group_id):
            raise PermissionDenied("changing automatic plans needs Manage observation plans")
        return default

    @extend_schema(request=DefaultPlanSerializer, responses=DefaultPlanSerializer)
    def patch(self, request, default_id: str):
        default = self._managed(request, default_id)
        try:
            values = defaults.validate(request.user, request.data, current=default)
        except defaults.DefaultPlanInputError as exc:
            raise ValidationError(exc.errors) from None
        return Response(defaults.as_payload(defaults.save(request.user, values, default)))

    @extend_schema(responses={204: None})
    def delete(self, request, default_id: str):
        self._managed(request, default_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)
