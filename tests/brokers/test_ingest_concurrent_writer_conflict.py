"""When another consumer stored the same candidate, cutout or archive rows between our
check and our COPY, the batch still commits: the rows already there are kept, the others
added."""

from datetime import UTC, datetime

from django.db import connection, transaction

from brokers.fink.ingest import ARCHIVE_FIELDS, ARCHIVE_TYPES
from brokers.models import ArchivedAlert
from icare_tom.bulk import insert_new_rows
from sources import bulk


def archive_row(alert_id, payload):
    now = datetime.now(UTC)
    return ("ztf", alert_id, f"ZTF{alert_id}", "t", 0, alert_id, payload, now)


def test_it_falls_back_to_on_conflict_when_a_row_appeared_meanwhile(db):
    ArchivedAlert.objects.create(
        survey="ztf",
        alert_id=1,
        object_name="ZTF1",
        payload=b"first",
        received_at=datetime.now(UTC),
    )
    with transaction.atomic(), connection.connection.cursor() as cursor:
        insert_new_rows(
            cursor, ArchivedAlert, ARCHIVE_FIELDS, ARCHIVE_TYPES,
            [archive_row(1, b"second"), archive_row(2, b"other")], ("survey", "alert_id"),
        )  # fmt: skip
    rows = dict(ArchivedAlert.objects.values_list("alert_id", "payload"))
    assert {k: bytes(v) for k, v in rows.items()} == {1: b"first", 2: b"other"}


def test_it_falls_back_for_candidates_too_with_their_json_annotations(ingested_ztf):
    from psycopg.types.json import Jsonb

    from sources.models import Candidate

    stored = Candidate.objects.order_by("alert_id").first()
    now = datetime.now(UTC)

    def candidate_row(alert_id, annotations):
        return (stored.target_id, stored.filter_id, alert_id, stored.passed_at, None, now,
                Jsonb(annotations))  # fmt: skip

    with transaction.atomic(), connection.connection.cursor() as cursor:
        bulk.insert_candidates(
            cursor,
            [candidate_row(stored.alert_id, {"replayed": True}), candidate_row(7, {"drb": 0.5})],
        )
    stored.refresh_from_db()
    assert "replayed" not in stored.annotations
    assert Candidate.objects.get(filter_id=stored.filter_id, alert_id=7).annotations == {"drb": 0.5}
