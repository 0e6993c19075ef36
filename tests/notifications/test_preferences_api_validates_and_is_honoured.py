"""GET/PUT /api/me/notification_preferences: defaults, a partial update, 400 naming the
field on bad input; notify() honours channels, quiet hours, only-on-shift and labels."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rest_framework.test import APIClient

from notifications import services
from notifications.models import Delivery, Notification
from tests.notifications.conftest import set_channels

URL = "/api/me/notification_preferences"


@pytest.fixture
def api(alice):
    client = APIClient()
    client.force_login(alice)
    return client


def test_it_reads_defaults_and_writes_one_kind(api):
    prefs = api.get(URL).json()
    assert set(prefs) == {
        "mention", "classification", "saved_view", "gcn_event", "followup", "plan",
        "join_request", "shift",
    }  # fmt: skip
    assert prefs["mention"] == {
        "channels": ["in_app"],
        "only_on_shift": False,
        "quiet_hours": None,
        "labels": [],
    }
    body = {
        "mention": {
            "channels": ["email", "in_app"],
            "quiet_hours": {"start": "22:00", "end": "07:00"},
        },
        "classification": {"channels": ["in_app"], "labels": ["SN Ia", "Kilonova"]},
    }
    written = api.put(URL, body, format="json").json()
    assert written["mention"]["channels"] == ["in_app", "email"]
    assert written["mention"]["quiet_hours"] == {"start": "22:00", "end": "07:00"}
    assert written["classification"]["labels"] == ["SN Ia", "Kilonova"]
    assert api.get(URL).json()["shift"]["channels"] == ["in_app"]  # untouched


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"mention": {"channels": ["fax"]}}, "mention.channels"),
        ({"mention": {"channels": "email"}}, "mention.channels"),
        ({"telepathy": {"channels": []}}, "telepathy"),
        ({"mention": {"colour": "red"}}, "mention.colour"),
        ({"mention": {"only_on_shift": "yes"}}, "mention.only_on_shift"),
        (
            {"mention": {"quiet_hours": {"start": "25:00", "end": "07:00"}}},
            "mention.quiet_hours.start",
        ),
        ({"mention": {"quiet_hours": "night"}}, "mention.quiet_hours"),
        ({"mention": {"labels": ["x"]}}, "mention.labels"),
        ([1, 2], "preferences"),
    ],
)
def test_it_answers_400_naming_the_field(api, body, field):
    response = api.put(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()


def test_it_needs_a_signed_in_user():
    assert APIClient().get(URL).status_code in (401, 403)


def test_it_holds_back_email_in_quiet_hours_and_everything_off_shift(alice, carol, mail_sink):
    api = APIClient()
    api.force_login(alice)
    api.put(
        URL,
        {
            "mention": {
                "channels": ["in_app", "email"],
                "quiet_hours": {"start": "22:00", "end": "07:00"},
            }
        },
        format="json",
    )
    night = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    day = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
    services.notify([alice], "mention", "at night", now=night)
    assert Delivery.objects.count() == 0 and Notification.objects.filter(in_app=True).count() == 1
    services.notify([alice], "mention", "by day", now=day)
    assert Delivery.objects.filter(channel="email").count() == 1

    set_channels(carol, "saved_view", ["in_app"])
    api.force_login(carol)
    api.put(URL, {"saved_view": {"channels": ["in_app"], "only_on_shift": True}}, format="json")
    assert services.notify([carol], "saved_view", "new candidate") == []
    services.register_on_shift_provider(lambda ids, at: {carol.pk} & set(ids))
    try:
        assert len(services.notify([carol], "saved_view", "new candidate")) == 1
    finally:
        services._on_shift_providers.pop()


def test_it_tells_about_chosen_labels_only(alice):
    api = APIClient()
    api.force_login(alice)
    api.put(
        URL, {"classification": {"channels": ["in_app"], "labels": ["Kilonova"]}}, format="json"
    )
    assert services.notify([alice], "classification", "SN Ia on X", label="SN Ia") == []
    assert len(services.notify([alice], "classification", "Kilonova on X", label="Kilonova")) == 1
