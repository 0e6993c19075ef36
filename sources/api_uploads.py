"""Upload APIs: photometry (``POST /api/photometry``), spectra (``POST /api/spectra``) and
point validation (``POST /api/photometry/validation``)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts import access
from sources import uploads
from sources.uploads import UploadError


def refused(exc: UploadError) -> Response:
    return Response({"detail": exc.detail(), "problems": exc.problems[:100]}, status=exc.status)


def visible_target(user, name):
    if not isinstance(name, str) or not name or len(name) > 200:
        raise UploadError("target must be a name")
    try:
        return access.target_for(user, name=name)
    except Http404:
        raise UploadError("no such target", status=404) from None


class PointSerializer(serializers.Serializer):
    mjd = serializers.FloatField()
    filter = serializers.CharField(help_text="sncosmo band name")
    flux = serializers.FloatField(required=False, help_text="µJy (AB zero point 23.9)")
    fluxerr = serializers.FloatField(required=False, help_text="µJy")
    mag = serializers.FloatField(required=False, help_text="AB")
    magerr = serializers.FloatField(required=False)
    limiting_mag = serializers.FloatField(required=False, help_text="AB, non-detection")


class PhotometryUploadSerializer(serializers.Serializer):
    target = serializers.CharField()
    group_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    instrument = serializers.CharField(max_length=40)
    points = PointSerializer(many=True)


class SpectrumUploadSerializer(serializers.Serializer):
    target = serializers.CharField()
    group_ids = serializers.ListField(child=serializers.IntegerField(), required=False)
    instrument = serializers.CharField(max_length=120)
    observed_at = serializers.DateTimeField(help_text="ISO 8601 UTC")
    wavelengths = serializers.ListField(child=serializers.FloatField(), required=False)
    fluxes = serializers.ListField(child=serializers.FloatField(), required=False)
    errors = serializers.ListField(child=serializers.FloatField(), required=False)
    wave_units = serializers.CharField(required=False, default="Angstrom")
    flux_units = serializers.CharField(required=False, default="erg/s/cm2/Angstrom")
    file = serializers.FileField(required=False, help_text="ASCII/CSV or FITS 1-D (multipart)")


def parse_spectrum_request(request_data, files) -> uploads.ParsedSpectrum:
    upload = files.get("file") if files else None
    if upload is not None:
        if upload.size > uploads.MAX_SPECTRUM_BYTES:
            raise UploadError(f"a spectrum file is at most {uploads.MAX_SPECTRUM_BYTES} bytes")
        parsed = uploads.parse_spectrum_file(upload.read(), upload.name or "")
        for key in ("wave_units", "flux_units"):
            if request_data.get(key):
                setattr(parsed, key, str(request_data[key])[:40])
        return parsed
    return uploads.spectrum_arrays(
        dict(request_data.items()) if hasattr(request_data, "items") else {}
    )


def observed_at_of(value):
    field = serializers.DateTimeField()
    try:
        return field.to_internal_value(value)
    except serializers.ValidationError:
        raise UploadError("observed_at must be an ISO 8601 time") from None


def group_ids_of(data) -> list:
    if hasattr(data, "getlist"):
        values = data.getlist("group_ids")
        if len(values) == 1 and "," in values[0]:
            values = values[0].split(",")
        return [v for v in values if str(v).strip()]
    value = data.get("group_ids")
    if value in (None, ""):
        return []
    if not isinstance(value, list):
        raise UploadError("group_ids must be a list")
    return value


class PhotometryUpload(APIView):
    """Store follow-up or archival photometry of a target for some of my groups (atomic)."""

    @extend_schema(
        request=PhotometryUploadSerializer,
        responses={
            201: inline_serializer("PhotometryIngested", {"ingested": serializers.IntegerField()})
        },
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        try:
            target = visible_target(request.user, data.get("target"))
            n = uploads.upload_photometry(
                request.user,
                target,
                group_ids=group_ids_of(data),
                instrument=str(data.get("instrument") or ""),
                points=data.get("points"),
            )
        except UploadError as exc:
            return refused(exc)
        return Response({"ingested": n}, status=201)


class SpectrumUpload(APIView):
    """Store a 1-D spectrum (JSON arrays, or a file: ASCII/CSV/FITS) for some of my groups."""

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(
        request={
            "application/json": SpectrumUploadSerializer,
            "multipart/form-data": SpectrumUploadSerializer,
        },
        responses={201: inline_serializer("SpectrumStored", {"id": serializers.IntegerField()})},
    )
    def post(self, request):
        data = request.data
        try:
            target = visible_target(request.user, data.get("target"))
            uploads.check_may_upload(request.user, target)
            groups = uploads.upload_groups(request.user, target, group_ids_of(data))
            parsed = parse_spectrum_request(data, request.FILES)
            spectrum = uploads.store_spectrum(
                target,
                parsed,
                instrument=str(data.get("instrument") or ""),
                observed_at=observed_at_of(data.get("observed_at")),
                groups=groups,
                owner=request.user,
                label=getattr(request.FILES.get("file"), "name", "") or "",
            )
        except UploadError as exc:
            return refused(exc)
        return Response({"id": spectrum.pk}, status=201)


class PhotometryValidate(APIView):
    """Mark points validated or rejected (with a reason), or clear the mark (Manage sources)."""

    @extend_schema(
        request=inline_serializer(
            "PhotometryValidation",
            {
                "target": serializers.CharField(),
                "measurement_keys": serializers.ListField(child=serializers.IntegerField()),
                "status": serializers.ChoiceField(choices=["validated", "rejected", "clear"]),
                "reason": serializers.CharField(required=False),
            },
        ),
        responses={
            200: inline_serializer("PhotometryValidated", {"marked": serializers.IntegerField()})
        },
    )
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        keys = data.get("measurement_keys")
        try:
            target = visible_target(request.user, data.get("target"))
            if not isinstance(keys, list):
                raise UploadError("measurement_keys must be a list")
            n = uploads.validate_points(
                request.user,
                target,
                keys,
                str(data.get("status") or ""),
                str(data.get("reason") or ""),
            )
        except UploadError as exc:
            return refused(exc)
        return Response({"marked": n})
