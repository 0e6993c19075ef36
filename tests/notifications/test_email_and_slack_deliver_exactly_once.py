"""A real SMTP server and a local Slack stand-in each receive exactly one message per
delivery: a second run of the task, a repeated notice, a concurrent claim send nothing."""

from __future__ import annotations

import pytest

from notifications import delivery, services
from notifications.models import Delivery, Notification
from notifications.tasks import deliver
from tests.notifications.conftest import set_channels


def test_it_sends_one_email_and_one_slack_post(
    carol, mail_sink, slack, eager_celery, django_capture_on_commit_callbacks
):
    set_channels(carol, "mention", ["in_app", "email", "slack"])
    services.set_slack_url(carol, slack.prefix + "T000/B000/carol")
    with django_capture_on_commit_callbacks(execute=True):
        created = services.notify(
            [carol], "mention", "bob mentioned you on ZTF26a", "/sources/ZTF26a/"
        )
    assert len(created) == 1
    messages = mail_sink.wait_for(1)
    assert len(messages) == 1
    assert messages[0]["To"] == "carol@example.org"
    assert "bob mentioned you" in messages[0]["Subject"]
    assert "/sources/ZTF26a/" in messages[0].get_content()
    assert len(slack.posts) == 1 and "bob mentioned you" in slack.posts[0]["text"]
    rows = list(Delivery.objects.order_by("channel"))
    assert [(d.channel, d.state, d.attempts) for d in rows] == [
        ("email", "sent", 1),
        ("slack", "sent", 1),
    ]
    assert rows[0].key == f"{created[0].pk}:email"
    assert messages[0]["Message-ID"] == delivery.message_id(rows[0].key)

    # The same task again (a broker redelivery, a retry): nothing left to claim.
    deliver.run([d.pk for d in rows])
    assert delivery.deliver([d.pk for d in rows]).sent == []
    # The same event again: deduplicated, no new notice or delivery.
    with django_capture_on_commit_callbacks(execute=True):
        again = services.notify(
            [carol], "mention", "bob mentioned you on ZTF26a", dedupe_key="comment:1"
        )
        services.notify([carol], "mention", "bob mentioned you on ZTF26a", dedupe_key="comment:1")
    assert len(again) == 1
    assert Notification.objects.filter(dedupe_key="comment:1").count() == 1
    assert len(mail_sink.wait_for(2, timeout_s=2)) == 2
    assert len(slack.posts) == 2


def test_it_lets_only_one_of_two_claims_win(carol, mail_sink, django_capture_on_commit_callbacks):
    set_channels(carol, "shift", ["email"])
    with django_capture_on_commit_callbacks(execute=False):
        services.notify([carol], "shift", "Your shift starts in one hour")
    (row,) = Delivery.objects.all()
    first = delivery.claim([row.pk])
    second = delivery.claim([row.pk])
    assert [d.pk for d in first] == [row.pk] and second == []


def test_it_fails_without_an_address_and_says_why(
    alice, mail_sink, eager_celery, django_capture_on_commit_callbacks
):
    alice.email = ""
    alice.save()
    set_channels(alice, "mention", ["in_app", "email", "slack"])
    with django_capture_on_commit_callbacks(execute=True):
        services.notify([alice], "mention", "hello")
    reasons = dict(Delivery.objects.values_list("channel", "last_error"))
    assert reasons == {
        "email": "no email address on the account",
        "slack": "no Slack webhook URL set in the notification preferences",
    }
    assert set(Delivery.objects.values_list("state", flat=True)) == {"failed"}
    assert mail_sink.messages == []


@pytest.mark.django_db(transaction=True)
def test_it_sends_a_large_batch_over_parallel_connections_once_each(settings, group_a, mail_sink):
    from tests.people import make_user

    settings.NOTIFICATIONS_SMTP_CONNECTIONS = 3
    users = [make_user(f"user{i:02d}", "Full user", group_a) for i in range(30)]
    for user in users:
        user.email = f"{user.username}@example.org"
        user.save()
        set_channels(user, "gcn_event", ["email"])
    services.notify(users, "gcn_event", "S250101a", dispatch=False)
    ids = list(Delivery.objects.values_list("id", flat=True))
    outcome = delivery.deliver(ids)
    assert len(outcome.sent) == 30
    received = sorted(m["To"] for m in mail_sink.wait_for(30))
    assert received == sorted(f"user{i:02d}@example.org" for i in range(30))
    assert set(Delivery.objects.values_list("state", flat=True)) == {"sent"}
    assert delivery.deliver(ids).sent == []
