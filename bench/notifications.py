"""Notifications: one GCN event matching the profiles of 1,000 users.

Measured, against the budgets of DESIGN.md:

- in-app: every notice stored, after the event's notice is committed (budget 1 s);
- bell: the open bell of one of those users receives its new count, after the commit
  (budget 1 s);
- email: every message handed to a real SMTP server (aiosmtpd, in this process) by ONE
  Celery worker process (``--pool solo``), after the commit (budget 10 s).

Each user has a GCN profile (GW events with FAR < 1e-10 Hz) and wants ``gcn_event`` notices
in-app and by email. The event is the real LVK notice of the shared data
(``lvk/MS181101ab-preliminary.json``) stored through the GCN ingest service, so matching
runs where it runs in production (after the ingest transaction commits). Runs on a
scratch database ``<DATABASE NAME>_bench_notifications``.

    .venv/bin/python bench/notifications.py --short   # 1,000 users, one event (after a warm-up)
    .venv/bin/python bench/notifications.py           # 1,000 users, three events (median)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "icare_tom.settings")
from bench.benchdb import scratch_test_database, setup_django  # noqa: E402

BUDGET_IN_APP_S = 1.0
BUDGET_BELL_S = 1.0
BUDGET_EMAIL_S = 10.0
LVK = "lvk/MS181101ab-preliminary.json"


def _shared_data() -> Path:
    return Path(os.environ.get("ICARE_SHARED_DATA", REPO_ROOT.parent / "shared" / "data"))


def _users(n: int) -> list[int]:
    from django.contrib.auth import get_user_model

    from notifications.models import GcnProfile, Preference

    User = get_user_model()
    User.objects.filter(username__startswith="bench-n-").delete()
    users = User.objects.bulk_create(
        [User(username=f"bench-n-{i:05d}", email=f"bench-n-{i:05d}@example.org") for i in range(n)]
    )
    GcnProfile.objects.bulk_create(
        [
            GcnProfile(
                user=u, name="significant GW", tags=["GW"],
                properties=[{"name": "FAR", "op": "<", "value": 1e-10}],
            )
            for u in users
        ]
    )  # fmt: skip
    Preference.objects.bulk_create(
        [Preference(user=u, kind="gcn_event", channels=["in_app", "email"]) for u in users]
    )
    return [u.pk for u in users]


def _reset_events() -> None:
    from gcn.models import GcnEvent, GcnNotice
    from notifications.models import Delivery, Notification

    Delivery.objects.all().delete()
    Notification.objects.all().delete()
    GcnNotice.objects.all().delete()
    GcnEvent.objects.all().delete()


def _worker(database_url: str, email_url: str, redis_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": database_url, "EMAIL_URL": email_url,
           "REDIS_URL": redis_url, "PYTHONUNBUFFERED": "1"}  # fmt: skip
    env.pop("DATABASE_TEST_NAME", None)
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "icare_tom", "worker", "--pool", "solo",
         "--loglevel", "WARNING", "--hostname", f"bench-notifications-{os.getpid()}@%h"],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def _wait_for_worker(timeout_s: float = 120.0) -> None:
    from icare_tom.tasks import record_worker_heartbeat

    record_worker_heartbeat.apply_async().get(timeout=timeout_s)


def run_once(raw: bytes, user_ids: list[int], sink) -> dict[str, float]:
    """Store the event once; returns seconds from the commit to each milestone."""
    from django.db import transaction
    from django.db.models.signals import post_save

    from gcn import notify as gcn_notify
    from gcn import services
    from gcn.models import GcnNotice
    from notifications.live import bell_events
    from notifications.models import Notification

    _reset_events()
    sink.clear()
    marks: dict[str, float] = {}

    # A receiver connected before gcn's: its on-commit callback runs first, at the commit.
    def mark_commit(sender, instance, created, **kwargs):
        if created:
            transaction.on_commit(lambda: marks.setdefault("commit", time.perf_counter()))

    post_save.disconnect(gcn_notify.notice_saved, sender=GcnNotice, dispatch_uid="gcn-notify")
    post_save.connect(mark_commit, sender=GcnNotice, dispatch_uid="bench-mark")
    post_save.connect(gcn_notify.notice_saved, sender=GcnNotice, dispatch_uid="gcn-notify")

    from django.contrib.auth import get_user_model

    watcher = get_user_model().objects.get(pk=user_ids[-1])
    bell = bell_events(watcher, keepalive_s=0.2, max_lifetime_s=60)
    next(bell), next(bell)  # listening, initial count

    def watch_bell():
        for chunk in bell:
            if chunk.startswith("event: count"):
                marks["bell"] = time.perf_counter()
                return

    watching = threading.Thread(target=watch_bell, daemon=True)
    watching.start()
    try:
        services.ingest_bytes(raw, origin=LVK, filename_hint=LVK)
        marks["in_app"] = time.perf_counter()  # matching ran in the on-commit callback
        stored = Notification.objects.filter(kind="gcn_event").count()
        assert stored == len(user_ids), f"{stored} notices for {len(user_ids)} users"
        deadline = time.perf_counter() + 120
        while sink.count() < len(user_ids) and time.perf_counter() < deadline:
            time.sleep(0.01)
        marks["email"] = time.perf_counter()
        sent = sink.count()
        assert sent == len(user_ids), f"{sent} emails for {len(user_ids)} users"
        watching.join(5)
    finally:
        bell.close()
        post_save.disconnect(sender=GcnNotice, dispatch_uid="bench-mark")
    return {k: marks[k] - marks["commit"] for k in ("in_app", "bell", "email") if k in marks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--short", action="store_true", help="one event instead of three")
    parser.add_argument("--users", type=int, default=1000)
    args = parser.parse_args()
    raw_path = _shared_data() / LVK
    if not raw_path.is_file():
        print(f"skipped: {raw_path} not found (set ICARE_SHARED_DATA)")
        return 0

    setup_django()
    from django.conf import settings

    from icare_tom.celery import app
    from notifications.mailsink import MailSink

    database_url = scratch_test_database("bench_notifications")
    sink = MailSink().start()
    settings.EMAIL_URL = sink.url
    app.conf.task_always_eager = False
    user_ids = _users(args.users)
    worker = _worker(database_url, sink.url, settings.REDIS_URL)
    try:
        _wait_for_worker()
        run_once(raw_path.read_bytes(), user_ids, sink)  # warm-up, untimed (as a listener is)
        runs = [
            run_once(raw_path.read_bytes(), user_ids, sink) for _ in range(1 if args.short else 3)
        ]
    finally:
        from notifications.live import hub

        hub.stop()
        worker.terminate()
        worker.wait(30)
        sink.stop()

    def figure(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(
        f"{args.users} users' profiles matching one GCN event ({len(runs)} run(s) after a "
        f"warm-up, median; load average {load} on {os.cpu_count()} cores):"
    )
    rows = [
        ("in-app notices stored after the commit", figure("in_app"), BUDGET_IN_APP_S),
        ("an open bell updated after the commit", figure("bell"), BUDGET_BELL_S),
        ("emails handed to SMTP (one worker)", figure("email"), BUDGET_EMAIL_S),
    ]
    ok = True
    for label, seconds, budget in rows:
        verdict = "within" if seconds < budget else "OVER"
        ok = ok and seconds < budget
        print(f"  {label:<42} {seconds:7.3f} s   budget {budget:g} s: {verdict}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
