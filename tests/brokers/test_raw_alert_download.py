"""The archived raw alert downloads byte for byte for the owning group, 404 for others."""

import io

import fastavro
from django.test import Client

from brokers.models import ArchivedAlert
from tests.brokers.conftest import avro_records, avro_schema


def login(user):
    client = Client()
    client.force_login(user)
    return client


def test_it_serves_the_alert_as_received_to_alice(alice, ztf_file, ingested_ztf):
    archived = ArchivedAlert.objects.order_by("alert_id").first()
    response = login(alice).get(f"/alerts/{archived.alert_id}/raw/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/avro"
    assert f"ztf-{archived.alert_id}.avro" in response["Content-Disposition"]
    record = fastavro.schemaless_reader(io.BytesIO(response.content), avro_schema(ztf_file))
    expected = {r["candid"]: r for r in avro_records(ztf_file)}[archived.alert_id]
    assert record["objectId"] == expected["objectId"] == archived.object_name
    assert record["candidate"]["magpsf"] == expected["candidate"]["magpsf"]


def test_it_answers_404_to_bob_anonymous_and_unknown_ids(alice, bob, ingested_ztf):
    alert_id = ArchivedAlert.objects.first().alert_id
    assert login(bob).get(f"/alerts/{alert_id}/raw/").status_code == 404
    assert login(alice).get("/alerts/1/raw/").status_code == 404
    anonymous = Client().get(f"/alerts/{alert_id}/raw/")
    assert anonymous.status_code in (302, 403, 404)
    assert b"ZTF" not in anonymous.content
