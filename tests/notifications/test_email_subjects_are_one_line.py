"""A notice whose text holds line breaks (a comment, a notice's name) is still mailed: the
subject is made one line, the body keeps the text as written."""

from __future__ import annotations

from notifications import services
from notifications.models import Delivery
from tests.notifications.conftest import set_channels


def test_it_mails_a_notice_whose_text_has_line_breaks(
    carol, mail_sink, eager_celery, django_capture_on_commit_callbacks
):
    set_channels(carol, "mention", ["email"])
    with django_capture_on_commit_callbacks(execute=True):
        services.notify(
            [carol], "mention", "bob mentioned you:\r\nBcc: everyone@example.org\nsee", "/x/"
        )
    (message,) = mail_sink.wait_for(1)
    assert message["Subject"] == "[ICARE-TOM] bob mentioned you: Bcc: everyone@example.org see"
    assert message["Bcc"] is None
    assert "Bcc: everyone@example.org" in message.get_content()
    assert Delivery.objects.get().state == "sent"
