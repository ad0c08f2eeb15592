"""The one transport's refusals and limits that need no server: URLs, Locations, deadlines."""

from __future__ import annotations

import socket
import threading
import time

import pytest

from mlrelease._util import transport
from mlrelease.errors import PublishError


@pytest.mark.parametrize(
    "url",
    [
        "file:///dev/zero",
        "ftp://example.invalid/x.whl",
        "relative/path.whl",
        "https://",
        "https://host/a b",
        "https://host/a\r\nX-Injected: 1",
    ],
)
def test_only_absolute_http_urls_are_sent(url: str) -> None:
    with pytest.raises(transport.TransportError) as caught:
        transport.send("GET", url)
    assert isinstance(caught.value, PublishError)  # a clean error, not a traceback
    assert not caught.value.retryable


def test_a_url_with_credentials_is_shown_without_them() -> None:
    with pytest.raises(transport.TransportError) as caught:
        transport.check_url("ftp://user:s3cret@host/x")
    assert "s3cret" not in str(caught.value)


@pytest.mark.parametrize(
    ("location", "expected"),
    [
        ("/simple/pkg/", "https://feed.example/simple/pkg/"),
        ("https://cdn.example/f.whl", "https://cdn.example/f.whl"),
        ("//cdn.example/f.whl", "https://cdn.example/f.whl"),
    ],
)
def test_absolute_locations_are_followed(location: str, expected: str) -> None:
    assert transport.resolve_location("https://feed.example/simple/pkg", location) == expected


@pytest.mark.parametrize(
    "location", ["pkg/", "../x", "?q=1", "file:///dev/zero", "ftp://h/x", "/a\x01b", "/a\x7fb"]
)
def test_relative_odd_or_non_http_locations_are_refused(location: str) -> None:
    with pytest.raises(transport.TransportError) as caught:
        transport.resolve_location("https://feed.example/simple/pkg/", location)
    assert "https://feed.example/simple/pkg/" in caught.value.message


def test_the_deadline_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    assert transport.read_deadline() == 60
    assert transport.transfer_deadline() == 300
    assert transport.transfer_deadline(2000 * transport.MIB) > 2000  # never below 1 MiB/s
    monkeypatch.setenv("MLRELEASE_HTTP_DEADLINE", "2.5")
    assert transport.read_deadline() == transport.transfer_deadline(10**12) == 2.5
    monkeypatch.setenv("MLRELEASE_HTTP_DEADLINE", "soon")
    assert transport.read_deadline() == 60


def test_a_server_that_sends_nothing_fails_at_the_deadline() -> None:
    """Accepts, then never answers: the per-read timeout (60 s) would wait; the deadline does not."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        held: list[socket.socket] = []
        threading.Thread(target=lambda: held.append(server.accept()[0]), daemon=True).start()
        start = time.monotonic()
        with pytest.raises(transport.TransportError, match="deadline"):
            transport.send("GET", f"http://127.0.0.1:{server.getsockname()[1]}/", deadline=1)
        assert time.monotonic() - start < 10  # 1 s, plus a loaded machine
        for conn in held:
            conn.close()
