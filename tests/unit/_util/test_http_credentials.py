"""Feed credentials go only to the origin they were given for (scheme, host and port), never to
another host, another port or plain http, and never across a redirect to another origin."""

from __future__ import annotations

import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from mlrelease._util.http import Backoff, Session, basic_auth_header

SECRET = "canary-5c1d9e3b7a2f"


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[tuple[int, str, str | None]]
    redirect_to: str | None

    def _answer(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        port = self.server.server_address[1]
        self.seen.append((port, self.path, self.headers.get("Authorization")))
        if self.redirect_to and self.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", self.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    do_GET = _answer
    do_POST = _answer

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def _server(
    seen: list[tuple[int, str, str | None]], redirect_to: str | None = None
) -> Iterator[str]:
    handler = type("H", (_Recorder,), {"seen": seen, "redirect_to": redirect_to})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def _session(auth_url: str) -> Session:
    return Session(auth=("ci", SECRET), auth_url=auth_url, backoff=Backoff(attempts=1))


def test_credentials_go_only_to_their_origin() -> None:
    seen: list[tuple[int, str, str | None]] = []
    with _server(seen) as other, _server(seen, redirect_to=f"{other}/landed") as feed:
        expected = basic_auth_header("ci", SECRET)
        session = _session(feed + "/upload/")
        session.get(feed + "/simple/")  # the feed itself: credentials (so this test can fail)
        session.get(other + "/simple/")  # another port is another origin
        session.post(other + "/upload/", [b"x"], length=1, content_type="text/plain")
        session.get(feed.replace("127.0.0.1", "localhost") + "/by-name/")  # another host name
        session.get(feed + "/redirect")  # the feed redirects to another origin
        by_path = {(port, path): auth for port, path, auth in seen}
    feed_port = int(feed.rsplit(":", 1)[1])
    other_port = int(other.rsplit(":", 1)[1])
    assert by_path[(feed_port, "/simple/")] == expected
    assert by_path[(other_port, "/simple/")] is None
    assert by_path[(other_port, "/upload/")] is None
    assert by_path[(feed_port, "/redirect")] == expected
    assert by_path[(other_port, "/landed")] is None
    assert by_path[(feed_port, "/by-name/")] is None
    assert [auth for _, _, auth in seen].count(expected) == 2  # /simple/ and /redirect


def test_credentials_for_https_are_never_sent_over_plain_http() -> None:
    seen: list[tuple[int, str, str | None]] = []
    with _server(seen) as feed:
        session = _session(feed.replace("http://", "https://") + "/upload/")
        session.get(feed + "/simple/")
        session.post(feed + "/upload/", [b"x"], length=1, content_type="text/plain")
    assert [auth for _, _, auth in seen] == [None, None]
