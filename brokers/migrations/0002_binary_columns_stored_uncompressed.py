"""Archived payloads (zstd frames) are already compressed: store them out of line without
PostgreSQL's own TOAST compression, which spends CPU failing to shrink them on every
insert (physical storage only; no model change). The cutouts' stamps get the same storage
from their own app (sources 0011)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("brokers", "0001_initial"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE brokers_archivedalert ALTER COLUMN payload SET STORAGE EXTERNAL",
            "ALTER TABLE brokers_archivedalert ALTER COLUMN payload SET STORAGE EXTENDED",
        ),
    ]
