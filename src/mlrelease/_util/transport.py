"""The one HTTP transport under feeds, registries and token endpoints: :func:`send`.

Standard library only (``urllib`` + ``http.client``: proxies from ``HTTPS_PROXY`` / ``NO_PROXY``,
the system CA store and ``SSL_CERT_FILE``). Every request is bounded, whatever the server does:

- **http(s) only**: a ``file://``, ``ftp://`` or scheme-less URL is refused before any I/O; a
  redirect ``Location`` must be an absolute http(s) URL or an absolute path (``/x``), without
  control characters; at most :data:`MAX_REDIRECTS` hops, and only for GET/HEAD.
- **a wall-clock deadline** per request (connect, headers, body and redirects together), not only a
  per-read timeout: a watchdog shuts the socket down when it passes, so a server that drips one byte
  every few seconds fails at the deadline. ``MLRELEASE_HTTP_DEADLINE`` (seconds) overrides the
  defaults (:func:`read_deadline`, :func:`transfer_deadline`).
- **a size cap** per response body, read in chunks as it arrives (never whole): an answer over the
  cap fails cleanly.
- **credentials only to their origin**: ``credentials(url)`` is asked for each hop's headers; a
  redirect to another scheme, host or port gets what it returns for that URL (nothing).

Every failure is a :class:`TransportError` (a :class:`~mlrelease.errors.PublishError`) naming the
URL without credentials, with a hint; ``retryable`` says whether trying again can help.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import ssl
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from email.message import Message
from typing import Any
from urllib.parse import urljoin, urlsplit

from mlrelease import __version__
from mlrelease._util.redact import redact, url_without_credentials
from mlrelease.errors import PublishError

USER_AGENT = f"mlrelease/{__version__}"
CHUNK = 1024 * 1024
MIB = 1024 * 1024
INDEX_CAP = 64 * MIB  # a simple-index page, a tag list
MANIFEST_CAP = 4 * MIB  # a manifest, an image config, token JSON, an upload's answer
MAX_REDIRECTS = 10
READ_TIMEOUT = 60.0  # per socket operation, inside the deadline
_REDIRECTS = (301, 302, 303, 307, 308)
_HINT = "check the URL and the network (proxy, firewall, TLS CA via SSL_CERT_FILE)"

Credentials = Callable[[str], dict[str, str]]


class TransportError(PublishError):
    """The request did not produce a usable HTTP answer (refused, reset, TLS failure, deadline,
    too large, a refused URL or redirect). ``retryable``: a new attempt may succeed."""

    def __init__(self, url: str, reason: str, *, retryable: bool = True, hint: str = "") -> None:
        super().__init__(f"{url_without_credentials(url)}: {redact(reason)}", hint=hint or _HINT)
        self.url = url
        self.reason = redact(reason)
        self.retryable = retryable


def _env_deadline() -> float | None:
    raw = os.environ.get("MLRELEASE_HTTP_DEADLINE", "").strip()
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if value > 0 else None


def read_deadline() -> float:
    """Seconds for a small read (an index, a manifest, a token): 60, or MLRELEASE_HTTP_DEADLINE."""
    return _env_deadline() or 60.0


def transfer_deadline(nbytes: int = 0) -> float:
    """Seconds for an upload or download of ``nbytes``: at least 300, and never less than 1 MiB/s
    would need; MLRELEASE_HTTP_DEADLINE overrides it."""
    return _env_deadline() or max(300.0, 60.0 + nbytes / MIB)


@dataclass(frozen=True)
class Response:
    status: int
    url: str
    headers: Message
    body: bytes

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self, limit: int = 2000) -> str:
        """The body as text (shortened, redacted), for messages."""
        return redact(self.body[:limit].decode("utf-8", "replace")).strip()

    def header_dict(self) -> dict[str, str]:
        """The headers by lower-case name (the last of repeated ones)."""
        return {k.lower(): v for k, v in self.headers.items()}


def check_url(url: str) -> None:
    """Refuse anything but an absolute http(s) URL without control characters."""
    if any(ord(c) < 0x21 or ord(c) == 0x7F for c in url):
        raise TransportError(url, "the URL contains spaces or control characters", retryable=False)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise TransportError(
            url,
            f"refusing a {parts.scheme or 'relative'} URL: only http(s) URLs are followed",
            retryable=False,
            hint="the server sent an unusable URL; check the feed or registry",
        )


def resolve_location(current: str, location: str) -> str:
    """The URL a ``Location`` header names: an absolute http(s) URL or an absolute path."""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in location):
        raise TransportError(
            current, "the server answered a Location with control characters", retryable=False
        )
    loc = location.strip()
    if not (urlsplit(loc).scheme or loc.startswith("/")):
        raise TransportError(
            current,
            f"the server answered a relative Location {loc[:100]!r}; only absolute http(s) URLs "
            "and absolute paths are followed",
            retryable=False,
        )
    url = urljoin(current, loc)
    try:
        check_url(url)
    except TransportError:
        raise TransportError(
            current,
            f"the server answered a Location {loc[:100]!r}: only http(s) URLs are followed",
            retryable=False,
        ) from None
    return url


_contexts: dict[tuple[str, str], ssl.SSLContext] = {}
_contexts_lock = threading.Lock()


def _ssl_context() -> ssl.SSLContext:
    """The default verifying context, one per (SSL_CERT_FILE, SSL_CERT_DIR)."""
    key = (os.environ.get("SSL_CERT_FILE", ""), os.environ.get("SSL_CERT_DIR", ""))
    with _contexts_lock:
        if key not in _contexts:
            _contexts[key] = ssl.create_default_context()
        return _contexts[key]


class _Watchdog:
    """Shuts down every socket of one request when its deadline passes."""

    def __init__(self, seconds: float) -> None:
        self.end = time.monotonic() + seconds
        self.seconds = seconds
        self.expired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def __enter__(self) -> _Watchdog:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def remaining(self) -> float:
        return self.end - time.monotonic()

    def passed(self) -> bool:
        """The deadline passed (the watchdog fired, or is about to)."""
        return self.expired or self.remaining() <= 0

    def adopt(self, sock: socket.socket) -> socket.socket:
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                self._shutdown(sock)
        return sock

    def _fire(self) -> None:
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        # the plain socket's shutdown, also under TLS: wakes a blocked read in any thread
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def _opener(
    watch: _Watchdog, context: ssl.SSLContext | None = None
) -> urllib.request.OpenerDirector:
    """Proxies, http and https, nothing else: no file/ftp/data handlers, no automatic redirects,
    no error processing (every status comes back as a response)."""

    def connection(base: type[http.client.HTTPConnection]) -> Any:
        def make(*args: Any, **kwargs: Any) -> http.client.HTTPConnection:
            conn = base(*args, **kwargs)
            create = conn._create_connection  # type: ignore[attr-defined]
            conn._create_connection = lambda *a, **k: watch.adopt(create(*a, **k))  # type: ignore[attr-defined]
            return conn

        return make

    class Plain(urllib.request.HTTPHandler):
        def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(connection(http.client.HTTPConnection), req)

    class Secure(urllib.request.HTTPSHandler):
        def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
            return self.do_open(
                connection(http.client.HTTPSConnection), req, context=context or _ssl_context()
            )

    opener = urllib.request.OpenerDirector()
    for handler in (urllib.request.ProxyHandler(), Plain(), Secure()):
        opener.add_handler(handler)
    return opener


def _read_body(
    resp: http.client.HTTPResponse,
    url: str,
    watch: _Watchdog,
    max_bytes: int,
    sink: Callable[[bytes], None] | None,
) -> bytes:
    length = resp.getheader("Content-Length")
    if length and length.strip().isdigit() and int(length) > max_bytes:
        raise _too_large(url, max_bytes)
    body = bytearray()
    total = 0
    while chunk := resp.read1(CHUNK):
        total += len(chunk)
        if total > max_bytes:
            raise _too_large(url, max_bytes)
        if sink is None:
            body += chunk
        else:
            sink(chunk)
        if watch.passed():
            raise _late(url, watch)
    if watch.expired:  # the watchdog cut the body short
        raise _late(url, watch)
    if resp.length:  # Content-Length promised more than arrived
        raise TransportError(url, f"the answer ended {resp.length} bytes early (truncated body)")
    return bytes(body)


def _too_large(url: str, max_bytes: int) -> TransportError:
    return TransportError(
        url,
        f"the answer is larger than {max_bytes // MIB} MiB; refusing to read it",
        retryable=False,
        hint="the server sent far more than such an answer needs; check the URL",
    )


def _late(url: str, watch: _Watchdog) -> TransportError:
    return TransportError(
        url,
        f"no complete answer within {watch.seconds:g} s (deadline)",
        retryable=False,
        hint="the server is too slow or stalled; rerun later, or raise MLRELEASE_HTTP_DEADLINE",
    )


def _once(
    opener: urllib.request.OpenerDirector,
    watch: _Watchdog,
    *,
    method: str,
    url: str,
    headers: dict[str, str],
    body: Iterable[bytes] | bytes | None,
    max_bytes: int,
    sink: Callable[[bytes], None] | None,
    redirecting: bool,
) -> Response:
    req = urllib.request.Request(url, data=body, method=method)  # noqa: S310 - check_url: http(s)
    req.add_header("User-Agent", USER_AGENT)
    try:
        for key, value in headers.items():
            req.add_unredirected_header(key, value)
        # per socket operation; a little past the deadline, so the watchdog is what ends a stall
        timeout = max(0.1, min(READ_TIMEOUT, watch.remaining() + 1))
        with opener.open(req, timeout=timeout) as resp:
            status = int(resp.status)
            if method == "HEAD" or (
                redirecting and status in _REDIRECTS and resp.getheader("Location")
            ):
                return Response(status, url, resp.headers, b"")
            data = _read_body(resp, url, watch, max_bytes, None if status >= 300 else sink)
            return Response(status, url, resp.headers, data)
    except TransportError:
        raise
    except (urllib.error.URLError, OSError, http.client.HTTPException, ValueError) as exc:
        if watch.passed():
            raise _late(url, watch) from None
        reason = getattr(exc, "reason", None) or f"{type(exc).__name__}: {exc}"
        retryable = not isinstance(exc, ValueError)  # ValueError: a header http.client refused
        raise TransportError(url, str(reason), retryable=retryable) from None


def send(
    method: str,
    url: str,
    *,
    headers: dict[str, str] | None = None,
    body: Iterable[bytes] | bytes | None = None,
    credentials: Credentials | None = None,
    deadline: float | None = None,
    max_bytes: int = MANIFEST_CAP,
    sink: Callable[[bytes], None] | None = None,
    ssl_context: ssl.SSLContext | None = None,
) -> Response:
    """One request, redirects followed for GET/HEAD, within ``deadline`` seconds (default
    :func:`read_deadline`) and ``max_bytes`` of body. ``credentials(url)`` gives the auth headers
    for one hop (only ever for its own origin). With ``sink``, a 2xx body goes there in chunks
    instead of into :attr:`Response.body`. ``ssl_context``: another CA store than the default
    (which honours ``SSL_CERT_FILE``). Raises :class:`TransportError`."""
    watch = _Watchdog(deadline if deadline is not None else read_deadline())
    follow = method in ("GET", "HEAD")
    opener = _opener(watch, ssl_context)
    with watch:
        for _hop in range(MAX_REDIRECTS + 1):
            check_url(url)
            hop_headers = {**(headers or {}), **(credentials(url) if credentials else {})}
            resp = _once(
                opener,
                watch,
                method=method,
                url=url,
                headers=hop_headers,
                body=body,
                max_bytes=max_bytes,
                sink=sink,
                redirecting=follow,
            )
            location = resp.headers.get("Location")
            if not (follow and resp.status in _REDIRECTS and location):
                return resp
            url = resolve_location(url, location)
    raise TransportError(url, f"more than {MAX_REDIRECTS} redirects (a loop?)", retryable=False)
