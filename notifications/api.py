"""REST endpoints: my notifications, marking them read, my preferences, addresses, GCN
profiles, saved queue views and delivery log. Every object is the requesting user's own."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from notifications import gcn_profiles, preferences, services, views_common
from notifications.models import GcnProfile, SavedView

MAX_PAGE = 200
MAX_IDS = 1000


def _bad(field_name: str, message: str) -> Response:
    return Response({field_name: [message]}, status=status.HTTP_400_BAD_REQUEST)


def notice_json(n) -> dict:
    return {
        "id": n.pk,
        "kind": n.kind,
        "text": n.text,
        "url": n.url,
        "created": n.created.isoformat(),
        "read": n.read is not None,
    }


class NotificationList(APIView):
    """Mine, newest first: ``?unread=1`` for unread only, ``?limit=`` ≤ 200 (default 50)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        try:
            limit = min(max(int(request.query_params.get("limit", 50)), 1), MAX_PAGE)
        except ValueError:
            return _bad("limit", "an integer")
        notices = services.inbox(request.user)
        if request.query_params.get("unread") in ("1", "true"):
            notices = notices.filter(read__isnull=True)
        return Response(
            {
                "unread": services.unread_count(request.user),
                "results": [notice_json(n) for n in notices[:limit]],
            }
        )


class NotificationRead(APIView):
    """Mark read: ``{"ids": [...]}``, or ``{}`` / ``{"all": true}`` for every notice."""

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else None
        if data is None:
            return _bad("ids", "send an object")
        ids = data.get("ids")
        if ids is not None and (
            not isinstance(ids, list)
            or len(ids) > MAX_IDS
            or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids)
        ):
            return _bad("ids", f"a list of at most {MAX_IDS} notification ids")
        marked = services.mark_read(request.user, ids)
        return Response({"marked": marked, "unread": services.unread_count(request.user)})


class Preferences(APIView):
    """``{"<kind>": {"channels": [...], "only_on_shift": bool, "quiet_hours": …, "labels": …}}``"""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(preferences.read_preferences(request.user))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def put(self, request):
        try:
            parsed = preferences.parse_preferences(request.data)
        except preferences.PreferenceError as error:
            return _bad(error.field, error.message)
        return Response(preferences.write_preferences(request.user, parsed))


class Channels(APIView):
    """Where my messages go: ``{"email": (the account's), "slack_url": "…"}``."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        return Response(views_common.channels_json(request.user))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def put(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        url = data.get("slack_url", "")
        if not isinstance(url, str):
            return _bad("slack_url", "a URL string")
        try:
            services.set_slack_url(request.user, url)
        except services.AddressError as error:
            return _bad(error.field, error.message)
        return Response(views_common.channels_json(request.user))


class Profiles(APIView):
    """My GCN event profiles (see ``notifications.gcn_profiles`` for the document)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rows = GcnProfile.objects.filter(user=request.user)
        return Response({"results": [gcn_profiles.profile_json(p) for p in rows]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        if GcnProfile.objects.filter(user=request.user).count() >= views_common.MAX_PROFILES:
            return _bad("profile", f"at most {views_common.MAX_PROFILES} profiles")
        try:
            spec = gcn_profiles.parse_profile(request.data)
        except gcn_profiles.ProfileError as error:
            return _bad(error.field, error.message)
        profile = gcn_profiles.save_profile(request.user, spec)
        return Response(gcn_profiles.profile_json(profile), status=status.HTTP_201_CREATED)


class ProfileDetail(APIView):
    def _mine(self, request, profile_id: int) -> GcnProfile:
        return get_object_or_404(GcnProfile, pk=profile_id, user=request.user)

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request, profile_id: int):
        return Response(gcn_profiles.profile_json(self._mine(request, profile_id)))

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def put(self, request, profile_id: int):
        profile = self._mine(request, profile_id)
        try:
            spec = gcn_profiles.parse_profile(request.data)
        except gcn_profiles.ProfileError as error:
            return _bad(error.field, error.message)
        return Response(
            gcn_profiles.profile_json(gcn_profiles.save_profile(request.user, spec, profile))
        )

    def delete(self, request, profile_id: int):
        self._mine(request, profile_id).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class SavedViews(APIView):
    """My saved queue views: ``{"name", "query"}`` (the scanning page's query string)."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rows = SavedView.objects.filter(user=request.user)
        return Response({"results": [views_common.saved_view_json(v) for v in rows]})

    @extend_schema(request=OpenApiTypes.OBJECT, responses=OpenApiTypes.OBJECT)
    def post(self, request):
        try:
            view = views_common.create_saved_view(request.user, request.data)
        except views_common.InputError as error:
            return _bad(error.field, error.message)
        return Response(views_common.saved_view_json(view), status=status.HTTP_201_CREATED)


class SavedViewDetail(APIView):
    def delete(self, request, view_id: int):
        get_object_or_404(SavedView, pk=view_id, user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class Deliveries(APIView):
    """My delivery log, newest first (≤ 200): channel, state, attempts, reason."""

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def get(self, request):
        rows = services.deliveries_of(request.user)[:MAX_PAGE]
        return Response({"results": [views_common.delivery_json(d) for d in rows]})
