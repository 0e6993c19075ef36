"""A simulated telescope robot for the demo: it works the queues of the allocations whose
tokens it holds, over the public queue API, like a real robot would.

Each pending request is accepted at once, observed after ``--delay`` seconds, completed, and
answered with photometry in each requested filter and a spectrum (a smooth synthetic one)."""

from __future__ import annotations

import json
import math
import random
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
from django.core.management import BaseCommand

from facilities.management.commands.seed_followup_demo import tokens_file

MJD_UNIX_EPOCH = 40587.0


class Command(BaseCommand):
    help = "Work the demo queues: accept, observe, complete and return data for each request."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000")
        parser.add_argument("--tokens", default=None, help="JSON {allocation_id: token}")
        parser.add_argument("--delay", type=float, default=20.0, help="seconds to 'observe'")
        parser.add_argument("--poll", type=float, default=5.0, help="seconds between polls")
        parser.add_argument("--once", action="store_true", help="one pass, then stop")

    def handle(self, *args, url, tokens, delay, poll, once, **options):
        path = Path(tokens) if tokens else tokens_file()
        self.wait_for_site(url, timeout_s=120.0)
        accepted: dict[int, tuple[float, str, dict]] = {}
        while True:
            try:
                held = json.loads(path.read_text()) if path.exists() else {}
            except ValueError:
                held = {}
            for allocation_id, token in held.items():
                self.work(url.rstrip("/"), int(allocation_id), token, delay, accepted)
            if once:
                return
            time.sleep(poll)

    def wait_for_site(self, url: str, timeout_s: float) -> None:
        """Started beside the web server, the robot waits for it instead of failing its
        first polls (like a real robot waiting for its TOM to come back)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                if requests.get(f"{url.rstrip('/')}/health", timeout=5).status_code < 500:
                    return
            except requests.RequestException:
                pass
            time.sleep(1.0)
        self.stderr.write(f"robot: {url} did not answer within {timeout_s:g} s; polling anyway")

    def work(self, url, allocation_id, token, delay, accepted) -> None:
        session = requests.Session()
        session.headers["Authorization"] = f"Robot {token}"
        try:
            pending = session.get(
                f"{url}/api/facility_queue/{allocation_id}/requests?status=pending", timeout=10
            )
            if pending.status_code != 200:
                return
            for item in pending.json():
                self.patch(session, url, item["id"], "accepted", "robot: accepted, queued")
                accepted[item["id"]] = (time.monotonic(), token, item)
            for request_id, (since, held_token, item) in list(accepted.items()):
                if held_token != token or time.monotonic() - since < delay:
                    continue
                self.patch(session, url, request_id, "observing", "robot: observing")
                self.send_data(session, url, item)
                self.patch(session, url, request_id, "completed", "robot: done, data sent")
                del accepted[request_id]
        except requests.RequestException as exc:
            self.stderr.write(f"robot: {exc}")

    def patch(self, session, url, request_id, status, message) -> None:
        session.patch(
            f"{url}/api/facility_queue/requests/{request_id}",
            json={"status": status, "message": message},
            timeout=10,
        )
        self.stdout.write(f"robot: request {request_id} {status}")

    def send_data(self, session, url, item) -> None:
        now = datetime.now(UTC)
        mjd = now.timestamp() / 86400.0 + MJD_UNIX_EPOCH
        params = item["parameters"]
        points = [
            {
                "mjd": round(mjd + i * 0.002, 6),
                "filter": band,
                "mag": round(18.5 + random.uniform(-0.3, 0.3), 3),
                "magerr": 0.05,
            }
            for i, band in enumerate(params.get("filters", []))
        ]
        base = f"{url}/api/facility_queue/requests/{item['id']}"
        if points:
            session.post(f"{base}/photometry", json={"points": points}, timeout=10)
        waves = [3800 + 5 * i for i in range(1000)]
        temperature = 9000.0
        fluxes = [
            1e-16 * (5000 / w) ** 5 / (math.exp(1.4388e8 / (w * temperature)) - 1) * 30
            + random.gauss(0, 2e-19)
            for w in waves
        ]
        session.post(
            f"{base}/spectra",
            json={"observed_at": now.isoformat(), "wavelengths": waves, "fluxes": fluxes},
            timeout=10,
        )
