"""Every page of the site's navigation, walked in a real browser with every request that
leaves the server blocked, as a full user (alice) and a View-only member (victor) of the
same group, under the site's real Content-Security-Policy: no CSP violation, no console or
script error, no failed request, nothing wider than a 1440 px screen.

The pages come from the navigation itself (the top bar and the user menu as rendered), so
a section another app registers later is walked too; from each section the first link to a
page under it (a detail page) is followed, and a source page is opened from the queue.
Screenshots go to ``artifacts/nav-<user>-<page>.png``.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from accounts import acl, services
from tests.e2e.conftest import record_csp_violations

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PASSWORD = "night-shift-2026"
SCREEN_WIDTH = 1440
GCN_SAMPLES = ("lvk/MS181101ab-preliminary.json", "gcn/voevent/GRB180116A_Fermi_GBM_Gnd_Pos.xml")


class Watch:
    """Problems a page shows: CSP violations, console errors, uncaught exceptions, failed
    requests (every request to another host fails: it is aborted), HTTP errors."""

    def __init__(self, context, page, base_url: str):
        self.base_url = base_url
        self.problems: list[str] = []
        self.where = ""
        record_csp_violations(
            context, lambda text: self.problems.append(f"{self.where}: CSP: {text}")
        )
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.problems.append(f"{self.where}: {error}"))
        page.on("requestfailed", self._failed)
        page.on("response", self._response)

    def _console(self, message):
        if message.type == "error":
            self.problems.append(f"{self.where}: console: {message.text}")

    def _failed(self, request):
        ours = request.url.startswith(self.base_url)
        # Leaving a page cancels its open streams (live queue, bell) and pending images.
        if ours and "ERR_ABORTED" in (request.failure or ""):
            return
        self.problems.append(f"{self.where}: request failed: {request.url} {request.failure}")

    def _response(self, response):
        if response.status >= 400:
            self.problems.append(f"{self.where}: HTTP {response.status} {response.url}")


def open_page(browser, base_url: str):
    context = browser.new_context(viewport={"width": SCREEN_WIDTH, "height": 900})
    context.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(base_url) else route.abort()
        ),
    )
    return context, context.new_page()


def log_in(page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.fill("#id_login", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def navigation_links(page) -> list[tuple[str, str]]:
    """(label, path) of the top bar's sections and the user menu's entries."""
    links = page.eval_on_selector_all(
        "nav.topbar a.nav-item, .user-menu .menu a",
        "els => els.map(a => [a.textContent.trim(), a.getAttribute('href')])",
    )
    return [(label, href) for label, href in links if href and href.startswith("/")]


def first_link_under(page, section: str) -> str | None:
    """The first link in the page's content to a page under ``section`` (a detail page)."""
    hrefs = page.eval_on_selector_all(
        "main a[href^='/']", "els => els.map(a => a.getAttribute('href'))"
    )
    for href in hrefs:
        path = urlsplit(href).path
        if path.startswith(section) and path.rstrip("/") != section.rstrip("/"):
            return href
    return None


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", path).strip("-") or "home"


def visit(page, watch: Watch, base_url: str, path: str, shots, username: str) -> None:
    watch.where = f"{username} {path}"
    response = page.goto(f"{base_url}{path}")
    assert response is not None and response.status < 400, (path, response and response.status)
    page.wait_for_load_state("load")
    if urlsplit(path).path == "/api/docs/":
        # Swagger UI starts from a script of its own (no inline script) and draws the schema.
        page.locator("#swagger-ui .info .title").wait_for(timeout=30_000)
    # Plots draw after load; give scripts a moment to fail if they are going to.
    page.wait_for_timeout(400)
    width = page.evaluate("document.documentElement.scrollWidth")
    if width > SCREEN_WIDTH:
        watch.problems.append(f"{watch.where}: page is {width} px wide")
    page.screenshot(path=str(shots / f"nav-{username}-{slug(path)}.png"), full_page=False)


@pytest.fixture
def site(shared_data):
    """Real Fink alerts for GRANDMA-A, real GCN notices, alice (Full user) and victor (View
    only) in GRANDMA-A."""
    from gcn import services as gcn_services

    ztf = sorted((shared_data / "fink" / "ztf").glob("*.avro"))
    lsst = sorted((shared_data / "fink" / "lsst").glob("*.avro"))
    call_command("ingest_alerts", "--survey", "ztf", *map(str, ztf), "--group", "GRANDMA-A")
    call_command("ingest_alerts", "--survey", "lsst", *map(str, lsst), "--group", "GRANDMA-A")
    for rel in GCN_SAMPLES:
        gcn_services.ingest_bytes((shared_data / rel).read_bytes(), origin=rel)
    group = Group.objects.get(name="GRANDMA-A")
    for username, role in (("alice", acl.FULL_USER), ("victor", acl.VIEW_ONLY)):
        user = User.objects.create_user(username, password=PASSWORD)
        services.set_only_role(user, role)
        user.groups.add(group)


def test_it_walks_every_page_of_the_navigation_offline(browser, live_server, site, artifacts):
    base = live_server.url
    walked: dict[str, list[str]] = {}
    problems: list[str] = []
    for username in ("alice", "victor"):
        context, page = open_page(browser, base)
        watch = Watch(context, page, base)
        log_in(page, base, username)
        page.goto(f"{base}/")
        sections = navigation_links(page)
        labels = [label for label, _ in sections]
        assert {"Candidates", "Sources", "GCN events", "Groups", "Profile"} <= set(labels)
        paths: list[str] = []
        for _, href in sections:
            path = href.split("#")[0]
            if path in paths:
                continue
            paths.append(path)
            visit(page, watch, base, path, artifacts, username)
            detail = first_link_under(page, urlsplit(path).path)
            if detail and detail not in paths:
                paths.append(detail)
                visit(page, watch, base, detail, artifacts, username)
        # A source page, opened from the queue (all time: the samples are months old).
        visit(page, watch, base, "/candidates/?window=all", artifacts, username)
        source = page.get_attribute("#cards .card .open-source", "href")
        assert source
        visit(page, watch, base, source, artifacts, username)
        paths.append(source)
        if username == "victor":
            # View only: no form he may not use (save, reject, classify, comment, tag).
            assert page.locator("form[action$='/save/'], form[action$='/reject/']").count() == 0
            assert (
                page.locator("form[action$='/classify/'], form[action$='/comment/']").count() == 0
            )
            assert page.locator("form[action$='/tag/']").count() == 0
            assert "view only" in page.locator(".actions").first.inner_text()
        walked[username] = paths
        problems += watch.problems
        context.close()
    assert not problems, "\n".join(problems)
    assert len(walked["alice"]) >= 8
