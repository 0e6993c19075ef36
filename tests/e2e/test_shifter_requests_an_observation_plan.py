"""alice requests a ZTF plan for MS181101ab from the event page; a real planning worker (its
own Celery process on the ``planning`` queue) runs gwemopt; the progress bar follows it; the
fields appear on the sky map; the CSV downloads."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time

import pytest

from planning.models import ObservationPlanRequest
from tests import child_process
from tests.conftest import REPO_ROOT
from tests.e2e.conftest import wait_until_true
from tests.planning import conftest as plan_fixtures
from tests.planning.conftest import NIGHT_END, NIGHT_START

# the real data of the plan tests: MS181101ab, ZTF and its grid, alice's allocation (alice
# and group A come from tests/people.py)
lvk_event, ztf, ztf_allocation = (
    plan_fixtures.lvk_event,
    plan_fixtures.ztf,
    plan_fixtures.ztf_allocation,
)

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def planning_worker():
    """A Celery worker on the planning queue, on the test database."""
    env = child_process.child_env()
    process = subprocess.Popen(
        [
            sys.executable, "-m", "celery", "-A", "icare_tom", "worker", "-Q", "planning",
            "--pool", "solo", "--loglevel", "INFO", "--hostname", f"e2e-planning-{os.getpid()}@%h",
        ],
        cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    yield process
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", f"pw-{username}")
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_it_requests_watches_draws_and_downloads_a_plan(
    new_page, live_server, artifacts, alice, lvk_event, ztf, ztf_allocation, planning_worker
):
    page = new_page()
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/gcn/events/{lvk_event.pk}/")
    panel = page.locator("[data-testid=observation-plans]")
    if panel.locator("details.plan-request[open]").count() == 0:
        panel.locator("summary").click()
    form = panel.locator("[data-testid=plan-form]")
    form.locator("input[name=start]").fill(NIGHT_START.isoformat())
    form.locator("input[name=end]").fill(NIGHT_END.isoformat())
    form.locator("input[name=max_fields]").fill("4")
    form.locator("[data-testid=plan-submit]").click()
    page.wait_for_load_state()

    plan = ObservationPlanRequest.objects.get()
    bar = page.locator(f"progress[data-plan-id='{plan.pk}']")
    assert bar.count() == 1
    seen = {bar.get_attribute("value")}
    deadline = time.time() + 240
    while time.time() < deadline:
        if page.locator("[data-testid=planned-observations] tbody tr td").count() > 1:
            break
        progress = page.locator(f"progress[data-plan-id='{plan.pk}']")
        if progress.count():
            seen.add(progress.first.get_attribute("value"))
        page.wait_for_timeout(500)
    plan.refresh_from_db()
    assert plan.status == "complete", (plan.status, plan.error)
    assert "0" in seen  # the bar was shown before the plan was done
    page.wait_for_selector("[data-testid=plan-detail]")
    page.screenshot(path=str(artifacts / "observation_plan.png"), full_page=True)
    rows = page.locator("[data-testid=planned-observations] tbody tr")
    assert rows.count() == plan.planned_observations.count() > 0, page.locator(
        "[data-testid=observation-plans]"
    ).inner_text()

    wait_until_true(
        page, "(document.getElementById('skymap').data || []).some(t => t.name === 'ZTF fields')"
    )
    names = page.evaluate("() => document.getElementById('skymap').data.map(t => t.name)")
    assert "ZTF fields" in names and "RA/Dec" in names
    assert "We plan to observe" in page.locator("[data-testid=circular]").inner_text()
    page.screenshot(path=str(artifacts / "observation_plan.png"), full_page=True)

    with page.expect_download() as download:
        page.click("[data-testid=download-csv]")
    path = download.value.path()
    with open(path, newline="") as fh:
        table = list(csv.DictReader(fh))
    assert len(table) == rows.count()
    assert {"field_id", "ra", "dec", "filter", "obstime", "airmass"} <= set(table[0])
