"""Two consumers storing the same photometry at once: the one that loses the race on the
primary key re-reads what is stored and commits the rest; every point is stored once."""

import threading

import psycopg
from django.db import connection

from brokers.fink.files import read_avro_file_with_bytes
from brokers.fink.ingest import ReceivedAlert, ingest_batch
from brokers.fink.parsing import parse_alert
from sources.models import Photometry

from .conftest import GROUP_A, ZTF_TOPIC


def real_ztf_alert(path) -> ReceivedAlert:
    """The file's alert with the longest history."""
    alerts = [
        ReceivedAlert(parse_alert(record, "ztf", ZTF_TOPIC), raw, ZTF_TOPIC)
        for record, raw in read_avro_file_with_bytes(path)
    ]
    return max(alerts, key=lambda received: len(received.alert.photometry))


def test_it_retries_when_another_consumer_stores_the_same_points_meanwhile(
    transactional_db, group_a, ztf_file
):
    received = real_ztf_alert(ztf_file)
    ingest_batch([received], survey="ztf", group_name=GROUP_A)
    stored = list(Photometry.objects.filter(target__name=received.alert.object_name))
    assert len(stored) == len(received.alert.photometry) > 5
    taken = stored[:5]  # the other consumer's share, missing from our point of view
    Photometry.objects.filter(pk__in=[p.pk for p in taken]).delete()

    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        password=settings["PASSWORD"] or None,
    )
    with other.cursor() as cursor:  # uncommitted: invisible to our look-up, but in the index
        cursor.executemany(
            "INSERT INTO sources_photometry (target_id, measurement_key, detection_id, mjd, band,"
            " instrument, origin, created) VALUES (%s, %s, %s, %s, %s, %s, %s, now())",
            [
                (
                    p.target_id,
                    p.measurement_key,
                    p.detection_id,
                    p.mjd,
                    p.band,
                    p.instrument,
                    p.origin,
                )
                for p in taken
            ],
        )
    committer = threading.Timer(1.0, other.commit)
    committer.start()
    try:
        report = ingest_batch([received], survey="ztf", group_name=GROUP_A)
    finally:
        committer.join()
        other.close()

    assert report.new_photometry == 0  # the other consumer stored them first
    keys = list(
        Photometry.objects.filter(target__name=received.alert.object_name).values_list(
            "measurement_key", flat=True
        )
    )
    assert sorted(keys) == sorted(p.measurement_key for p in received.alert.photometry)
