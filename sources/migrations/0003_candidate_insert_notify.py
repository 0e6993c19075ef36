"""Announce new candidates on the ``sources_candidate_inserted`` channel.

A statement-level trigger reads the inserted rows from a transition table and sends
their ids with ``pg_notify`` in chunks (a payload must stay below 8000 bytes), so bulk
ingest pays one trigger call per statement and needs no code of its own. Listeners
(the scanning queue's event stream) receive the ids when the ingest transaction commits.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION sources_candidate_notify_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    chunk text;
BEGIN
    FOR chunk IN
        SELECT string_agg(id::text, ',')
        FROM (SELECT id, (row_number() OVER (ORDER BY id) - 1) / 300 AS part
              FROM new_candidates) numbered
        GROUP BY part
    LOOP
        PERFORM pg_notify('sources_candidate_inserted', chunk);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER sources_candidate_notify_inserted
AFTER INSERT ON sources_candidate
REFERENCING NEW TABLE AS new_candidates
FOR EACH STATEMENT EXECUTE FUNCTION sources_candidate_notify_inserted();
"""

DROP = """
DROP TRIGGER IF EXISTS sources_candidate_notify_inserted ON sources_candidate;
DROP FUNCTION IF EXISTS sources_candidate_notify_inserted();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("sources", "0002_scanning_rejections_comments_tags"),
    ]

    operations = [migrations.RunSQL(CREATE, DROP)]
