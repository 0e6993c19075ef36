"""Announce new in-app notices on the ``notifications_notice_inserted`` channel.

A statement-level trigger sends the distinct recipients' ids of the inserted rows that
are shown in the bell, in chunks below the 8000-byte payload limit; listeners (the bell's
event stream) receive them when the inserting transaction commits.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION notifications_notice_notify_inserted() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    chunk text;
BEGIN
    FOR chunk IN
        SELECT string_agg(recipient_id::text, ',')
        FROM (SELECT recipient_id, (row_number() OVER (ORDER BY recipient_id) - 1) / 500 AS part
              FROM (SELECT DISTINCT recipient_id FROM new_notices WHERE in_app) r) numbered
        GROUP BY part
    LOOP
        PERFORM pg_notify('notifications_notice_inserted', chunk);
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER notifications_notice_notify_inserted
AFTER INSERT ON notifications_notification
REFERENCING NEW TABLE AS new_notices
FOR EACH STATEMENT EXECUTE FUNCTION notifications_notice_notify_inserted();
"""

DROP = """
DROP TRIGGER IF EXISTS notifications_notice_notify_inserted ON notifications_notification;
DROP FUNCTION IF EXISTS notifications_notice_notify_inserted();
"""


class Migration(migrations.Migration):
    dependencies = [("notifications", "0001_initial")]

    operations = [migrations.RunSQL(CREATE, DROP)]
