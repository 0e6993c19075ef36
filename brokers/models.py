"""What the alert streams leave behind besides the science rows: the raw alerts
(archived, compressed, for provenance) and the records that could not be ingested."""

from __future__ import annotations

from collections.abc import Callable

import zstandard
from django.db import models


class ArchivedAlert(models.Model):
    """One alert exactly as received (Avro bytes, zstd-compressed), kept for provenance.

    ``payload`` is a zstd frame of the Avro bytes the alert arrived as: the schemaless
    Avro value Fink puts on Kafka (for file ingests, the record's bytes sliced from the
    container, same encoding); decode it with the survey's Fink schema. A replayed
    alert keeps its first archive row.
    """

    survey = models.CharField(max_length=10)
    alert_id = models.BigIntegerField(help_text="ZTF candid or LSST diaSourceId")
    object_name = models.CharField(max_length=100)
    topic = models.CharField(max_length=200, blank=True)
    partition = models.IntegerField(null=True, blank=True)
    offset = models.BigIntegerField(null=True, blank=True)
    payload = models.BinaryField(help_text="zstd-compressed raw alert bytes")
    received_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["survey", "alert_id"], name="archived_alert_unique")
        ]
        indexes = [models.Index(fields=["object_name"], name="archived_alert_object_idx")]

    def __str__(self) -> str:
        return f"{self.survey} {self.alert_id} ({self.object_name})"

    def raw_bytes(self) -> bytes:
        """The alert bytes as received."""
        return zstandard.ZstdDecompressor().decompress(bytes(self.payload))

    @classmethod
    def store_for(cls, survey: str) -> Callable[[int, int, int], bytes]:
        """The cutout store of a survey's archive: ``(alert_id, offset, length)`` → those
        bytes of the archived alert (where its stamps are; see ``sources.models.Cutout``)."""

        def span(alert_id: int, offset: int, length: int) -> bytes:
            raw = cls.objects.get(survey=survey, alert_id=alert_id).raw_bytes()
            return raw[offset : offset + length]

        return span


class QuarantinedAlert(models.Model):
    """A record the stream or a file ingest could not turn into an alert, kept with why."""

    raw = models.BinaryField(help_text="the bytes as received (may be empty)")
    reason = models.CharField(max_length=200, db_index=True)
    detail = models.TextField(blank=True)
    survey = models.CharField(max_length=10, blank=True)
    topic = models.CharField(max_length=200, blank=True)
    partition = models.IntegerField(null=True, blank=True)
    offset = models.BigIntegerField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["reason", "-created"], name="quarantine_reason_idx")]

    def __str__(self) -> str:
        return f"{self.reason} ({self.topic or 'no topic'}, {self.created:%Y-%m-%d %H:%M})"
