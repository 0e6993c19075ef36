"""A hostile string in every rendered field comes back escaped on every page.

Group A's world (``hostile_world``: one object of every model whose text a page renders,
each free-text field hostile) is walked over every URL pattern of the resolver, as alice
(Full user of A) and as the super admin (admin pages, management forms). No HTML page may
carry a hostile value as markup, and no executable inline script may carry user text at
all, escaped or not (data goes through ``json_script``). Other bodies (JSON, CSV, text,
calendars) are data: they must be sent with ``nosniff`` so no browser renders them as HTML;
download names are quoted. Names handed to Plotly, which reads HTML in them, are escaped.
"""

from __future__ import annotations

import json
import re
import time
from urllib.parse import quote

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from tests.accounts.attack import HOSTILE_MARKERS, body_text, client_for
from tests.accounts.hostile_world import (
    HOSTILE_NAME,
    ID,
    SCRIPT_MARKERS,
    SHORT_MARKER,
    build,
)
from tests.accounts.url_walk import build_url, walk

MARKERS = (*HOSTILE_MARKERS, SHORT_MARKER)
# A download's name: one quoted string (quotes inside escaped), optionally its RFC 5987 form.
DISPOSITION = re.compile(r'^(attachment|inline); (filename="(?:[^"\\]|\\.)*"|filename\*=\S+)$')
INLINE_SCRIPT = re.compile(r"<script\b([^>]*)>(.*?)</script\s*>", re.S | re.I)


@pytest.fixture
def group_a(db):
    """Group A under the id every object of the world shares."""
    return Group.objects.create(pk=ID, name="GRANDMA-A")


@pytest.fixture
def world(group_a, alice):
    return build(group_a, alice)


def _urls(world) -> list[str]:
    """Every pattern of the resolver filled with the world's id and names, plus the query
    strings that open more of a page."""
    candidates = {
        "int": [str(ID)],
        "str": [quote(HOSTILE_NAME, safe="")],
        "by_param": {
            "token": [world["link"].token],
            "format": ["json", ".json"],
            "fmt": ["txt"],
            "kind": ["csv"],
            "app_label": ["sources"],
        },
    }
    urls = [url for pattern in walk() if (url := build_url(pattern, candidates)) is not None]
    event_page = reverse("gcn:event", args=[ID])
    source_page = reverse("sources:source", args=[HOSTILE_NAME])
    urls += [
        f"{event_page}?plan={ID}",
        f"{source_page}?rejected=1",
        reverse("facilities:request", args=[world["slashed_request"].pk]),
        reverse("shifts:summary-download", args=[ID, "json"]),
        reverse("planning:download", args=[ID, "json"]),
        reverse("planning:download", args=[ID, "queue"]),
        reverse("gcn:circular-compose", args=[ID]) + f"?group={ID}",
        reverse("sources:candidates") + "?saved=all&show_rejected=on",
    ]
    return urls


def _problems(url: str, response, text: str) -> list[str]:
    disposition = response.headers.get("Content-Disposition")
    if disposition and not DISPOSITION.match(disposition):
        return [f"{url}: Content-Disposition not quoted: {disposition}"]
    content_type = response.headers.get("Content-Type", "")
    if not content_type.startswith("text/html"):
        if any(marker in text for marker in MARKERS) and (
            response.headers.get("X-Content-Type-Options") != "nosniff"
        ):
            return [f"{url}: {content_type} body without nosniff carries hostile text"]
        return []
    found = [f"{url}: unescaped {m!r}" for m in MARKERS if m in text]
    for attributes, code in INLINE_SCRIPT.findall(text):
        if "src=" in attributes or "application/json" in attributes:
            continue
        if any(marker in code for marker in SCRIPT_MARKERS):
            found.append(f"{url}: user text in an inline script")
    return found


# Labelled fields no page shows to alice or the super admin (nor the admin site), and why.
# The test fails when one starts being shown (remove it here) or a new one is not shown.
NOT_RENDERED = {
    "facilities.Telescope.source": "provenance of the values, kept for the record",
    "notifications.Delivery.address": "where a message went (the log shows the notice)",
    "notifications.Delivery.key": "idempotency key",
    "notifications.Delivery.subject": "the log shows the notice's text instead",
    "notifications.Delivery.text": "the log shows the notice's text instead",
    "notifications.Notification.dedupe_key": "idempotency key",
    "shifts.ShiftSeries.name": "each shift of a series carries its own name",
}


@pytest.mark.django_db
def test_it_escapes_hostile_text_of_every_model_on_every_page(world, alice, superadmin):
    started = time.monotonic()
    urls = _urls(world)
    failures: list[str] = []
    seen: set[str] = set()
    requests = 0
    for who, user in (("alice", alice), ("super admin", superadmin)):
        client = client_for(user)
        for url in urls:
            response = client.get(url)
            requests += 1
            if response.status_code == 500:
                failures.append(f"{url} as {who}: 500")
            text = body_text(response)
            failures += [f"{problem} (as {who})" for problem in _problems(url, response, text)]
            seen |= {label for label in world["filled"] - seen if label in text}
    elapsed = time.monotonic() - started
    print(
        f"hostile walk: {len(urls)} URLs as alice and the super admin ({requests} requests), "
        f"{len(seen)} of {len(world['filled'])} labelled fields shown, {elapsed:.1f} s"
    )
    assert not failures, f"{len(failures)} problems:\n" + "\n".join(failures)
    unseen = world["filled"] - seen
    assert unseen == set(NOT_RENDERED), (
        f"update NOT_RENDERED: never shown {sorted(unseen - set(NOT_RENDERED))}, "
        f"now shown {sorted(set(NOT_RENDERED) - unseen)}"
    )


def _data_island(html: str, element_id: str):
    found = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', html)
    assert found, f"no {element_id} on the page"
    return json.loads(found.group(1))


@pytest.mark.django_db
def test_it_gives_plotly_hostile_names_as_text(world, alice):
    """Plotly reads HTML in names, titles and hover texts (links, styles): hostile names
    reach it escaped, so a plot shows them as written instead of as a link."""
    client = client_for(alice)
    source = client.get(reverse("sources:source", args=[HOSTILE_NAME])).content.decode()
    spectra = _data_island(source, "spectra-data")
    airmass = _data_island(source, "airmass-data")
    event = client.get(reverse("gcn:event", args=[ID]) + f"?plan={ID}").content.decode()
    figure = _data_island(event, "skymap-figure")
    fields = _data_island(event, "plan-fields")
    texts = [s["label"] for s in spectra] + [s["flux_units"] for s in spectra]
    texts += [c["telescope"] for c in airmass] + [figure["layout"]["title"]["text"]]
    texts += [f["instrument"] for f in fields] + [b for f in fields for b in f["filters"]]
    texts += [text for trace in figure["data"] for text in trace.get("text") or []]
    hostile = [text for text in texts if "<img" in text or "<x-h>" in text]
    assert not hostile, hostile
    assert any("&lt;img src=x onerror=alert(1)&gt;" in text for text in texts)
    assert sum("&lt;" in text for text in texts) >= 7
