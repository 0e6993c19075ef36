"""The shift cycle: a series is created by whoever may manage shifts, members join until
it is full (then a clear refusal), a replacement request tells the group and the taker
replaces the requester, reminders and understaffing warnings go out once, and the
iCalendar feed is read back by icalendar."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from django.test import Client
from django.utils import timezone

from notifications.models import Notification
from shifts import services
from shifts.models import Shift
from tests.accounts.conftest import refused

NIGHT = datetime(2030, 3, 2, 18, 0, tzinfo=UTC)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _told(user, contains: str = "") -> list[str]:
    return list(
        Notification.objects.filter(
            recipient=user, kind="shift", text__contains=contains
        ).values_list("text", flat=True)
    )


@pytest.fixture
def series(carol, group_a, dave):
    response = _client(carol).post(
        f"/shifts/groups/{group_a.pk}/new/",
        {
            "name": "Night scanning",
            "description": "ZTF + LSST queue, GCN watch",
            "start_date": "2030-03-02",
            "start_time": "18:00",
            "duration_hours": "12",
            "people_needed": "2",
            "occurrences": "28",
            "every_days": "1",
            "admins": [str(dave.pk)],
        },
    )
    assert response.status_code == 302, response.content
    return list(Shift.objects.order_by("start_at"))


def test_it_creates_a_nightly_series_for_four_weeks(series, dave):
    assert len(series) == 28
    assert series[0].start_at == NIGHT and series[0].end_at == NIGHT + timedelta(hours=12)
    assert series[-1].start_at == NIGHT + timedelta(days=27)
    assert {s.series_id for s in series} == {series[0].series_id}
    assert list(series[3].admins.all()) == [dave]


def test_it_lets_only_shift_managers_create_and_edit(alice, bob, dave, group_a, series):
    form = {"name": "x", "start_date": "2030-03-02", "start_time": "18:00", "duration_hours": "1",
            "people_needed": "1", "occurrences": "1", "every_days": "1"}  # fmt: skip
    assert refused(_client(alice).post(f"/shifts/groups/{group_a.pk}/new/", form))
    assert _client(bob).post(f"/shifts/groups/{group_a.pk}/new/", form).status_code == 404
    assert refused(_client(alice).get(f"/shifts/{series[0].pk}/edit/"))
    assert _client(dave).get(f"/shifts/{series[0].pk}/edit/").status_code == 200  # shift admin
    assert _client(bob).get(f"/shifts/{series[0].pk}/").status_code == 404
    assert _client(bob).post(f"/shifts/{series[0].pk}/join/").status_code == 404
    assert Shift.objects.count() == 28


def test_it_refuses_a_full_shift_clearly(alice, dave, erin, series):
    night = series[0]
    _client(alice).post(f"/shifts/{night.pk}/join/")
    _client(dave).post(f"/shifts/{night.pk}/join/")
    page = _client(erin).post(f"/shifts/{night.pk}/join/", follow=True).content.decode()
    assert "this shift is full: 2 of 2 people already joined" in page
    assert sorted(night.members.values_list("user__username", flat=True)) == ["alice", "dave"]
    with pytest.raises(services.ShiftRefused, match="full"):
        services.join(erin, night)


def test_it_hands_a_shift_over_to_a_replacement(alice, carol, dave, erin, series):
    night = series[1]
    services.join(alice, night)
    services.join(dave, night)
    _client(alice).post(f"/shifts/{night.pk}/replacement/")
    for member in (carol, dave, erin):
        assert _told(member, "alice needs a replacement for Night scanning") != []
    assert _told(alice, "needs a replacement") == []
    request = night.replacement_requests.get()
    page = _client(erin).post(f"/shifts/{night.pk}/replacement/{request.pk}/take/", follow=True)
    assert "You took over this shift." in page.content.decode()
    assert sorted(night.members.values_list("user__username", flat=True)) == ["dave", "erin"]
    assert _told(alice, "erin takes your place") != []
    with pytest.raises(services.ShiftRefused, match="already been taken"):
        services.take_replacement(carol, request)


def test_it_reminds_once_and_warns_admins_of_understaffed_shifts(alice, carol, dave, series):
    night = series[0]
    services.join(alice, night)
    before = night.start_at - timedelta(minutes=30)
    assert services.send_reminders(now=before) == 1
    assert _told(alice, "Reminder: your shift Night scanning starts in 30 min") != []
    assert services.send_reminders(now=before + timedelta(minutes=1)) == 0
    # Within 48 h and 1 of 2 people: the group admin (carol) and the shift admin (dave) hear.
    assert services.warn_understaffed(now=night.start_at - timedelta(hours=47)) == 2
    assert _told(carol, "has 1 of 2 people") != [] and _told(dave, "has 1 of 2 people") != []
    assert services.warn_understaffed(now=night.start_at - timedelta(hours=46)) == 0


def test_it_publishes_my_shifts_as_an_icalendar_feed(alice, bob, series):
    for night in series[:3]:
        services.join(alice, night)
    page = _client(alice).get("/shifts/calendar-feed/").content.decode()
    url = page.split('id="feed-url" aria-label="calendar address"')[0].rsplit('value="', 1)[1]
    path = url.split("testserver", 1)[1].split('"')[0]
    response = Client().get(path)  # a calendar application: no session
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(response.content)
    events = [c for c in calendar.walk() if c.name == "VEVENT"]
    assert [e.decoded("dtstart") for e in events] == [s.start_at for s in series[:3]]
    assert str(events[0]["summary"]) == "Night scanning (GRANDMA-A)"
    assert str(events[0]["uid"]) == f"shift-{series[0].pk}@icare-tom"
    _client(alice).post("/shifts/calendar-feed/")  # a new secret: the old address is dead
    assert Client().get(path).status_code == 404
    assert Client().get("/shifts/ical/not-a-token.ics").status_code == 404


def test_it_shows_the_on_shift_banner_and_the_calendars(alice, carol, group_a):
    now = timezone.now()
    spec = services.ShiftSpec("Tonight", now - timedelta(hours=1), now + timedelta(hours=2), 1)
    tonight = services.create_shift(carol, group_a, spec)
    client = _client(alice)
    assert "On shift now" not in client.get("/shifts/").content.decode()
    services.join(alice, tonight)
    page = client.get("/shifts/").content.decode()
    assert 'id="on-shift-banner"' in page and "Tonight" in page
    assert services.on_shift_user_ids([alice.pk, carol.pk], now) == {alice.pk}
    day = now.date().isoformat()
    for url in (
        f"/shifts/?view=month&start={day}",
        f"/shifts/groups/{group_a.pk}/?view=week&start={day}",
    ):
        body = client.get(url).content.decode()
        assert "Tonight" in body and 'id="shift-calendar"' in body
    assert client.get("/shifts/?start=garbage&view=nonsense").status_code == 200
