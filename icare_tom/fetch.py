"""The one guarded way to make an outbound HTTP request.

Every request to another host (sky maps from GraceDB/GCN, Fink's API, facility APIs,
Slack webhooks) goes through :func:`fetch`:

- http and https only;
- the host must be on the allow-list of the request's *source*
  (``settings.FETCH_ALLOWED_HOSTS``: source → host patterns such as ``gracedb.ligo.org`` or
  ``*.ligo.org``; a pattern may carry a port, ``127.0.0.1:8125``);
- the host name is resolved once and every address it resolves to must be public: loopback,
  private, link-local (cloud metadata), multicast, reserved and unspecified addresses are
  refused, unless inside ``settings.FETCH_ALLOWED_NETWORKS`` (empty by default; tests name
  their local server's address there). The connection goes to the address that was
  checked (no second lookup an attacker's DNS could answer differently), with the host name
  kept for the Host header, TLS SNI and certificate checks;
- redirects are followed by hand (at most ``MAX_REDIRECTS``), each hop checked like the
  first; credentials (``Authorization``, ``Cookie``) are not sent on to another origin;
- the body is read in chunks and refused as soon as it exceeds ``max_bytes`` (before
  reading when Content-Length says so); the whole exchange must finish in ``timeout_s``.

A refusal raises :class:`FetchRefused` with a short ``reason`` code and a ``detail`` for
admins (stored with the object that needed the fetch); users are shown
:data:`GENERIC_MESSAGE` only, so the distinct errors never let them map the network. An error
status keeps the first :data:`ERROR_BODY_BYTES` of the answer (``body``), for callers whose
remote end explains its refusals there (a facility API rejecting a request).
"""

from __future__ import annotations

import fnmatch
import ipaddress
import socket
import time
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import urllib3
from django.conf import settings

GENERIC_MESSAGE = "the remote resource could not be fetched"
MAX_REDIRECTS = 5
DEFAULT_TIMEOUT_S = 30.0
CHUNK_BYTES = 1 << 16
REDIRECT_STATUSES = {301, 302, 303, 307, 308}
ERROR_BODY_BYTES = 4096
EXPLANATION_CHARS = 500
CREDENTIAL_HEADERS = {"authorization", "cookie", "proxy-authorization"}

REASONS = {
    "bad_url": "not an http(s) URL with a host",
    "host_not_allowed": "host not on the allow-list of this source",
    "address_refused": "the host resolves to a private, loopback or link-local address",
    "unresolvable": "the host name does not resolve",
    "too_large": "the answer exceeds the size limit",
    "timeout": "no complete answer within the time limit",
    "too_many_redirects": "too many redirects",
    "http_error": "the server answered with an error status",
    "unreachable": "the connection failed",
}


class FetchRefused(Exception):
    """A refused or failed fetch: ``reason`` (a key of :data:`REASONS`) and ``detail``
    (URL, address, status: for admins only; show users :data:`GENERIC_MESSAGE`)."""

    def __init__(self, reason: str, detail: str = "", status: int | None = None, body: bytes = b""):
        assert reason in REASONS, reason
        self.reason = reason
        self.detail = detail
        self.status = status
        self.body = body
        super().__init__(f"{reason}: {detail}" if detail else reason)

    @property
    def permanent(self) -> bool:
        """Retrying cannot help (refused by policy, or a 4xx answer)."""
        if self.reason == "http_error":
            return self.status is not None and 400 <= self.status < 500
        return self.reason not in ("timeout", "unreachable", "unresolvable")


def explain(refused: FetchRefused, *, remote: str, source: str, timeout_s: float) -> str:
    """A refusal told to the person whose action needed the fetch (a follow-up request, a data
    service query): the remote end's own explanation of an error status, the time limit, or a
    short reason. Addresses and other network detail stay in ``refused.detail``, for the log."""
    if refused.reason == "http_error":
        explanation = refused.body.decode("utf-8", "replace")[:EXPLANATION_CHARS]
        return f"{remote} answered {refused.status}: {explanation}".rstrip(": ")
    if refused.reason == "timeout":
        return f"{remote} did not answer within {timeout_s:g} s"
    if refused.reason == "too_large":
        return f"the answer of {remote} is too large"
    if refused.reason == "host_not_allowed":
        return (
            f"the host of {remote} is not on the allow-list "
            f"(FETCH_ALLOWED_HOSTS_{source.upper()}); a site admin can add it"
        )
    if refused.reason == "too_many_redirects":
        return f"{remote} redirected too many times"
    return f"{remote} could not be reached"


