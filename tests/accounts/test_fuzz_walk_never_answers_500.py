"""Every URL pattern of the resolver (ours, TOM Toolkit's, those added later by any app),
fuzzed: NUL bytes, huge integers, NaN/Infinity/1e999, impossible dates and bytes that are
not UTF-8 in every path segment, and in the common query parameters (cursors carrying such
values too). Nothing may answer 500: a bad input is a 400 or a 404.

Patterns are walked once (``walk``); requests share one handler (``client_for``). CI runs a
short mode: each path segment and each parameter gets ``SHORT`` of the values, a different
slice for each pattern and parameter (so every value is used across the walk); set
``ICARE_FUZZ=full`` for every value everywhere.
"""

from __future__ import annotations

import base64
import json
import os
import time
import zlib

import pytest
from django.http import QueryDict

from tests.accounts.attack import client_for
from tests.accounts.url_walk import build_url, walk

PATH_VALUES = [
    "%00",
    "a%00b",
    "99999999999999999999999",
    "9223372036854775808",
    "-1",
    "NaN",
    "Infinity",
    "1e999",
    "2024-13-45T99:99:99",
    "%C2%B2",
    "%FF%FE",
]


def _cursor(value) -> str:
    raw = json.dumps(value, allow_nan=True).replace("Infinity", "1e999").encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


# Refused by the validation layer for the whole request, whatever the parameter: each is
# sent once per pattern (in every parameter), not mixed with the others.
LAYER_QUERY_VALUES = ["%00", "%FF", "a%01b"]
QUERY_VALUES = [
    "99999999999999999999999",
    "9223372036854775808",
    "-9223372036854775809",
    "NaN",
    "Infinity",
    "-Infinity",
    "1e999",
    "2024-13-45",
    "2024-13-45T99:99:99Z",
    "%C2%B2",
]
# What a keyset cursor may be made to carry (for parameters named like a cursor).
CURSOR_VALUES = [
    _cursor([float("nan"), 1]),
    _cursor([float("inf"), 1]),
    _cursor(["2024-13-45T00:00:00+00:00", 1]),
    _cursor(["x", 99999999999999999999]),
    _cursor([None, -1]),
    _cursor({"a": 1}),
]
# Pagination parameters are checked by the validation layer (a bad one refuses the whole
# request), so they get their own requests.
PAGINATION = "limit=99999999999999999999999&offset=9223372036854775808&page=NaN&page_size=1e999"
# A page slower than this (TOM's target page: several seconds) gets only the first values.
SLOW_S, SLOW_VALUES = 1.0, 2
FULL = os.environ.get("ICARE_FUZZ") == "full"
SHORT = 3


def _some(values: list[str], seed: str, limit: int | None = None) -> list[str]:
    """All values (full mode), else ``SHORT`` of them starting at a place fixed by ``seed``."""
    count = len(values) if FULL else min(SHORT, len(values))
    if limit is not None:
        count = min(count, limit)
    start = 0 if FULL else zlib.crc32(seed.encode()) % len(values)
    return [values[(start + i) % len(values)] for i in range(count)]


# Parameters read by middleware on every request: fuzzed once per pattern, not per key.
EVERYWHERE = {"target_id"}
# Django's admin reads no parameter before its staff check; the API schema is generated
# anew for each request (about 1 s) and reads only drf-spectacular's own parameters.
SKIP_QUERY_FUZZ = ("admin/", "api/schema/")


def _is_event_stream(response) -> bool:
    return response.headers.get("Content-Type", "").startswith("text/event-stream")


def _get(client, url):
    response = client.get(url)
    if getattr(response, "streaming", False) and not _is_event_stream(response):
        b"".join(response.streaming_content)
    return response.status_code


def _parameters_read(client, patterns, good) -> dict[str, tuple[set[str], float]]:
    """URL → the query parameters its view reads on a plain GET (recorded on QueryDict), so
    each can be fuzzed alone: mixing hostile values in one request lets the first refused
    parameter hide what the others would do; and how long that GET took (seconds)."""
    read: set = set()
    methods = {name: getattr(QueryDict, name) for name in ("__getitem__", "get", "getlist")}

    def recording(original):
        def method(self, key, *args, **kwargs):
            read.add(key)
            return original(self, key, *args, **kwargs)

        return method

    found: dict[str, tuple[set[str], float]] = {}
    try:
        for name, original in methods.items():
            setattr(QueryDict, name, recording(original))
        for pattern in patterns:
            if pattern.regex.startswith(SKIP_QUERY_FUZZ):
                continue
            url = build_url(pattern, good)
            if url is None:
                continue
            read.clear()
            started = time.monotonic()
            _get(client, url)
            found[url] = ({key for key in read if isinstance(key, str)}, time.monotonic() - started)
    finally:
        for name, original in methods.items():
            setattr(QueryDict, name, original)
    return found


@pytest.mark.django_db
def test_it_answers_no_500_to_hostile_path_segments_and_parameters(alice, superadmin, target_a):
    started = time.monotonic()
    patterns = walk()
    member, admin = client_for(alice), client_for(superadmin)
    failures, requests = [], 0
    for pattern in patterns:
        if "(?P<" not in pattern.regex and "(" not in pattern.regex:
            continue
        client = admin if pattern.regex.startswith("admin/") else member
        values = _some(PATH_VALUES, pattern.regex)
        for value in values:
            url = build_url(pattern, {"int": [value], "str": [value]})
            if url is None:
                continue
            requests += 1
            if _get(client, url) == 500:
                failures.append(f"GET {url} ({pattern.name}) → 500")
    good = {"int": [str(target_a.pk)], "str": [target_a.name], "by_param": {"format": ["json"]}}
    read = _parameters_read(member, patterns, good)
    for url, (keys, seconds) in read.items():
        queries = [
            f"{key}={value}"
            for key in sorted(keys - EVERYWHERE)
            for value in _some(
                CURSOR_VALUES if "cursor" in key else QUERY_VALUES,
                url + key,
                None if seconds < SLOW_S else SLOW_VALUES,
            )
        ]
        queries += ["&".join(f"{key}={value}" for key in keys) for value in LAYER_QUERY_VALUES]
        queries += [PAGINATION, "target_id=99999999999999999999999"]
        for query in queries:
            requests += 1
            if _get(member, f"{url}?{query}") == 500:
                failures.append(f"GET {url}?{query[:200]} → 500")
    elapsed = time.monotonic() - started
    mode = "full" if FULL else "short"
    print(f"fuzz walk ({mode}): {requests} requests, {len(patterns)} patterns, {elapsed:.1f} s")
    assert not failures, f"{len(failures)} answers were 500:\n" + "\n".join(failures[:80])
