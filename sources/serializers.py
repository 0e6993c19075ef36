"""JSON shapes of the scanning API (documented in the OpenAPI schema)."""

from __future__ import annotations

from rest_framework import serializers

from sources.cards import CandidateCard


class LightCurvePointSerializer(serializers.Serializer):
    mjd = serializers.FloatField(help_text="Modified Julian Date (days)")
    band = serializers.CharField(help_text="sncosmo band name")
    flux = serializers.FloatField(allow_null=True, help_text="µJy (AB zero point 23.9)")
    fluxerr = serializers.FloatField(allow_null=True, help_text="µJy")
    mag = serializers.FloatField(allow_null=True, help_text="AB magnitude (detections, flux > 0)")
    magerr = serializers.FloatField(allow_null=True)
    limiting_mag = serializers.FloatField(allow_null=True, help_text="AB (non-detections)")


class LightCurveField(serializers.ListField):
    """A light curve's points, documented by :class:`LightCurvePointSerializer` but written
    as plain dicts: a 200-card page holds about 10^4 points, and passing each through a
    serializer cost most of the request."""

    def __init__(self, **kwargs):
        super().__init__(child=LightCurvePointSerializer(), **kwargs)

    def to_representation(self, points):
        names = tuple(self.child.fields)
        return [{name: getattr(point, name) for name in names} for point in points]


class ClassificationSerializer(serializers.Serializer):
    label = serializers.CharField()
    probability = serializers.FloatField(allow_null=True)
    taxonomy = serializers.CharField(source="taxonomy.name")
    author = serializers.CharField(source="author_name")
    created = serializers.DateTimeField()


class CandidateSerializer(serializers.Serializer):
    """One object of the scanning queue, through its newest matching alert."""

    id = serializers.IntegerField(source="candidate.id")
    name = serializers.CharField(source="target.name")
    alert_id = serializers.IntegerField(source="candidate.alert_id")
    survey = serializers.CharField()
    stream = serializers.CharField(source="candidate.filter.stream.name")
    filter = serializers.CharField(source="candidate.filter.name")
    filter_id = serializers.IntegerField(source="candidate.filter_id")
    group_id = serializers.IntegerField(source="candidate.filter.group_id")
    passed_at = serializers.DateTimeField(source="candidate.passed_at")
    ra = serializers.FloatField(help_text="ICRS degrees")
    dec = serializers.FloatField(help_text="ICRS degrees")
    ra_hms = serializers.CharField()
    dec_dms = serializers.CharField()
    galactic_b = serializers.FloatField(help_text="galactic latitude, degrees")
    first_detection_mjd = serializers.SerializerMethodField()
    last_detection_mjd = serializers.SerializerMethodField()
    n_detections = serializers.SerializerMethodField()
    classification = ClassificationSerializer(allow_null=True)
    annotations = serializers.JSONField(source="candidate.annotations")
    saved_groups = serializers.ListField(child=serializers.IntegerField())
    passed_groups = serializers.ListField(child=serializers.IntegerField())
    rejected = serializers.BooleanField()
    photometry = LightCurveField()
    links = serializers.DictField(child=serializers.CharField())
    n_alerts = serializers.IntegerField(
        source="alerts.count", help_text="alerts of this object matching the queue's filters"
    )
    filters = serializers.ListField(
        source="alerts.filter_names", child=serializers.CharField(), help_text="their filters"
    )
    streams = serializers.ListField(
        source="alerts.streams", child=serializers.CharField(), help_text="their streams"
    )

    def _summary(self, card: CandidateCard):
        return getattr(card.target, "summary", None)

    def get_first_detection_mjd(self, card: CandidateCard) -> float | None:
        summary = self._summary(card)
        return summary.first_detection_mjd if summary else None

    def get_last_detection_mjd(self, card: CandidateCard) -> float | None:
        summary = self._summary(card)
        return summary.last_detection_mjd if summary else None

    def get_n_detections(self, card: CandidateCard) -> int | None:
        summary = self._summary(card)
        return summary.n_detections if summary else None


class CandidatePageSerializer(serializers.Serializer):
    results = CandidateSerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text="pass as ?cursor= for the next page; null on the last"
    )
    next = serializers.CharField(allow_null=True, help_text="URL of the next page")


class SaveRequestSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="target (object) name, e.g. ZTF21abcdefg")
    group_ids = serializers.ListField(
        child=serializers.IntegerField(),
        required=False,
        help_text="groups to save to (yours only); default: your groups whose filters it passed",
    )


class SavedSourceSerializer(serializers.Serializer):
    name = serializers.CharField(source="target.name")
    group_id = serializers.IntegerField()
    saved_by = serializers.CharField(source="saved_by.username", allow_null=True)
    saved_at = serializers.DateTimeField()
    unsaved_at = serializers.DateTimeField(allow_null=True)


class SaveResponseSerializer(serializers.Serializer):
    name = serializers.CharField()
    saved_group_ids = serializers.ListField(child=serializers.IntegerField())
    created = SavedSourceSerializer(many=True)


class UnsaveResponseSerializer(serializers.Serializer):
    name = serializers.CharField()
    unsaved = serializers.IntegerField(help_text="number of active saves closed")
    saved_group_ids = serializers.ListField(child=serializers.IntegerField())
