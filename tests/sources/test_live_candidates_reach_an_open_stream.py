"""A candidate inserted while the queue is open reaches its event stream within a second,
and only if the viewer may see it."""

import json
import time

import pytest
from django.test import Client

from tests.sources.conftest import make_candidate, make_target

pytestmark = pytest.mark.django_db(transaction=True)


def test_it_pushes_a_new_candidate_to_an_open_stream(alice, group_a, group_b, filter_a, filter_b):
    client = Client()
    client.force_login(alice)
    response = client.get("/candidates/stream/")
    assert response["Content-Type"] == "text/event-stream"
    events = iter(response.streaming_content)
    try:
        assert next(events).decode().startswith("event: ready")
        # Bob's candidate is announced too, but alice must never receive it.
        make_candidate(make_target("ZTFbobs", [group_b]), filter_b)
        inserted_at = time.monotonic()
        make_candidate(make_target("ZTFlive", [group_a]), filter_a)
        event = next(events).decode()
        latency = time.monotonic() - inserted_at
    finally:
        response.close()
    assert event.startswith("event: candidate")
    payload = json.loads(event.split("data: ", 1)[1])
    assert 'data-name="ZTFlive"' in payload["html"]
    assert "ZTFbobs" not in event
    assert latency < 1.0


def test_it_sends_keepalives_instead_of_polling(alice, group_a, filter_a):
    from sources.forms import QueueParams
    from sources.live import candidate_events

    events = candidate_events(alice, QueueParams(), keepalive_s=0.2)
    try:
        assert next(events).startswith("event: ready")
        started = time.monotonic()
        assert next(events) == ": keepalive\n\n"
        assert time.monotonic() - started >= 0.15
    finally:
        events.close()
