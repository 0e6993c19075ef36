"""REST API of follow-up: instruments, allocations, requests, and the robots' queue.

Users authenticate as everywhere else (session or ``Token``); the queue endpoints take only
an allocation's robot token (``Authorization: Robot icr_…``), never a user's.
"""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import authentication, exceptions, permissions, serializers, status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access, acl
from facilities import services
from facilities.models import Allocation, Instrument
from facilities.plugins import facility_names
from facilities.services import Refused


def refused(exc: Refused) -> Response:
    return Response({"detail": exc.reason}, status=exc.status)


# --------------------------------------------------------------------------- serializers


class TelescopeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    nickname = serializers.CharField()
    latitude = serializers.FloatField(allow_null=True, help_text="degrees")
    longitude = serializers.FloatField(allow_null=True, help_text="degrees east")
    elevation = serializers.FloatField(allow_null=True, help_text="metres")
    aperture = serializers.FloatField(help_text="metres")
    robotic = serializers.BooleanField()


class InstrumentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    filters = serializers.ListField(child=serializers.CharField())
    footprint = serializers.JSONField()
    readout = serializers.FloatField(help_text="s")
    overhead_per_exposure = serializers.FloatField(help_text="s")
    filter_change_time = serializers.FloatField(help_text="s")
    slew_rate = serializers.FloatField(allow_null=True, help_text="deg/s")
    n_fields = serializers.IntegerField()
    telescope = TelescopeSerializer()


class AllocationInSerializer(serializers.Serializer):
    group_id = serializers.IntegerField()
    instrument_id = serializers.IntegerField()
    facility = serializers.CharField(max_length=60)
    pi = serializers.CharField(max_length=200, allow_blank=True, default="")
    hours = serializers.FloatField(min_value=0, max_value=100_000)
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    admin_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=50, default=list
    )
    credentials = serializers.DictField(
        child=serializers.CharField(max_length=2000),
        required=False,
        write_only=True,
        help_text="API keys, proposal ids, recipients; stored encrypted, never returned",
    )

    def validate(self, data):
        if data["end"] <= data["start"]:
            raise serializers.ValidationError("end must be after start")
        if data["facility"] not in facility_names():
            raise serializers.ValidationError(
                f"unknown facility {data['facility']!r}; known: {', '.join(facility_names())}"
            )
        if len(data.get("credentials") or {}) > 20:
            raise serializers.ValidationError("at most 20 credential entries")
        return data


class AllocationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    group_id = serializers.IntegerField()
    group = serializers.CharField(source="group.name")
    instrument_id = serializers.IntegerField()
    instrument = serializers.CharField(source="instrument.name")
    telescope = serializers.CharField(source="instrument.telescope.nickname")
    facility = serializers.CharField()
    pi = serializers.CharField()
    hours = serializers.FloatField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    has_credentials = serializers.BooleanField()


class RequestInSerializer(serializers.Serializer):
    target = serializers.CharField(max_length=200)
    allocation_id = serializers.IntegerField()
    parameters = serializers.DictField(
        help_text="filters, exposure_time (s), exposure_count, priority 1-5, start, end, comment"
    )


class ExchangeSerializer(serializers.Serializer):
    action = serializers.CharField()
    at = serializers.DateTimeField()
    ok = serializers.BooleanField()
    by = serializers.SerializerMethodField()
    sent = serializers.JSONField()
    received = serializers.JSONField()

    def get_by(self, obj) -> str:
        if obj.user_id:
            return obj.user.username
        if obj.robot_token_id:
            return f"robot {obj.robot_token.prefix}…"
        return "system"


class RequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    message = serializers.CharField()
    target = serializers.CharField(source="target.name")
    allocation_id = serializers.IntegerField()
    facility = serializers.CharField(source="allocation.facility")
    instrument = serializers.CharField(source="allocation.instrument.name")
    requester = serializers.SerializerMethodField()
    parameters = serializers.JSONField()
    observation_id = serializers.CharField(source="record.observation_id")
    created = serializers.DateTimeField()
    updated = serializers.DateTimeField()

    def get_requester(self, obj) -> str | None:
        return obj.requester.username if obj.requester_id else None


class RequestDetailSerializer(RequestSerializer):
    exchanges = ExchangeSerializer(many=True, source="exchanges.all")


class QueueItemSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    target = serializers.CharField(source="target.name")
    ra = serializers.FloatField(source="target.ra", help_text="degrees ICRS")
    dec = serializers.FloatField(source="target.dec", help_text="degrees ICRS")
    priority = serializers.IntegerField()
    parameters = serializers.JSONField()
    created = serializers.DateTimeField()


class StatusInSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=list(services.TRANSITIONS))
    message = serializers.CharField(required=False, allow_blank=True, max_length=4000)


# --------------------------------------------------------------------------- users' API


