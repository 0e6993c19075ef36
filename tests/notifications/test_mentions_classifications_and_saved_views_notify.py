"""Mentions: every ``@user`` who may read the comment is recorded and told (``@bob
@carol.`` used to record only one of them); POST /api/sources/<name>/comments is the form's
API twin. Classifications of a group's saved source and new candidates in a saved queue
view are told too."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts import acl
from notifications.models import Notification, SavedView
from sources import actions
from sources.models import Filter, SavedSource, Stream, Taxonomy
from sources.saved_views import match_saved_views
from tests.people import make_user
from tests.sources.conftest import make_candidate, make_target


@pytest.fixture
def dave(group_a):
    return make_user("dave", acl.FULL_USER, group_a)


@pytest.fixture
def target(group_a):
    return make_target("ZTF26mention", [group_a])


def _told(user, kind="mention"):
    return list(Notification.objects.filter(recipient=user, kind=kind).values_list("text", "url"))


def test_it_records_and_tells_every_mentioned_reader(alice, bob, carol, dave, target):
    comment = actions.add_comment(alice, target, "@dave @Carol. and @bob, look at this")
    assert sorted(comment.mentions.values_list("username", flat=True)) == ["carol", "dave"]
    for user in (carol, dave):
        ((text, url),) = _told(user)
        assert text.startswith("alice mentioned you on ZTF26mention: @dave @Carol.")
        assert url == f"/sources/ZTF26mention/#comment-{comment.pk}"
    assert _told(bob) == []  # bob (group B) may not read it
    assert _told(alice) == []


def test_it_adds_a_comment_through_the_api(alice, bob, carol, viewer, target, group_a, group_b):
    api = APIClient()
    api.force_login(alice)
    url = f"/api/sources/{target.name}/comments"
    response = api.post(
        url, {"text": "@carol please check", "group_ids": [group_a.pk]}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["mentions"] == ["carol"] and body["group_ids"] == [group_a.pk]
    assert len(_told(carol)) == 1
    assert api.post(url, {"text": "  "}, format="json").status_code == 400
    assert api.post(url, {"text": "x" * 10_001}, format="json").status_code == 400
    assert (
        api.post(url, {"text": "hi", "group_ids": [group_b.pk]}, format="json").status_code == 403
    )
    assert api.post(url, {"text": "hi", "group_ids": ["x"]}, format="json").status_code == 400
    assert api.post("/api/sources/nope/comments", {"text": "hi"}, format="json").status_code == 404
    api.force_login(bob)
    assert api.post(url, {"text": "@carol hi"}, format="json").status_code == 404
    api.force_login(viewer)
    assert api.post(url, {"text": "@carol hi"}, format="json").status_code == 403
    assert len(_told(carol)) == 1


def test_it_tells_the_group_of_a_classification_of_its_saved_source(
    alice, carol, dave, target, group_a
):
    taxonomy = Taxonomy.objects.create(
        name="test", version="1", hierarchy={"SN": {"SN Ia": {}}, "Kilonova": {}}
    )
    actions.classify(alice, target, taxonomy, "SN Ia", 0.9)
    assert _told(carol, "classification") == []  # not saved to the group yet
    SavedSource.objects.create(target=target, group=group_a, saved_by=alice)
    client = APIClient()
    client.force_login(dave)
    client.put(
        "/api/me/notification_preferences",
        {"classification": {"channels": ["in_app"], "labels": ["Kilonova"]}},
        format="json",
    )
    actions.classify(alice, target, taxonomy, "SN Ia", 0.9)
    assert _told(carol, "classification") == [
        ("alice classified ZTF26mention as SN Ia", "/sources/ZTF26mention/")
    ]
    assert _told(dave, "classification") == []  # dave only wants kilonovae
    assert _told(alice, "classification") == []
    actions.classify(alice, target, taxonomy, "Kilonova", 0.6)
    assert len(_told(dave, "classification")) == 1


def test_it_tells_about_new_candidates_in_a_saved_view(alice, carol, group_a, group_b):
    stream = Stream.objects.create(name="Fink ZTF", survey="ztf")
    filter_a = Filter.objects.create(name="SN A", stream=stream, group=group_a, topic="t")
    filter_b = Filter.objects.create(name="SN B", stream=stream, group=group_b, topic="t")
    make_candidate(make_target("ZTF26old", [group_a]), filter_a)
    api = APIClient()
    api.force_login(carol)
    created = api.post(
        "/api/me/saved_views",
        {"name": "A tonight", "query": f"/candidates/?group={group_a.pk}&window=24h"},
        format="json",
    )
    assert (
        created.status_code == 201 and created.json()["query"] == f"group={group_a.pk}&window=24h"
    )
    assert (
        api.post(
            "/api/me/saved_views", {"name": "x", "query": "/sources/"}, format="json"
        ).status_code
        == 400
    )
    assert match_saved_views() == 0  # the first run sets the mark: only what comes next counts
    make_candidate(make_target("ZTF26new", [group_a]), filter_a)
    make_candidate(make_target("ZTF26other", [group_b]), filter_b)  # not visible to carol
    assert match_saved_views() == 1
    ((text, url),) = _told(carol, "saved_view")
    assert text == '1 new in your view "A tonight": ZTF26new'
    assert url == f"/candidates/?group={group_a.pk}&window=24h"
    assert match_saved_views() == 0
    view = SavedView.objects.get()
    other = APIClient()
    other.force_login(alice)
    assert other.delete(f"/api/me/saved_views/{view.pk}").status_code == 404
    assert api.delete(f"/api/me/saved_views/{view.pk}").status_code == 204
