"""Scanning API: the queue (``GET /api/candidates``) and saving/unsaving sources."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.access import groups_of, target_for
from sources import actions
from sources.cards import scanning_page
from sources.forms import QueueError, QueueForm
from sources.models import SavedSource
from sources.serializers import (
    CandidatePageSerializer,
    SaveRequestSerializer,
    SaveResponseSerializer,
    UnsaveResponseSerializer,
)

_MULTI = {"group", "filter", "stream", "class_in", "class_out"}
_TYPES = {
    "FloatField": OpenApiTypes.FLOAT,
    "IntegerField": OpenApiTypes.INT,
    "BooleanField": OpenApiTypes.BOOL,
    "DateTimeField": OpenApiTypes.DATETIME,
}


def _queue_parameters() -> list[OpenApiParameter]:
    parameters = []
    for name, form_field in QueueForm.base_fields.items():
        choices = [value for value, _ in getattr(form_field, "choices", [])] or None
        parameters.append(
            OpenApiParameter(
                name,
                _TYPES.get(type(form_field).__name__, OpenApiTypes.STR),
                OpenApiParameter.QUERY,
                description=(form_field.help_text or "")
                + (" (repeat or comma-separate)" if name in _MULTI else ""),
                enum=choices,
                many=name in _MULTI,
            )
        )
    return parameters


def _active_group_ids(user, target) -> list[int]:
    return sorted(
        SavedSource.objects.filter(
            target=target,
            unsaved_at__isnull=True,
            group_id__in=groups_of(user).values("id"),
        ).values_list("group_id", flat=True)
    )


class CandidateList(APIView):
    """The scanning queue as JSON: the page's filters, sort and keyset cursor."""

    @extend_schema(
        operation_id="candidates_list",
        parameters=_queue_parameters(),
        responses={200: CandidatePageSerializer},
        description=(
            "Objects whose alerts passed the filters of your groups, one row per object (its "
            "newest matching alert, with the number of matching alerts and their filters and "
            "streams), newest first by default. "
            "Defaults: window=24h, saved=unsaved (not saved to any of your groups), rejected "
            "hidden. Sort by 'passed' (observation time), 'arrived' (ingest time) or an "
            "annotation key (numeric values only). Pages are "
            "keyset-paginated: follow `next` (or pass `cursor`)."
        ),
    )
    def get(self, request):
        form = QueueForm(request.query_params)
        if not form.is_valid():
            raise ValidationError(form.errors)
        try:
            cards, next_cursor = scanning_page(request.user, form.params())
        except QueueError as error:
            raise ValidationError({"detail": str(error)}) from error
        next_url = None
        if next_cursor:
            query = request.query_params.copy()
            query["cursor"] = next_cursor
            next_url = request.build_absolute_uri(f"{request.path}?{query.urlencode()}")
        data = {"results": cards, "next_cursor": next_cursor, "next": next_url}
        return Response(CandidatePageSerializer(data).data)


class SourceSave(APIView):
    """Save a target to groups."""

    @extend_schema(
        operation_id="sources_save",
        request=SaveRequestSerializer,
        responses={201: SaveResponseSerializer, 403: None, 404: None},
        description=(
            "Save the target `name` to `group_ids` (groups you belong to; default: your groups "
            "whose filters it passed). Saving again to a group it is saved to changes nothing."
        ),
    )
    def post(self, request):
        payload = SaveRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        target = target_for(request.user, name=payload.validated_data["name"])
        created = actions.save_source(request.user, target, payload.validated_data.get("group_ids"))
        data = {
            "name": target.name,
            "saved_group_ids": _active_group_ids(request.user, target),
            "created": created,
        }
        return Response(SaveResponseSerializer(data).data, status=status.HTTP_201_CREATED)


class SourceUnsave(APIView):
    """Unsave a target from groups; the save rows stay as history."""

    @extend_schema(
        operation_id="sources_unsave",
        parameters=[
            OpenApiParameter(
                "group_ids",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                many=True,
                description="groups to unsave from (comma-separated or repeated); "
                "default: all your groups",
            )
        ],
        responses={200: UnsaveResponseSerializer, 403: None, 404: None},
    )
    def delete(self, request, name: str):
        target = target_for(request.user, name=name)
        raw = [p for value in request.query_params.getlist("group_ids") for p in value.split(",")]
        try:
            group_ids = [int(g) for g in raw if g.strip()] or None
        except ValueError as error:
            raise ValidationError({"group_ids": "integers expected"}) from error
        closed = actions.unsave_source(request.user, target, group_ids)
        data = {
            "name": target.name,
            "unsaved": closed,
            "saved_group_ids": _active_group_ids(request.user, target),
        }
        return Response(UnsaveResponseSerializer(data).data)


class CommentRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=actions.MAX_COMMENT_CHARS, trim_whitespace=True)
    group_ids = serializers.ListField(
        child=serializers.IntegerField(), required=False, max_length=100
    )


class CommentResponseSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    group_ids = serializers.ListField(child=serializers.IntegerField())
    mentions = serializers.ListField(child=serializers.CharField())
    created = serializers.DateTimeField()


class SourceComments(APIView):
    """Comment on a source (the API twin of the source page's comment form)."""

    @extend_schema(
        operation_id="sources_comment",
        request=CommentRequestSerializer,
        responses={201: CommentResponseSerializer, 400: None, 403: None, 404: None},
        description=(
            "A comment on `name` for `group_ids` (default: your groups that see it); every "
            "`@username` who may read it is recorded and notified."
        ),
    )
    def post(self, request, name: str):
        target = target_for(request.user, name=name)
        payload = CommentRequestSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        comment = actions.add_comment(
            request.user,
            target,
            payload.validated_data["text"],
            payload.validated_data.get("group_ids"),
        )
        data = {
            "id": comment.pk,
            "text": comment.text,
            "group_ids": sorted(comment.groups.values_list("id", flat=True)),
            "mentions": sorted(comment.mentions.values_list("username", flat=True)),
            "created": comment.created,
        }
        return Response(CommentResponseSerializer(data).data, status=status.HTTP_201_CREATED)
