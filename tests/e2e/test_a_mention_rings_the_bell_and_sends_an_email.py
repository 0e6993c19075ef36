"""Bob mentions carol in a comment on a source page; carol's bell, open in another browser,
shows it within a second without a reload, and the email reaches the SMTP server."""

from __future__ import annotations

import re
import time

import pytest
from django.contrib.auth.models import Group

from accounts import acl
from notifications import preferences
from notifications.mailsink import MailSink
from tests.people import make_user
from tests.sources.conftest import make_target

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("button[type=submit]")
    page.wait_for_load_state()


@pytest.fixture
def mail_sink(settings):
    from icare_tom.celery import app

    sink = MailSink().start()
    settings.EMAIL_URL = sink.url
    app.conf.task_always_eager = True  # the live server's thread delivers at once
    yield sink
    app.conf.task_always_eager = False
    sink.stop()


def test_it_rings_carols_bell_live_and_mails_her(new_page, live_server, mail_sink, artifacts):
    group = Group.objects.create(name="GRANDMA-A")
    make_user("bob", acl.FULL_USER, group)
    carol = make_user("carol", acl.FULL_USER, group)
    carol.email = "carol@example.org"
    carol.save()
    preferences.write_preferences(
        carol, preferences.parse_preferences({"mention": {"channels": ["in_app", "email"]}})
    )
    make_target("ZTF26bell", [group])

    carols = new_page()
    log_in(carols, live_server.url, "carol")
    carols.goto(f"{live_server.url}/me/notifications/")
    bell = carols.locator("#notification-count")
    assert bell.is_hidden()
    # The bell's stream sends its first count once it is listening.
    carols.locator("#notification-bell[data-unread='0']").wait_for(state="attached", timeout=10_000)

    bobs = new_page()
    log_in(bobs, live_server.url, "bob")
    bobs.goto(f"{live_server.url}/sources/ZTF26bell/")
    bobs.fill("textarea[name=text]", "@carol is this the counterpart? @nobody")
    bobs.click("form[action$='/comment/'] button")
    bobs.wait_for_load_state()
    posted = time.monotonic()

    bell.filter(has_text=re.compile(r"^1$")).wait_for(timeout=5_000)
    seen = time.monotonic() - posted
    assert bell.is_visible()
    assert "bob mentioned you on ZTF26bell" in carols.locator("#notification-bell").get_attribute(
        "title"
    )
    # The open notifications page shows the new notice at the top of its list.
    first = carols.locator("#notice-list li").first
    assert first.get_attribute("class") == "unread"
    assert "bob mentioned you on ZTF26bell" in first.inner_text()
    carols.screenshot(path=str(artifacts / "mention-bell.png"))
    assert seen < 1.0, f"the bell changed {seen:.2f} s after the comment was stored"

    (message,) = mail_sink.wait_for(1)
    assert message["To"] == "carol@example.org"
    assert "bob mentioned you on ZTF26bell" in message["Subject"]
    assert "/sources/ZTF26bell/" in message.get_content()
