"""Read-only object API: a target with its classifications and candidates, and its
photometry (µJy, AB magnitudes), for the groups allowed to see it.

``GET /api/objects/<name>/`` and ``GET /api/objects/<name>/photometry/``; a target the
user may not see answers 404 exactly like a target that does not exist.
"""

from __future__ import annotations

from django.db.models import Q
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView
from tom_targets.models import Target

from accounts import access
from sources.models import Candidate, Classification, Photometry


class ClassificationOutSerializer(serializers.Serializer):
    label = serializers.CharField()
    probability = serializers.FloatField(allow_null=True)
    taxonomy = serializers.CharField()
    author = serializers.CharField()
    alert_id = serializers.IntegerField(allow_null=True)
    created = serializers.DateTimeField()


class CandidateOutSerializer(serializers.Serializer):
    alert_id = serializers.IntegerField()
    passed_at = serializers.DateTimeField()
    filter = serializers.CharField()
    stream = serializers.CharField()
    group = serializers.CharField()


class ObjectSerializer(serializers.Serializer):
    name = serializers.CharField()
    ra = serializers.FloatField(help_text="ICRS degrees")
    dec = serializers.FloatField(help_text="ICRS degrees")
    groups = serializers.ListField(child=serializers.CharField())
    classifications = ClassificationOutSerializer(many=True)
    candidates = CandidateOutSerializer(many=True)


class PhotometryPointSerializer(serializers.Serializer):
    mjd = serializers.FloatField(help_text="Modified Julian Date (days)")
    filter = serializers.CharField(help_text="sncosmo band name")
    instrument = serializers.CharField()
    flux = serializers.FloatField(allow_null=True, help_text="µJy, AB zero point 23.9")
    fluxerr = serializers.FloatField(allow_null=True, help_text="µJy")
    mag = serializers.FloatField(allow_null=True, help_text="AB mag, where flux > 0")
    magerr = serializers.FloatField(allow_null=True)
    limiting_mag = serializers.FloatField(allow_null=True, help_text="AB mag, non-detections")
    origin = serializers.CharField()
    alert_id = serializers.IntegerField(allow_null=True)


def object_summary(user, target: Target) -> dict:
    """A target as the object API shows it to ``user`` (only the user's groups listed)."""
    user_groups = access.groups_of(user)
    # The groups holding view_target on the target, among the user's own groups.
    groups = (
        access.owning_groups(target)
        .filter(id__in=user_groups.values("id"))
        .order_by("name")
        .values_list("name", flat=True)
    )
    # Stream labels (no group scope) and labels shared with one of the user's groups.
    classifications = (
        Classification.objects.filter(target=target)
        .filter(Q(groups__isnull=True) | Q(groups__in=user_groups.values("id")))
        .select_related("taxonomy", "author")
        .distinct()
        .order_by("-created", "-id")
    )
    candidates = (
        Candidate.objects.filter(target=target, filter__group__in=user_groups.values("id"))
        .select_related("filter__stream", "filter__group")
        .order_by("-passed_at", "-id")
    )
    return {
        "name": target.name,
        "ra": target.ra,
        "dec": target.dec,
        "groups": list(groups),
        "classifications": [
            {
                "label": c.label,
                "probability": c.probability,
                "taxonomy": c.taxonomy.name,
                "author": c.author.username if c.author else c.author_name,
                "alert_id": c.alert_id,
                "created": c.created,
            }
            for c in classifications
        ],
        "candidates": [
            {
                "alert_id": c.alert_id,
                "passed_at": c.passed_at,
                "filter": c.filter.name,
                "stream": c.filter.stream.name,
                "group": c.filter.group.name,
            }
            for c in candidates
        ],
    }


def photometry_points(target: Target, user=None, include_rejected: bool = False) -> list[dict]:
    """Every point of ``target`` the user may see, in time order (µJy, AB mag, MJD days):
    uploads of other groups and rejected points are left out (rejected ones on request)."""
    from sources.uploads import visible_photometry

    rows = Photometry.objects.filter(target=target)
    if user is not None:
        rows = visible_photometry(user, rows, include_rejected=include_rejected)
    rows = (
        rows
        .order_by("mjd", "band", "measurement_key")
        .values_list(
            "mjd", "band", "instrument", "flux", "fluxerr", "mag", "magerr",
            "limiting_mag", "origin", "alert_id",
        )
    )  # fmt: skip
    keys = (
        "mjd", "filter", "instrument", "flux", "fluxerr", "mag", "magerr",
        "limiting_mag", "origin", "alert_id",
    )  # fmt: skip
    return [dict(zip(keys, row, strict=True)) for row in rows]


class ObjectView(APIView):
    """A target: position, the user's groups owning it, classifications and candidates."""

    @extend_schema(responses=ObjectSerializer)
    def get(self, request, name: str):
        target = access.target_for(request.user, name=name)
        return Response(ObjectSerializer(object_summary(request.user, target)).data)


class ObjectPhotometryView(APIView):
    """A target's photometry: flux in µJy (AB), magnitudes where flux > 0, limits."""

    @extend_schema(responses=PhotometryPointSerializer(many=True))
    def get(self, request, name: str):
        target = access.target_for(request.user, name=name)
        include_rejected = request.query_params.get("rejected") == "1"
        return Response(photometry_points(target, request.user, include_rejected))