@dataclass(frozen=True)
class Target:
    scheme: str
    host: str
    port: int
    path: str  # path and query, as sent


def _allowed_hosts(source: str) -> list[str]:
    table = getattr(settings, "FETCH_ALLOWED_HOSTS", {}) or {}
    if source not in table:
        raise ValueError(f"no allow-list for outbound source {source!r}; known: {sorted(table)}")
    return [str(pattern).lower() for pattern in table[source]]


def _allowed_networks() -> list[ipaddress._BaseNetwork]:
    return [
        ipaddress.ip_network(net, strict=False)
        for net in getattr(settings, "FETCH_ALLOWED_NETWORKS", []) or []
    ]


def parse(url: str) -> Target:
    """Split an absolute http(s) URL, refusing anything else (credentials in it too)."""
    if not isinstance(url, str) or len(url) > 4096 or any(c in url for c in "\x00\r\n\t "):
        raise FetchRefused("bad_url", repr(url)[:300])
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchRefused("bad_url", url[:300])
    if parts.username or parts.password:
        raise FetchRefused("bad_url", "credentials in the URL")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchRefused("bad_url", url[:300]) from None
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return Target(parts.scheme, parts.hostname.lower().rstrip("."), port, path)


def _split_pattern(pattern: str) -> tuple[str, str]:
    """``host``, ``host:port``, ``[v6]`` or ``[v6]:port`` → (host pattern, port or "")."""
    if pattern.startswith("["):
        host, _, rest = pattern[1:].partition("]")
        return host, rest.removeprefix(":")
    if pattern.count(":") == 1:
        host, _, port = pattern.partition(":")
        return host, port
    return pattern, ""


def host_allowed(target: Target, patterns: Iterable[str]) -> bool:
    for pattern in patterns:
        host_pattern, port = _split_pattern(pattern)
        if port and str(target.port) != port:
            continue
        if fnmatch.fnmatchcase(target.host, host_pattern):
            return True
    return False


def public_address(address: str, allowed_networks=None) -> bool:
    """Whether ``address`` may be connected to: globally routable, or explicitly allowed."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for network in _allowed_networks() if allowed_networks is None else allowed_networks:
        if ip.version == network.version and ip in network:
            return True
    return ip.is_global and not ip.is_multicast


def resolve(target: Target) -> str:
    """The address to connect to: every address of the host must be acceptable."""
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise FetchRefused("unresolvable", f"{target.host}: {error}") from None
    addresses = sorted({info[4][0] for info in infos})
    if not addresses:
        raise FetchRefused("unresolvable", target.host)
    networks = _allowed_networks()
    refused = [a for a in addresses if not public_address(a, networks)]
    if refused:
        raise FetchRefused("address_refused", f"{target.host} → {', '.join(refused)}")
    return addresses[0]


def check_url(url: str, source: str, resolve_host: bool = True) -> Target:
    """Refuse a URL before any request: scheme, allow-list, an address literal that is not
    public, and (``resolve_host``) the addresses its host name resolves to now. Used where
    a URL is accepted for later (a notice's sky-map URL, a webhook being saved)."""
    target = parse(url)
    if not host_allowed(target, _allowed_hosts(source)):
        raise FetchRefused("host_not_allowed", f"{target.host}:{target.port} for {source}")
    try:
        literal = ipaddress.ip_address(target.host)
    except ValueError:
        literal = None
    if literal is not None and not public_address(str(literal)):
        raise FetchRefused("address_refused", target.host)
    if resolve_host:
        resolve(target)
    return target


def _pool(target: Target, address: str, timeout: urllib3.Timeout):
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            retries=False,
            maxsize=1,
            server_hostname=target.host,
            assert_hostname=target.host,
            cert_reqs="CERT_REQUIRED",
        )
    return urllib3.HTTPConnectionPool(
        address, target.port, timeout=timeout, retries=False, maxsize=1
    )


