"""The shift summary: GCN events, candidates that passed the group's filters, saves,
rejections and classifications during the shift, as a page and as downloads; other groups'
work is not in it and other groups cannot open it."""

from __future__ import annotations

import json
from datetime import timedelta

from django.test import Client
from django.utils import timezone

from gcn.models import GcnEvent
from shifts import services
from sources import actions
from sources.models import Filter, Stream, Taxonomy
from tests.sources.conftest import make_candidate, make_target


def test_it_summarizes_the_shift_for_its_group(alice, bob, carol, group_a, group_b):
    now = timezone.now()
    shift = services.create_shift(
        carol, group_a,
        services.ShiftSpec("Night", now - timedelta(hours=2), now + timedelta(hours=1), 2),
    )  # fmt: skip
    services.join(alice, shift)
    stream = Stream.objects.create(name="Fink ZTF", survey="ztf")
    filter_a = Filter.objects.create(name="A", stream=stream, group=group_a, topic="t")
    filter_b = Filter.objects.create(name="B", stream=stream, group=group_b, topic="t")
    kept = make_target("ZTF26kept", [group_a])
    dropped = make_target("ZTF26dropped", [group_a])
    make_candidate(kept, filter_a)
    make_candidate(dropped, filter_a)
    make_candidate(make_target("ZTF26bobs", [group_b]), filter_b)
    actions.save_source(alice, kept, [group_a.pk])
    actions.reject_source(alice, dropped, [group_a.pk])
    taxonomy = Taxonomy.objects.create(name="t", version="1", hierarchy={"SN Ia": {}})
    actions.classify(alice, kept, taxonomy, "SN Ia", 0.8)
    GcnEvent.objects.create(trigger_time=now - timedelta(minutes=30), name="S261202a", source="LVK")

    client = Client()
    client.force_login(alice)
    page = client.get(f"/shifts/{shift.pk}/summary/").content.decode()
    for text in ("S261202a", "ZTF26kept", "ZTF26dropped", "SN Ia"):
        assert text in page
    assert "ZTF26bobs" not in page
    data = json.loads(client.get(f"/shifts/{shift.pk}/summary.json").content)
    assert data["candidates"] == {"count": 2, "sources": ["ZTF26kept", "ZTF26dropped"]}
    assert [r["source"] for r in data["saved"]] == ["ZTF26kept"]
    assert [r["source"] for r in data["rejected"]] == ["ZTF26dropped"]
    assert [(c["source"], c["label"]) for c in data["classifications"]] == [("ZTF26kept", "SN Ia")]
    assert [e["name"] for e in data["gcn_events"]] == ["S261202a"]
    assert data["shift"]["people"] == ["alice"]
    text = client.get(f"/shifts/{shift.pk}/summary.txt")
    assert text["Content-Disposition"] == f'attachment; filename="shift-{shift.pk}-summary.txt"'
    assert "Saved (1):" in text.content.decode()
    assert client.get(f"/shifts/{shift.pk}/summary.exe").status_code == 404
    other = Client()
    other.force_login(bob)
    assert other.get(f"/shifts/{shift.pk}/summary/").status_code == 404
    assert other.get(f"/shifts/{shift.pk}/summary.json").status_code == 404
