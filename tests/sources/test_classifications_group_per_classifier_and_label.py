"""Classifications on a source page, from real Fink alerts: the stream adds one
classification per alert; the page shows one row per classifier and label with the latest
probability, the earlier values on demand, and the votes on that row."""

from __future__ import annotations

import copy
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import Client

from brokers.fink.files import read_avro_file_with_bytes
from brokers.fink.ingest import ReceivedAlert, ingest_batch
from brokers.fink.parsing import parse_alert
from sources.classifications import classification_rows
from sources.models import Classification, ClassificationVote

pytestmark = pytest.mark.django_db

GROUP = "GRANDMA-A"
TOPIC = "fink_sn_candidates_ztf"


@pytest.fixture
def three_alerts(shared_data, db):
    """A real ZTF alert classified with a probability, then two later alerts of the same
    object (new candid, a day apart each, other probabilities), ingested one at a time."""
    path = shared_data / "fink" / "ztf" / "part-3-305711.avro"
    if not path.exists():
        pytest.skip(f"real Fink ZTF sample {path} is absent")
    for item in read_avro_file_with_bytes(path):
        parsed = parse_alert(item[0], "ztf", TOPIC)
        if parsed.classification and parsed.classification[1] is not None:
            break
    else:
        pytest.skip("no classified ZTF alert with a probability in the sample")
    record, raw = item
    alerts = [record]
    for step, score in ((1, 0.42), (2, 0.77)):
        later = copy.deepcopy(record)
        later["candid"] = record["candid"] + step
        later["candidate"] = dict(record["candidate"], candid=later["candid"])
        later["candidate"]["jd"] = record["candidate"]["jd"] + step
        for key in ("rf_snia_vs_nonia", "snn_snia_vs_nonia", "snn_sn_vs_all", "rf_kn_vs_nonkn"):
            if later.get(key) is not None:
                later[key] = score
        alerts.append(later)
    for alert in alerts:
        ingest_batch(
            [ReceivedAlert(parse_alert(alert, "ztf", TOPIC), raw, TOPIC)],
            survey="ztf",
            group_name=GROUP,
        )
    user = get_user_model().objects.create_user("alice", password="pw-alice-12345")
    user.groups.add(Group.objects.get(name=GROUP))
    return user, record["objectId"]


def test_it_shows_one_row_per_classifier_and_label(three_alerts):
    alice, name = three_alerts
    stored = list(Classification.objects.filter(target__name=name).order_by("created", "id"))
    assert len(stored) == 3 and len({(c.author_name, c.label) for c in stored}) == 1

    (row,) = classification_rows(alice, stored[0].target)
    assert row.latest.id == stored[-1].id and row.count == 3
    assert [c.id for c in row.history] == [stored[1].id, stored[0].id]

    client = Client()
    client.force_login(alice)
    html = client.get(f"/sources/{name}/").content.decode()
    table = html.split('id="classifications"')[1].split("</table>")[0]
    assert table.count('class="classification-row"') == 1
    assert f'<span class="prob">{stored[-1].probability:.3f}</span>' in table  # the latest
    assert "3 values" in table  # the history, on demand
    for earlier in stored[:2]:
        assert f"{earlier.probability:.3f}" in table.split("3 values")[1]

    # A vote goes to the row's latest classification and shows on that row.
    assert client.post(f"/classifications/{row.latest.id}/vote/", {"vote": "1"}).status_code == 302
    assert ClassificationVote.objects.get().classification_id == row.latest.id
    html = client.get(f"/sources/{name}/").content.decode()
    table = html.split('id="classifications"')[1].split("</table>")[0]
    assert 'class="voted"' in table and re.search(r'class="score">1<', table)
