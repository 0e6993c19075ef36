"""Archived payloads (zstd frames) and cutout stamps (ZTF: gzip) are already compressed:
store them out of line without PostgreSQL's own TOAST compression, which spends CPU
failing to shrink them on every insert (physical storage only; no model change)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("brokers", "0001_initial"),
        ("sources", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE brokers_archivedalert ALTER COLUMN payload SET STORAGE EXTERNAL",
            "ALTER TABLE brokers_archivedalert ALTER COLUMN payload SET STORAGE EXTENDED",
        ),
        migrations.RunSQL(
            "ALTER TABLE sources_cutout ALTER COLUMN fits SET STORAGE EXTERNAL",
            "ALTER TABLE sources_cutout ALTER COLUMN fits SET STORAGE EXTENDED",
        ),
    ]
