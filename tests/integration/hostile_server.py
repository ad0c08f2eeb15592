"""A hostile or broken HTTP server on 127.0.0.1 with scripted behaviours, for the transport tests.

:func:`hostile_server` starts a threaded server (plain HTTP, or TLS with the test CA) on a free
port. Each route (method + path prefix) plays one :data:`Behaviour`: a normal answer, a redirect,
a body dripped one byte at a time, an endless body, a truncated body, raw bytes (a garbage status
line, a ``Location`` with control characters). Every request is recorded with its
``Authorization`` header in :attr:`HostileServer.seen`, so a test can check where credentials went.
Endless and dripping answers stop as soon as the client goes away or the server stops: nothing
here allocates more than one chunk.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

Behaviour = Callable[["_Handler"], None]
_CHUNK = b"<a href='x'>x</a>\n" * 4096  # about 72 KiB, sent again and again


@dataclass
class HostileServer:
    url: str  # http(s)://127.0.0.1:<port>
    routes: dict[tuple[str, str], Behaviour] = field(default_factory=dict)
    seen: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, auth
    stop: threading.Event = field(default_factory=threading.Event)

    @property
    def host(self) -> str:
        return self.url.split("://", 1)[1]

    def route(self, method: str, prefix: str, behaviour: Behaviour) -> None:
        self.routes[(method, prefix)] = behaviour

    def behaviour_for(self, method: str, path: str) -> Behaviour:
        matches = [
            (p, b) for (m, p), b in self.routes.items() if m == method and path.startswith(p)
        ]
        if not matches:
            return answer(404, b"not here")
        return max(matches, key=lambda pair: len(pair[0]))[1]  # the longest prefix


class _Handler(BaseHTTPRequestHandler):
    server_version = "hostile"
    hostile: HostileServer  # set on the per-server subclass

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _dispatch(self) -> None:
        self.close_connection = True
        self.hostile.seen.append((self.command, self.path, self.headers.get("Authorization")))
        length = int(self.headers.get("Content-Length") or 0)
        while length > 0:  # read (and drop) the request body before answering
            got = self.rfile.read(min(length, 1 << 16))
            if not got:
                break
            length -= len(got)
        with contextlib.suppress(OSError):
            self.hostile.behaviour_for(self.command, self.path)(self)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = _dispatch

    def raw(self, data: bytes) -> None:
        self.wfile.write(data)
        self.wfile.flush()

    def head(self, status: int, headers: dict[str, str]) -> None:
        lines = [f"HTTP/1.1 {status} Scripted", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.raw(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def answer(status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> Behaviour:
    def play(h: _Handler) -> None:
        h.head(status, {"Content-Length": str(len(body)), **(headers or {})})
        if h.command != "HEAD":
            h.raw(body)

    return play


def redirect(location: str, status: int = 302) -> Behaviour:
    return answer(status, b"", {"Location": location})


def raw(data: bytes) -> Behaviour:
    """Exactly these bytes, then close: a garbage status line, a header with control bytes..."""
    return lambda h: h.raw(data)


def truncated(body: bytes, declared: int, headers: dict[str, str] | None = None) -> Behaviour:
    """``Content-Length: declared`` but only ``body``, then the connection closes."""

    def play(h: _Handler) -> None:
        h.head(200, {"Content-Length": str(declared), **(headers or {})})
        h.raw(body)

    return play


def drip(headers: dict[str, str] | None = None, every: float = 1.0) -> Behaviour:
    """A 200 whose body comes one byte every ``every`` seconds, for as long as the client waits."""

    def play(h: _Handler) -> None:
        h.head(200, {"Content-Length": "1000000", **(headers or {})})
        while not h.hostile.stop.is_set():
            h.raw(b" ")
            time.sleep(every)

    return play


def endless(headers: dict[str, str] | None = None) -> Behaviour:
    """A 200 without Content-Length whose body never ends (until the client goes away)."""

    def play(h: _Handler) -> None:
        h.head(200, headers or {})
        while not h.hostile.stop.is_set():
            h.raw(_CHUNK)

    return play


@contextlib.contextmanager
def hostile_server(tls: tuple[Path, Path] | None = None) -> Iterator[HostileServer]:
    """A server on 127.0.0.1 (free port); ``tls``: (certificate, key) to serve https."""
    handler = type("Handler", (_Handler,), {})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*tls)
        server.socket = context.wrap_socket(server.socket, server_side=True)
        scheme = "https"
    hostile = HostileServer(f"{scheme}://127.0.0.1:{server.server_address[1]}")
    handler.hostile = hostile
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hostile
    finally:
        hostile.stop.set()
        server.shutdown()
        server.server_close()


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port
