"""The migration keying detections by survey id gives stored detections their alert id
as detection id, and leaves upper limits, forced points and uploads at 0."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("sources", "0009_followup_photometry_validation_spectra")]
AFTER = [("sources", "0010_photometry_keyed_by_detection")]
MJD_KEY = round(61000.25 * 1e6) * 64
ZTFG_DET, ZTFG_LIM = 4, 5  # channels: ztfg detection, ztfg upper limit
LSSTG_FP = 4 * 9 + 2  # lsstg forced


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)


@pytest.mark.django_db(transaction=True)
def test_it_fills_detection_ids_of_existing_rows(django_user_model):
    from tom_targets.models import Target

    target = Target.objects.create(name="ZTF26migrate", ra=1.0, dec=2.0, type="SIDEREAL")
    migrate(BEFORE)
    try:
        rows = [
            (MJD_KEY + ZTFG_DET, "alert", 2393438305015015003),
            (MJD_KEY + 64_000_000 + ZTFG_DET, "history", 2393438305015015004),
            (MJD_KEY + ZTFG_LIM, "history", None),
            (MJD_KEY + LSSTG_FP, "forced", None),
            (MJD_KEY + 128_000_000 + ZTFG_DET, "upload", 77),
        ]
        with connection.cursor() as cursor:
            for key, origin, alert_id in rows:
                cursor.execute(
                    "INSERT INTO sources_photometry (target_id, measurement_key, mjd, band,"
                    " instrument, origin, alert_id)"
                    " VALUES (%s, %s, 61000.25, 'ztfg', 'ZTF', %s, %s)",
                    [target.pk, key, origin, alert_id],
                )
    finally:
        migrate(AFTER)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT origin, detection_id FROM sources_photometry WHERE target_id = %s",
            [target.pk],
        )
        found = sorted(cursor.fetchall())
    assert found == [
        ("alert", 2393438305015015003),
        ("forced", 0),
        ("history", 0),
        ("history", 2393438305015015004),
        ("upload", 0),
    ]
