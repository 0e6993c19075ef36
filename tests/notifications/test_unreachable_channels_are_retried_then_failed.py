"""An unreachable SMTP server or a failing Slack URL: retried with back-off, then `failed`
with the reason in the delivery log; the other deliveries still go out."""

from __future__ import annotations

import socket

import pytest

from notifications import delivery, services
from notifications.models import Delivery
from tests.notifications.conftest import set_channels


@pytest.fixture
def quick_retries(settings):
    settings.NOTIFICATIONS_BACKOFF_S = 0
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 3


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_it_retries_then_fails_an_unreachable_smtp_server(
    alice, carol, slack, settings, quick_retries, eager_celery, django_capture_on_commit_callbacks
):
    settings.EMAIL_URL = f"smtp://127.0.0.1:{_closed_port()}"
    set_channels(alice, "shift", ["email", "slack"])
    services.set_slack_url(alice, slack.prefix + "alice")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([alice], "shift", "Shift tonight")
    email = Delivery.objects.get(channel="email")
    assert email.state == "failed" and email.attempts == 3
    assert email.last_error.startswith("SMTP server unreachable")
    assert Delivery.objects.get(channel="slack").state == "sent"  # the other went on
    assert len(slack.posts) == 1


def test_it_retries_then_fails_a_failing_webhook(
    alice, slack, quick_retries, eager_celery, django_capture_on_commit_callbacks
):
    slack.status = 500
    set_channels(alice, "shift", ["slack"])
    services.set_slack_url(alice, slack.prefix + "alice")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([alice], "shift", "Shift tonight")
    row = Delivery.objects.get()
    assert (row.state, row.attempts, row.last_error) == (
        "failed",
        3,
        "Slack: HTTP 500 from the webhook",
    )


def test_it_backs_off_between_attempts(settings):
    settings.NOTIFICATIONS_BACKOFF_S = 10
    assert [delivery.backoff_s(n) for n in (1, 2, 3, 4)] == [10, 20, 40, 80]
    assert delivery.backoff_s(30) == 3600


def test_it_refuses_a_slack_url_outside_the_allowed_prefix(alice, slack):
    with pytest.raises(services.AddressError) as refused:
        services.set_slack_url(alice, "http://evil.example/services/x")
    assert refused.value.field == "slack_url"
    set_channels(alice, "mention", ["in_app"])


def test_it_fails_a_webhook_the_fetch_helper_refuses(
    alice, slack, settings, eager_celery, django_capture_on_commit_callbacks
):
    settings.FETCH_ALLOWED_HOSTS = {**settings.FETCH_ALLOWED_HOSTS, "slack": ["hooks.slack.com"]}
    set_channels(alice, "shift", ["slack"])
    services.set_slack_url(alice, slack.prefix + "alice")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([alice], "shift", "Shift tonight")
    row = Delivery.objects.get()
    assert (row.state, row.attempts) == ("failed", 1)  # refused by policy: not retried
    assert row.last_error.startswith("Slack: host not allowed")
    assert slack.posts == []


def test_it_posts_once_to_a_group_webhook(
    alice, carol, group_a, slack, eager_celery, django_capture_on_commit_callbacks
):
    services.set_group_slack_url(carol, group_a, slack.prefix + "group-a")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_group(group_a, "shift", "alice needs a replacement", dedupe_key="r:1")
    with django_capture_on_commit_callbacks(execute=True):
        services.notify_group(group_a, "shift", "alice needs a replacement", dedupe_key="r:1")
    assert [p["text"] for p in slack.posts] == ["alice needs a replacement"]
    assert Delivery.objects.get(group=group_a).state == "sent"
