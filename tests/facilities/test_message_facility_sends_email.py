"""The Message facility emails the request to the telescope team through a real SMTP server
(aiosmtpd, in-process); an unreachable server fails the request, which can be resubmitted."""

from __future__ import annotations

import socket

import pytest

from facilities import services
from notifications.mailsink import MailSink
from tests.facilities.conftest import make_allocation, valid_parameters


@pytest.fixture
def sink(settings):
    server = MailSink().start()
    settings.EMAIL_URL = server.url
    settings.EMAIL_FROM = "icare-tom@example.org"
    yield server
    server.stop()


@pytest.fixture
def message_allocation(group_a, instrument):
    allocation = make_allocation(group_a, instrument, facility="Message")
    allocation.set_credentials({"email": "tarot-team@example.org, night@example.org"})
    allocation.save()
    return allocation


def test_it_mails_the_formatted_request(alice, target_a, message_allocation, sink):
    followup = services.submit_request(alice, target_a, message_allocation.pk, valid_parameters())
    assert followup.status == "pending" and "sent by email" in followup.message
    (mail,) = sink.wait_for(1)
    assert target_a.name in mail["Subject"]
    assert "tarot-team@example.org" in mail["To"]
    body = mail.get_content()
    assert "150.100000 +2.200000" in body and "3 x 60" in body and "sdssr" in body
    services.cancel_request(alice, followup)
    assert len(sink.wait_for(2)) == 2 and followup.status == "cancelled"


def test_an_unreachable_server_fails_the_request(
    alice, target_a, message_allocation, settings, sink
):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed_port = s.getsockname()[1]
    settings.EMAIL_URL = f"smtp://127.0.0.1:{closed_port}"
    followup = services.submit_request(alice, target_a, message_allocation.pk, valid_parameters())
    assert followup.status == "failed" and "email not sent" in followup.message
    settings.EMAIL_URL = sink.url
    services.resubmit_request(alice, followup)
    assert followup.status == "pending" and len(sink.wait_for(1)) == 1
