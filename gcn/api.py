"""REST API of GCN events: list with filters, detail, sources inside a localization.

Events, notices and localizations are public GCN data (any approved user);
matched sources are filtered through ``accounts.access``.
"""

from __future__ import annotations

from django.http import Http404
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from accounts.refusals import Refused
from gcn import crossmatch
from gcn.models import GcnEvent, GcnNotice, Localization
from icare_tom.fetch import GENERIC_MESSAGE
from icare_tom.validation import aware_datetime


class IsApproved(BasePermission):
    def has_permission(self, request, view) -> bool:
        return access.is_approved(request.user)


class LocalizationSerializer(serializers.ModelSerializer):
    last_error = serializers.SerializerMethodField(
        help_text="why the map is not ready; the details are for super admins only"
    )

    def get_last_error(self, loc: Localization) -> str:
        if not loc.last_error:
            return ""
        request = self.context.get("request")
        if request is not None and access.is_super_admin(request.user):
            return loc.last_error
        return GENERIC_MESSAGE

    class Meta:
        model = Localization
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "area_50",
            "area_90",
            "distance_mean",
            "distance_std",
            "n_tiles",
            "url",
            "attempts",
            "last_error",
            "created_at",
            "ready_at",
        ]


class NoticeSerializer(serializers.ModelSerializer):
    class Meta:
        model = GcnNotice
        fields = [
            "id",
            "source",
            "notice_type",
            "format",
            "unique_key",
            "ivorn",
            "is_retraction",
            "issued_at",
            "received_at",
        ]


class EventListSerializer(serializers.ModelSerializer):
    area_90 = serializers.SerializerMethodField(help_text="deg², current localization")

    class Meta:
        model = GcnEvent
        fields = [
            "id",
            "name",
            "aliases",
            "trigger_time",
            "source",
            "tags",
            "far_hz",
            "significant",
            "retracted",
            "is_test",
            "area_90",
        ]

    def get_area_90(self, event) -> float | None:
        return event.properties.get("area_90")


class EventDetailSerializer(EventListSerializer):
    notices = NoticeSerializer(many=True, read_only=True)
    localizations = LocalizationSerializer(many=True, read_only=True)

    class Meta(EventListSerializer.Meta):
        fields = [*EventListSerializer.Meta.fields, "properties", "notices", "localizations"]


class MatchedSourceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    ra = serializers.FloatField(allow_null=True, help_text="deg")
    dec = serializers.FloatField(allow_null=True, help_text="deg")
    cumprob = serializers.FloatField(help_text="credible level of the tile holding the source")
    first_detection_mjd = serializers.FloatField(allow_null=True)


class EventSourcesSerializer(serializers.Serializer):
    event = serializers.CharField()
    localization = serializers.IntegerField()
    cumprob = serializers.FloatField()
    window_days = serializers.ListField(child=serializers.FloatField(), allow_null=True)
    count = serializers.IntegerField()
    sources = MatchedSourceSerializer(many=True)


def _float_param(params, name: str) -> float | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return float(value)
    except ValueError as exc:
        raise ValidationError({name: "must be a number"}) from exc


def _time_param(params, name: str):
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return aware_datetime(value, name)
    except Refused as exc:
        raise ValidationError({name: str(exc)}) from None


def filter_events(params, queryset=None):
    """Events filtered by ``tags`` (comma-separated, all required), ``start``/``end``
    (trigger time, ISO-8601 UTC), ``far_max`` (Hz), ``retracted`` (true/false), ``q`` (alias)."""
    qs = GcnEvent.objects.all() if queryset is None else queryset
    tags = [t.strip() for t in (params.get("tags") or "").split(",") if t.strip()]
    if tags:
        qs = qs.filter(tags__contains=tags)
    start, end = _time_param(params, "start"), _time_param(params, "end")
    if start:
        qs = qs.filter(trigger_time__gte=start)
    if end:
        qs = qs.filter(trigger_time__lte=end)
    far_max = _float_param(params, "far_max")
    if far_max is not None:
        qs = qs.filter(far_hz__lte=far_max)
    retracted = params.get("retracted")
    if retracted in ("true", "false"):
        qs = qs.filter(retracted=retracted == "true")
    q = (params.get("q") or "").strip()
    if q:
        qs = qs.with_alias(q)
    return qs.order_by("-trigger_time")


def get_event(key: str) -> GcnEvent:
    event = GcnEvent.objects.lookup(key)
    if event is None:
        raise Http404("no such GCN event")
    return event


def get_localization(event: GcnEvent, localization_id) -> Localization:
    if localization_id in (None, ""):
        loc = event.current_localization()
        if loc is None:
            raise Http404("this event has no usable localization yet")
        return loc
    try:
        return event.localizations.get(pk=int(localization_id), status=Localization.Status.READY)
    except (ValueError, Localization.DoesNotExist) as exc:
        raise Http404("no such ready localization for this event") from exc


def cumprob_param(params) -> float:
    value = _float_param(params, "cumprob")
    try:
        return crossmatch.check_cumprob(crossmatch.DEFAULT_CUMPROB if value is None else value)
    except ValueError as exc:
        raise ValidationError({"cumprob": str(exc)}) from exc


class EventListView(ListAPIView):
    """GCN events, newest first. Filters: tags, start, end, far_max (Hz), retracted, q."""

    serializer_class = EventListSerializer
    permission_classes = [IsApproved]

    def get_queryset(self):
        return filter_events(self.request.query_params)


class EventDetailView(APIView):
    """One event by id or alias: properties, tags, notices, localizations (area_90 in deg²)."""

    permission_classes = [IsApproved]
    serializer_class = EventDetailSerializer

    def get(self, request, key: str):
        event = get_event(key)
        return Response(EventDetailSerializer(event, context={"request": request}).data)


class EventSourcesView(APIView):
    """Targets visible to you inside the event's credible region (``cumprob``, default 0.9)
    whose first detection lies in the event's window. ``localization`` picks another
    localization of the event; ``window=false`` drops the time rule."""

    permission_classes = [IsApproved]
    serializer_class = EventSourcesSerializer

    def get(self, request, key: str):
        event = get_event(key)
        params = request.query_params
        loc = get_localization(event, params.get("localization"))
        cumprob = cumprob_param(params)
        window = params.get("window", "true") != "false"
        targets = crossmatch.matching_targets(loc, request.user, cumprob, window=window)
        rows = [
            {
                "id": t.pk,
                "name": t.name,
                "ra": t.ra,
                "dec": t.dec,
                "cumprob": t.gcn_cumprob,
                "first_detection_mjd": t.summary.first_detection_mjd,
            }
            for t in targets
        ]
        before, after = crossmatch.window_days()
        return Response(
            EventSourcesSerializer(
                {
                    "event": event.name,
                    "localization": loc.pk,
                    "cumprob": cumprob,
                    "window_days": [before, after] if window else None,
                    "count": len(rows),
                    "sources": rows,
                }
            ).data
        )