class InstrumentList(APIView):
    """Instruments with their filters and telescope (every signed-in user)."""

    @extend_schema(responses=InstrumentSerializer(many=True))
    def get(self, request):
        from django.db.models import Count

        instruments = Instrument.objects.select_related("telescope").annotate(
            n_fields=Count("fields")
        )
        return Response(InstrumentSerializer(instruments, many=True).data)


class AllocationList(APIView):
    """Allocations of my groups (GET); create one (POST, needs 'Manage allocations')."""

    @extend_schema(responses=AllocationSerializer(many=True))
    def get(self, request):
        allocations = services.visible_allocations(request.user).order_by("id")
        return Response(AllocationSerializer(allocations, many=True).data)

    @extend_schema(
        request=AllocationInSerializer,
        responses={201: inline_serializer("AllocationCreated", {"id": serializers.IntegerField()})},
    )
    def post(self, request):
        user = request.user
        if not access.has_acl(user, acl.MANAGE_ALLOCATIONS):
            return Response({"detail": "needs the 'Manage allocations' ACL"}, status=403)
        data = AllocationInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        if not access.groups_of(user).filter(pk=values["group_id"]).exists():
            return Response({"detail": "you may only create allocations for your groups"}, 403)
        instrument = Instrument.objects.filter(pk=values["instrument_id"]).first()
        if instrument is None:
            return Response({"detail": "no such instrument"}, status=400)
        allocation = Allocation(
            group_id=values["group_id"],
            instrument=instrument,
            facility=values["facility"],
            pi=values["pi"],
            hours=values["hours"],
            start=values["start"],
            end=values["end"],
            created_by=user,
        )
        allocation.set_credentials(values.get("credentials") or {})
        allocation.save()
        admins = (
            access.groups_of(user)
            .get(pk=values["group_id"])
            .user_set.filter(pk__in=values["admin_ids"])
        )
        allocation.admins.set([user, *admins])
        return Response({"id": allocation.pk}, status=status.HTTP_201_CREATED)


class RobotTokenCreate(APIView):
    """A new robot token for the allocation (allocation admins); shown only in this answer."""

    @extend_schema(
        request=None,
        responses={201: inline_serializer("RobotToken", {"token": serializers.CharField()})},
    )
    def post(self, request, allocation_id: int):
        try:
            allocation = services.allocation_for(request.user, allocation_id)
            token = services.create_robot_token(request.user, allocation)
        except Refused as exc:
            return refused(exc)
        return Response({"token": token}, status=201)


class FollowupRequestList(APIView):
    """Follow-up requests I may see (GET, optionally of one target); request one (POST)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("target", str, description="target name"),
            OpenApiParameter("status", str, description="one status"),
        ],
        responses=RequestSerializer(many=True),
    )
    def get(self, request):
        qs = services.visible_requests(request.user).order_by("-created")
        name = request.query_params.get("target")
        if name is not None:
            target = access.visible_targets(request.user).filter(name=name[:200]).first()
            if target is None:
                return Response([])
            qs = qs.filter(target=target)
        wanted = request.query_params.get("status")
        if wanted:
            qs = qs.filter(status=wanted[:20])
        return Response(RequestSerializer(qs[:1000], many=True).data)

    @extend_schema(
        request=RequestInSerializer,
        responses={
            201: inline_serializer(
                "FollowupCreated",
                {"id": serializers.IntegerField(), "status": serializers.CharField()},
            )
        },
    )
    def post(self, request):
        data = RequestInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        target = access.visible_targets(request.user).filter(name=values["target"]).first()
        if target is None:
            return Response({"detail": "no such target"}, status=404)
        try:
            followup = services.submit_request(
                request.user, target, values["allocation_id"], values["parameters"]
            )
        except Refused as exc:
            return refused(exc)
        return Response({"id": followup.pk, "status": followup.status}, status=201)


class FollowupRequestDetail(APIView):
    """One request with every exchange (GET); edit a pending request's parameters (PATCH)."""

    @extend_schema(responses=RequestDetailSerializer)
    def get(self, request, request_id: int):
        try:
            followup = services.request_for(request.user, request_id)
        except Refused as exc:
            return refused(exc)
        return Response(RequestDetailSerializer(followup).data)

    @extend_schema(
        request=inline_serializer("FollowupEdit", {"parameters": serializers.DictField()}),
        responses=RequestSerializer,
    )
    def patch(self, request, request_id: int):
        try:
            followup = services.request_for(request.user, request_id)
            params = request.data.get("parameters") if isinstance(request.data, dict) else None
            services.edit_request(request.user, followup, params)
        except Refused as exc:
            return refused(exc)
        return Response(RequestSerializer(followup).data)


class FollowupRequestCancel(APIView):
    @extend_schema(request=None, responses=RequestSerializer)
    def post(self, request, request_id: int):
        try:
            followup = services.request_for(request.user, request_id)
            services.cancel_request(request.user, followup)
        except Refused as exc:
            return refused(exc)
        return Response(RequestSerializer(followup).data)