def fetch(
    url: str,
    *,
    source: str,
    max_bytes: int,
    timeout_s: float = DEFAULT_TIMEOUT_S,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> bytes:
    """The body of ``url`` (at most ``max_bytes``), fetched under the rules above.

    ``source`` names the allow-list (a key of ``settings.FETCH_ALLOWED_HOSTS``). A redirect
    turns a POST into a GET only for 301/302/303, as browsers do. Raises
    :class:`FetchRefused`; never returns an error page's body.
    """
    patterns = _allowed_hosts(source)
    deadline = time.monotonic() + timeout_s
    headers = dict(headers or {})
    origin = None
    for _hop in range(MAX_REDIRECTS + 1):
        target = parse(url)
        if origin is None:
            origin = (target.scheme, target.host, target.port)
        elif (target.scheme, target.host, target.port) != origin:
            headers = {k: v for k, v in headers.items() if k.lower() not in CREDENTIAL_HEADERS}
        if not host_allowed(target, patterns):
            raise FetchRefused("host_not_allowed", f"{target.host}:{target.port} for {source}")
        address = resolve(target)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchRefused("timeout", url[:300])
        timeout = urllib3.Timeout(connect=min(remaining, 10.0), read=remaining)
        default_port = 443 if target.scheme == "https" else 80
        host_header = target.host if target.port == default_port else f"{target.host}:{target.port}"
        sent_headers = {"Host": host_header, "User-Agent": "ICARE-TOM", **headers}
        pool = _pool(target, address, timeout)
        try:
            response = pool.urlopen(
                method,
                target.path,
                body=body,
                headers=sent_headers,
                redirect=False,
                preload_content=False,
                assert_same_host=False,
            )
        except urllib3.exceptions.NewConnectionError as error:
            # before TimeoutError: urllib3 derives a refused connection from a connect timeout
            raise FetchRefused("unreachable", f"{url[:300]}: {error}") from None
        except urllib3.exceptions.TimeoutError as error:
            raise FetchRefused("timeout", f"{url[:300]}: {error}") from None
        except (urllib3.exceptions.HTTPError, OSError) as error:
            raise FetchRefused("unreachable", f"{url[:300]}: {error}") from None
        try:
            if response.status in REDIRECT_STATUSES:
                location = response.headers.get("Location")
                if not location:
                    raise FetchRefused("http_error", f"{response.status} without Location")
                url = urljoin(url, location)
                if response.status in (301, 302, 303) and method != "HEAD":
                    method, body = "GET", None
                continue
            if not 200 <= response.status < 300:
                raise FetchRefused(
                    "http_error",
                    f"{response.status} from {url[:300]}",
                    status=response.status,
                    body=_error_body(response),
                )
            return _read_bounded(response, url, max_bytes, deadline)
        finally:
            response.release_conn()
            pool.close()
    raise FetchRefused("too_many_redirects", url[:300])


def _error_body(response) -> bytes:
    """The start of an error answer; empty when it cannot be read (the status is enough)."""
    try:
        return response.read(ERROR_BODY_BYTES, decode_content=True) or b""
    except (urllib3.exceptions.HTTPError, OSError):
        return b""


def _read_bounded(response, url: str, max_bytes: int, deadline: float) -> bytes:
    declared = response.headers.get("Content-Length")
    if declared is not None and declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused("too_large", f"{url[:300]} declares {declared} bytes > {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.stream(CHUNK_BYTES):
            size += len(chunk)
            if size > max_bytes:
                raise FetchRefused("too_large", f"{url[:300]} sends more than {max_bytes} bytes")
            if time.monotonic() > deadline:
                raise FetchRefused("timeout", f"{url[:300]} after {size} bytes")
            chunks.append(chunk)
    except urllib3.exceptions.TimeoutError as error:
        raise FetchRefused("timeout", f"{url[:300]}: {error}") from None
    except (urllib3.exceptions.HTTPError, OSError) as error:
        raise FetchRefused("unreachable", f"{url[:300]}: {error}") from None
    return b"".join(chunks)
