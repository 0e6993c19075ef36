"""Cutout stamps (ZTF: gzipped FITS) are already compressed: store them out of line
without PostgreSQL's own TOAST compression, which spends CPU failing to shrink them on
every insert (physical storage only; no model change). Databases migrated before this
got the same setting from brokers 0002; setting it again changes nothing."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0010_photometry_keyed_by_detection"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE sources_cutout ALTER COLUMN fits SET STORAGE EXTERNAL",
            "ALTER TABLE sources_cutout ALTER COLUMN fits SET STORAGE EXTENDED",
        ),
    ]