class FollowupRequestResubmit(APIView):
    @extend_schema(request=None, responses=RequestSerializer)
    def post(self, request, request_id: int):
        try:
            followup = services.request_for(request.user, request_id)
            services.resubmit_request(request.user, followup)
        except Refused as exc:
            return refused(exc)
        return Response(RequestSerializer(followup).data)


# --------------------------------------------------------------------------- robots' API


class RobotTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Robot icr_…``: the request acts for one allocation's telescope."""

    keyword = "Robot"

    def authenticate(self, request):
        header = request.META.get("HTTP_AUTHORIZATION", "")
        if not header:
            return None
        token = services.robot_token_from(header)
        if token is None:
            return None
        from django.contrib.auth.models import AnonymousUser

        return (AnonymousUser(), token)

    def authenticate_header(self, request):
        return self.keyword


class RobotTokenScheme(OpenApiAuthenticationExtension):
    target_class = "facilities.api.RobotTokenAuthentication"
    name = "robotToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "Robot icr_… (an allocation's robot token)",
        }


class HasRobotToken(permissions.BasePermission):
    message = "a robot token of this allocation is required"

    def has_permission(self, request, view):
        from facilities.models import RobotToken

        return isinstance(request.auth, RobotToken)


class RobotView(APIView):
    authentication_classes = [RobotTokenAuthentication]
    permission_classes = [HasRobotToken]

    def permission_denied(self, request, message=None, code=None):
        raise exceptions.PermissionDenied(detail=message or HasRobotToken.message)


class QueueRequests(RobotView):
    """The allocation's queue, oldest first (default: pending requests)."""

    @extend_schema(
        parameters=[OpenApiParameter("status", str, description="comma-separated statuses")],
        responses=QueueItemSerializer(many=True),
    )
    def get(self, request, allocation_id: int):
        statuses = [s for s in request.query_params.get("status", "pending")[:200].split(",") if s]
        try:
            items = services.queue_for(request.auth, allocation_id, statuses or ["pending"])
        except Refused as exc:
            return refused(exc)
        return Response(items)  # plain dicts in QueueItemSerializer's shape


class QueueRequestUpdate(RobotView):
    """Move a request along: accepted, observing, completed, failed or cancelled."""

    @extend_schema(request=StatusInSerializer, responses=QueueItemSerializer)
    def patch(self, request, request_id: int):
        data = StatusInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            followup = services.robot_request(request.auth, request_id)
            services.robot_update(
                request.auth,
                followup,
                data.validated_data["status"],
                data.validated_data.get("message"),
            )
        except Refused as exc:
            return refused(exc)
        return Response(QueueItemSerializer(followup).data)


class QueueRequestPhotometry(RobotView):
    """Photometry of a request's target, stored with origin ``followup``, the allocation's
    instrument and group (same points as ``POST /api/photometry``)."""

    @extend_schema(
        request=inline_serializer(
            "QueuePhotometry", {"points": serializers.ListField(child=serializers.DictField())}
        ),
        responses={
            201: inline_serializer(
                "QueuePhotometryIngested", {"ingested": serializers.IntegerField()}
            )
        },
    )
    def post(self, request, request_id: int):
        from sources.api_uploads import refused as upload_refused
        from sources.uploads import UploadError

        data = request.data if isinstance(request.data, dict) else {}
        try:
            followup = services.robot_request(request.auth, request_id)
            n = services.robot_photometry(request.auth, followup, data.get("points"))
        except Refused as exc:
            return refused(exc)
        except UploadError as exc:
            return upload_refused(exc)
        return Response({"ingested": n}, status=201)


class QueueRequestSpectrum(RobotView):
    """A spectrum of a request's target (JSON arrays or a file, as ``POST /api/spectra``)."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request=inline_serializer(
            "QueueSpectrum",
            {
                "observed_at": serializers.DateTimeField(),
                "wavelengths": serializers.ListField(
                    child=serializers.FloatField(), required=False
                ),
                "fluxes": serializers.ListField(child=serializers.FloatField(), required=False),
                "errors": serializers.ListField(child=serializers.FloatField(), required=False),
                "file": serializers.FileField(required=False),
            },
        ),
        responses={
            201: inline_serializer("QueueSpectrumStored", {"id": serializers.IntegerField()})
        },
    )
    def post(self, request, request_id: int):
        from sources.api_uploads import observed_at_of, parse_spectrum_request
        from sources.api_uploads import refused as upload_refused
        from sources.uploads import UploadError

        try:
            followup = services.robot_request(request.auth, request_id)
            parsed = parse_spectrum_request(request.data, request.FILES)
            spectrum = services.robot_spectrum(
                request.auth, followup, parsed, observed_at_of(request.data.get("observed_at"))
            )
        except Refused as exc:
            return refused(exc)
        except UploadError as exc:
            return upload_refused(exc)
        return Response({"id": spectrum.pk}, status=201)
