"""A real browser: Debian's chromium driven by Playwright, against pytest-django's live server.

Chromium comes from the distribution (``make test`` installs it when it can); no browser is
downloaded. Every request that does not go to the live server is aborted, so no test reaches
the internet. Pages run under the site's real Content-Security-Policy (no ``bypass_csp``):
each violation is recorded (:func:`record_csp_violations`) and fails the test, so waits use
locators, which need no ``eval``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("ICARE_CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# Runs in every page before its own scripts: reports each CSP violation to the test.
CSP_RECORDER = """
document.addEventListener("securitypolicyviolation", (e) => {
  const where = `${e.sourceFile || e.documentURI}:${e.lineNumber}`;
  const what = e.blockedURI || "inline code";
  window.__icareCspViolation(`${e.effectiveDirective} refused ${what} in ${where} ${e.sample}`);
});
"""


def record_csp_violations(context, report) -> None:
    """Call ``report(text)`` for every Content-Security-Policy violation of ``context``'s pages."""
    context.expose_function("__icareCspViolation", report)
    context.add_init_script(CSP_RECORDER)


def wait_until_true(page, expression: str, timeout_ms: float = 30_000) -> None:
    """Poll ``page.evaluate(expression)`` until it is truthy (for what no locator can say,
    such as a Plotly figure's data: ``wait_for_function`` needs the ``eval`` the CSP forbids)."""
    deadline = time.monotonic() + timeout_ms / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_ms} ms waiting for {expression}")
        page.wait_for_timeout(100)


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(
            f"no chromium at {CHROMIUM}: `make test` installs Debian's chromium when run as root "
            "with apt-get; otherwise install it (or set ICARE_CHROMIUM) to run the browser tests"
        )
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    # Playwright's sync API runs an event loop in this thread; the ORM calls the test makes
    # between browser steps are still plain synchronous code.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def new_page(browser, live_server):
    """Pages of fresh browser contexts (one per user) that may only talk to the live server,
    under the site's CSP: a violation or an uncaught script error fails the test."""
    contexts = []
    problems: list[str] = []

    def open_page():
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        record_csp_violations(context, lambda text: problems.append(f"CSP: {text}"))
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(live_server.url)
                else route.abort()
            ),
        )
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    assert not problems, "\n".join(problems)


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS
