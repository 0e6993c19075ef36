"""Detections keyed by the survey's own id: ``detection_id`` (ZTF candid, LSST
diaSourceId; 0 for upper limits, forced photometry and uploads) joins the primary key,
which becomes ``(target, measurement_key, detection_id)``, so two detections of one
exposure (same time and band, two survey ids) are two rows.

Existing detections (kind ``det`` in the key's low bits, from a stream, with an alert id)
get their alert id as detection id before the key changes. Backwards, the second of two
detections of one exposure is dropped (the old key cannot hold both).
"""

from django.db import migrations, models

FORWARD = """
ALTER TABLE sources_photometry ADD COLUMN detection_id bigint NOT NULL DEFAULT 0;
UPDATE sources_photometry SET detection_id = alert_id
WHERE alert_id IS NOT NULL AND origin IN ('alert', 'history') AND measurement_key & 3 = 0;
ALTER TABLE sources_photometry DROP CONSTRAINT sources_photometry_pkey;
ALTER TABLE sources_photometry
    ADD CONSTRAINT sources_photometry_pkey PRIMARY KEY (target_id, measurement_key, detection_id);
"""

BACKWARD = """
DELETE FROM sources_photometry p USING sources_photometry q
WHERE p.target_id = q.target_id AND p.measurement_key = q.measurement_key
  AND p.detection_id > q.detection_id;
ALTER TABLE sources_photometry DROP CONSTRAINT sources_photometry_pkey;
ALTER TABLE sources_photometry DROP COLUMN detection_id;
ALTER TABLE sources_photometry
    ADD CONSTRAINT sources_photometry_pkey PRIMARY KEY (target_id, measurement_key);
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0009_followup_photometry_validation_spectra"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, BACKWARD)],
            state_operations=[
                migrations.AddField(
                    model_name="photometry",
                    name="detection_id",
                    field=models.BigIntegerField(
                        db_default=0,
                        default=0,
                        help_text="survey id of a detection (candid, diaSourceId), else 0",
                    ),
                ),
                migrations.AlterField(
                    model_name="photometry",
                    name="pk",
                    field=models.CompositePrimaryKey(
                        "target_id",
                        "measurement_key",
                        "detection_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
            ],
        ),
    ]
