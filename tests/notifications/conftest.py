"""A real SMTP server (aiosmtpd, in-process), a local HTTP server standing in for Slack's
incoming webhooks, and people: alice and carol in group A, bob in group B."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from accounts import acl
from notifications.mailsink import MailSink
from tests.people import make_user


def _with_email(user):
    user.email = f"{user.username}@example.org"
    user.save(update_fields=["email"])
    return user


@pytest.fixture
def alice(group_a):
    return _with_email(make_user("alice", acl.FULL_USER, group_a))


@pytest.fixture
def carol(group_a):
    return _with_email(make_user("carol", acl.GROUP_ADMIN, group_a, admin_of=(group_a,)))


@pytest.fixture
def bob(group_b):
    return _with_email(make_user("bob", acl.FULL_USER, group_b))


@pytest.fixture
def mail_sink(settings):
    sink = MailSink().start()
    settings.EMAIL_URL = sink.url
    settings.EMAIL_FROM = "icare-tom@example.org"
    yield sink
    sink.stop()


class SlackStandIn:
    """Records every POSTed JSON body; ``status`` is what it answers."""

    def __init__(self) -> None:
        self.posts: list[dict] = []
        self.headers: list[dict] = []
        self.status = 200
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = min(int(self.headers.get("Content-Length", 0)), 1 << 20)
                body = self.rfile.read(length)
                if stand_in.status == 200:
                    stand_in.posts.append(json.loads(body))
                    stand_in.headers.append(dict(self.headers))
                self.send_response(stand_in.status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.prefix = f"http://127.0.0.1:{self.port}/services/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def slack(settings):
    stand_in = SlackStandIn()
    settings.SLACK_WEBHOOK_PREFIXES = [stand_in.prefix]
    # The guarded fetch helper reaches this loopback server only when told to.
    settings.FETCH_ALLOWED_HOSTS = {
        **settings.FETCH_ALLOWED_HOSTS,
        "slack": [f"127.0.0.1:{stand_in.port}"],
    }
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    yield stand_in
    stand_in.stop()


@pytest.fixture
def eager_celery(settings):
    """Tasks run in the calling process (the delivery logic is what is tested here)."""
    from icare_tom.celery import app

    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = False


def set_channels(user, kind: str, channels: list[str]) -> None:
    from notifications import preferences

    preferences.write_preferences(
        user, preferences.parse_preferences({kind: {"channels": channels}})
    )
