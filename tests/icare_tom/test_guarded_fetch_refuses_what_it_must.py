"""icare_tom.fetch: http(s) only, per-source host allow-list, private/loopback/link-local
addresses refused after DNS resolution and on every redirect, size and time limits."""

import functools
import http.server
import socket
import threading
import time

import pytest

from icare_tom import fetch

BIG = 300_000


class _Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        port = self.server.server_address[1]
        routes = {
            "/ok": (200, {}, b"SIMPLE  = T"),
            "/big": (200, {}, b"x" * BIG),
            "/to-loopback-2": (302, {"Location": f"http://127.0.0.2:{port}/ok"}, b""),
            "/to-metadata": (302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""),
            "/to-elsewhere": (302, {"Location": "https://evil.example/x"}, b""),
            "/to-ok": (302, {"Location": "/ok"}, b""),
            "/loop": (302, {"Location": "/loop"}, b""),
            "/missing": (404, {}, b'{"detail": "no such request"}'),
            "/to-other-origin": (302, {"Location": self.headers.get("X-Other", "")}, b""),
            "/to-same-origin": (302, {"Location": "/echo"}, b""),
            "/echo": (200, {}, (self.headers.get("Authorization") or "-").encode()),
        }
        if self.path == "/slow":
            time.sleep(2)
        status, headers, body = routes.get(self.path, (200, {}, b"slow"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        if self.path != "/big":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server(settings):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]
    settings.FETCH_ALLOWED_HOSTS = {
        "test": [f"127.0.0.1:{port}", f"127.0.0.2:{port}", f"localhost:{port}", "169.254.*"],
        "other": ["gracedb.ligo.org"],
    }
    settings.FETCH_ALLOWED_NETWORKS = []
    yield f"http://127.0.0.1:{port}"
    httpd.shutdown()


def _refusal(url, **kwargs):
    kwargs = {"source": "test", "max_bytes": 100_000, "timeout_s": 5, **kwargs}
    with pytest.raises(fetch.FetchRefused) as caught:
        fetch.fetch(url, **kwargs)
    return caught.value.reason


def test_it_refuses_other_schemes_and_unlisted_hosts(server):
    assert _refusal("file:///etc/passwd") == "bad_url"
    assert _refusal("gopher://127.0.0.1:70/") == "bad_url"
    assert _refusal("http://user:pw@127.0.0.1/") == "bad_url"
    assert _refusal(server + "/ok", source="other") == "host_not_allowed"
    with pytest.raises(ValueError):
        fetch.fetch(server + "/ok", source="nobody", max_bytes=10)


def test_it_refuses_loopback_even_when_listed_and_after_dns(server):
    assert _refusal(server + "/ok") == "address_refused"
    port = server.rsplit(":", 1)[1]
    assert _refusal(f"http://localhost:{port}/ok") == "address_refused"  # resolved first
    assert _refusal("http://169.254.169.254/latest/meta-data/") == "address_refused"


def test_it_checks_every_redirect(server, settings):
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert fetch.fetch(server + "/ok", source="test", max_bytes=100) == b"SIMPLE  = T"
    assert fetch.fetch(server + "/to-ok", source="test", max_bytes=100) == b"SIMPLE  = T"
    assert _refusal(server + "/to-loopback-2") == "address_refused"
    assert _refusal(server + "/to-metadata") == "address_refused"
    assert _refusal(server + "/to-elsewhere") == "host_not_allowed"
    assert _refusal(server + "/loop") == "too_many_redirects"
    missing = pytest.raises(fetch.FetchRefused)
    with missing:
        fetch.fetch(server + "/missing", source="test", max_bytes=100)
    assert missing.excinfo.value.status == 404 and missing.excinfo.value.permanent


def test_it_bounds_size_and_time(server, settings):
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    assert _refusal(server + "/big", max_bytes=BIG - 1) == "too_large"
    assert len(fetch.fetch(server + "/big", source="test", max_bytes=BIG)) == BIG
    started = time.monotonic()
    assert _refusal(server + "/slow", timeout_s=0.5) == "timeout"
    assert time.monotonic() - started < 1.5


def test_it_checks_urls_kept_for_later_without_fetching(settings):
    settings.FETCH_ALLOWED_HOSTS = {"gcn": ["*.ligo.org", "127.0.0.1"]}
    settings.FETCH_ALLOWED_NETWORKS = []
    fetch.check_url("https://gracedb.ligo.org/x.fits", "gcn", resolve_host=False)
    for url, reason in (
        ("http://127.0.0.1/admin/", "address_refused"),
        ("https://evil.example/x.fits", "host_not_allowed"),
        ("ftp://gracedb.ligo.org/x", "bad_url"),
    ):
        with pytest.raises(fetch.FetchRefused) as caught:
            fetch.check_url(url, "gcn", resolve_host=False)
        assert caught.value.reason == reason


def test_it_keeps_an_error_answer_explanation_for_the_caller(server, settings):
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    with pytest.raises(fetch.FetchRefused) as caught:
        fetch.fetch(server + "/missing", source="test", max_bytes=100)
    assert caught.value.body == b'{"detail": "no such request"}'


def test_it_sends_credentials_only_to_the_origin_they_were_given_for(server, settings):
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    threading.Thread(target=other.serve_forever, daemon=True).start()
    other_origin = f"127.0.0.1:{other.server_address[1]}"
    settings.FETCH_ALLOWED_HOSTS = {"test": [server.removeprefix("http://"), other_origin]}
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    headers = {"Authorization": "Token secret", "X-Other": f"http://{other_origin}/echo"}
    get = functools.partial(fetch.fetch, source="test", max_bytes=100, headers=headers)
    try:
        assert get(server + "/to-same-origin") == b"Token secret"
        assert get(server + "/to-other-origin") == b"-"
    finally:
        other.shutdown()


def test_it_tells_a_refused_connection_from_a_timeout(settings):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused at once
    port = closed.getsockname()[1]
    settings.FETCH_ALLOWED_HOSTS = {"test": [f"127.0.0.1:{port}"]}
    settings.FETCH_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    try:
        assert _refusal(f"http://127.0.0.1:{port}/") == "unreachable"
    finally:
        closed.close()
