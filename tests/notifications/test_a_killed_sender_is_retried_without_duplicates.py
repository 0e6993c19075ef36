"""A worker killed in the middle of sending: the delivery stays claimed, the retry (after
the claim's lease) sends it, and the SMTP server and the Slack stand-in each end up with
exactly one message."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import pytest

from notifications import services
from notifications.models import Delivery
from notifications.tasks import deliver, sweep_deliveries
from tests import child_process
from tests.conftest import REPO_ROOT
from tests.notifications.conftest import set_channels

LEASE_S = 2


def _worker(ids: list[int], settings, started_marker: str) -> subprocess.Popen:
    """A separate process running the delivery task body, as a Celery worker would."""
    code = (
        "import django, sys; django.setup()\n"
        "from notifications.tasks import deliver\n"
        f"print({started_marker!r}, flush=True)\n"
        f"deliver.run({ids!r})\n"
    )
    env = child_process.child_env(
        EMAIL_URL=settings.EMAIL_URL,
        SLACK_WEBHOOK_PREFIXES=",".join(settings.SLACK_WEBHOOK_PREFIXES),
        FETCH_ALLOWED_HOSTS_SLACK=",".join(settings.FETCH_ALLOWED_HOSTS["slack"]),
        FETCH_ALLOWED_NETWORKS=",".join(settings.FETCH_ALLOWED_NETWORKS),
        NOTIFICATIONS_CLAIM_LEASE_S=str(LEASE_S),
    )
    return subprocess.Popen(
        [sys.executable, "-c", code], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )


@pytest.mark.django_db(transaction=True)
def test_it_sends_exactly_once_when_the_worker_dies_mid_send(
    carol, mail_sink, slack, settings, eager_celery
):
    settings.NOTIFICATIONS_CLAIM_LEASE_S = LEASE_S
    set_channels(carol, "gcn_event", ["email", "slack"])
    services.set_slack_url(carol, slack.prefix + "carol")
    held = threading.Event()
    release = threading.Event()

    def hold_first(envelope):
        if not held.is_set():
            held.set()
            release.wait(30)  # the sender is killed while the server holds its message
            raise ConnectionError("sender went away")

    mail_sink.before_accept = hold_first
    services.notify([carol], "gcn_event", "S250101a matches your profile", dispatch=False)
    ids = list(Delivery.objects.order_by("channel").values_list("id", flat=True))
    assert Delivery.objects.filter(state="pending").count() == 2

    worker = _worker(ids, settings, "started")
    assert held.wait(60), "the worker never reached the SMTP server"
    os.kill(worker.pid, signal.SIGKILL)  # dies mid-send: the claim is left behind
    worker.wait(10)
    release.set()
    states = dict(Delivery.objects.values_list("channel", "state"))
    assert states == {"email": "sending", "slack": "sending"}  # the batch was claimed

    # A retry inside the lease finds nothing to claim: it sends nothing.
    deliver.run(ids)
    assert mail_sink.messages == [] and slack.posts == []
    # After the lease, the sweeper gives the dead worker's claim to a new run.
    time.sleep(LEASE_S + 0.5)
    assert sweep_deliveries.run() == 2
    assert len(mail_sink.wait_for(1)) == 1
    assert len(slack.posts) == 1
    rows = {d.channel: d for d in Delivery.objects.all()}
    assert rows["email"].state == "sent" and rows["email"].attempts == 2
    assert rows["slack"].state == "sent" and rows["slack"].attempts == 2
    # And nothing more, however often the task or the sweeper runs again.
    deliver.run(ids)
    sweep_deliveries.run()
    time.sleep(0.3)
    assert len(mail_sink.messages) == 1 and len(slack.posts) == 1
