"""GET /api/notifications (mine, newest first) and marking read; the bell on every page with
its unread count, pushed live by the event stream; join requests told through this app."""

from __future__ import annotations

import json
import threading
import time

import pytest
from django.test import Client
from rest_framework.test import APIClient

from accounts import services as account_services
from notifications import services
from notifications.live import bell_events
from notifications.models import Notification


def test_it_lists_mine_newest_first_and_marks_read(alice, bob):
    services.notify([alice], "mention", "first", "/sources/A/")
    services.notify([alice, bob], "shift", "second")
    api = APIClient()
    api.force_login(alice)
    body = api.get("/api/notifications").json()
    assert body["unread"] == 2
    assert [(n["kind"], n["text"], n["read"]) for n in body["results"]] == [
        ("shift", "second", False),
        ("mention", "first", False),
    ]
    assert set(body["results"][0]) == {"id", "kind", "text", "url", "created", "read"}
    first_id = body["results"][1]["id"]
    assert api.post("/api/notifications/read", {"ids": [first_id]}, format="json").json() == {
        "marked": 1,
        "unread": 1,
    }
    assert api.post("/api/notifications/read", {"ids": "all"}, format="json").status_code == 400
    # bob's notice cannot be marked by alice
    bob_id = Notification.objects.get(recipient=bob).pk
    assert (
        api.post("/api/notifications/read", {"ids": [bob_id]}, format="json").json()["marked"] == 0
    )
    assert api.post("/api/notifications/read", {}, format="json").json()["unread"] == 0
    assert api.get("/api/notifications?limit=x").status_code == 400


def test_it_shows_the_bell_with_the_unread_count_on_pages(alice):
    services.notify([alice], "mention", "hello <script>", "/sources/A/")
    client = Client()
    client.force_login(alice)
    page = client.get("/me/notifications/").content.decode()
    assert 'id="notification-count">1<' in page
    assert "hello &lt;script&gt;" in page
    home = client.get("/group-sources/").content.decode()
    assert 'id="notification-bell"' in home
    assert client.post("/me/notifications/").status_code == 302
    assert 'id="notification-count" hidden>0<' in client.get("/group-sources/").content.decode()


@pytest.mark.django_db(transaction=True)
def test_it_pushes_the_new_count_to_an_open_bell_within_a_second(alice):
    events = bell_events(alice, keepalive_s=0.5, max_lifetime_s=20)
    assert next(events).startswith("retry:")
    first = next(events)
    assert json.loads(first.split("data: ", 1)[1])["unread"] == 0
    received: list[tuple[float, dict]] = []

    def read():
        for chunk in events:
            if chunk.startswith("event: count"):
                received.append((time.monotonic(), json.loads(chunk.split("data: ", 1)[1])))
                return

    reader = threading.Thread(target=read)
    reader.start()
    time.sleep(0.3)
    stored_at = time.monotonic()
    services.notify([alice], "mention", "live one", "/sources/A/")
    reader.join(5)
    events.close()
    assert received, "no count event"
    at, state = received[0]
    assert state["unread"] == 1 and state["latest"]["text"] == "live one"
    assert at - stored_at < 1.0


def test_it_tells_group_admins_of_join_requests_through_notifications(alice, carol, bob, group_a):
    account_services.request_to_join(group_a, bob)
    note = Notification.objects.get(recipient=carol)
    assert note.kind == "join_request" and "bob" in note.text


def test_it_refuses_strangers_and_unknown_ids(alice, bob):
    services.notify([alice], "mention", "for alice", "/sources/A/")
    note = Notification.objects.get()
    client = Client()
    client.force_login(bob)
    assert client.post(f"/me/notifications/{note.pk}/open/").status_code == 404
    assert Client().get("/api/notifications").status_code in (401, 403)
    assert Client().get("/me/notifications/").status_code == 302
