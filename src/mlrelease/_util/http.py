"""HTTP for feeds: one :class:`Session` per feed (Basic credentials for one origin, bounded
retries with backoff) over the one transport, :func:`mlrelease._util.transport.send` (http(s)
only, a wall-clock deadline and a size cap per request, credentials only to their origin).

- Only safe requests (GET) are retried automatically, on connection errors and 5xx answers, a
  bounded number of times with exponential backoff. Uploads are never retried here: the caller looks
  at the feed's index after an upload error before deciding (failure modes 1-2), using the
  same :class:`Backoff` policy. A refused URL, an answer over the cap or a passed deadline is not
  retried (``TransportError.retryable``).
- Credentials are sent only to the origin they were given for: a redirect to another host (e.g. a
  CDN or blob store) gets no ``Authorization`` header.
- Errors never carry credentials: URLs are shown without userinfo and every text is redacted.
"""

from __future__ import annotations

import base64
import hashlib
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mlrelease._util.console import mask
from mlrelease._util.redact import url_without_credentials
from mlrelease._util.transport import (
    CHUNK,
    INDEX_CAP,
    MANIFEST_CAP,
    USER_AGENT,
    Response,
    TransportError,
    read_deadline,
    send,
    transfer_deadline,
)

__all__ = [
    "CHUNK",
    "USER_AGENT",
    "Backoff",
    "Response",
    "Session",
    "TransportError",
    "basic_auth_header",
    "basic_token",
    "default_backoff",
    "is_retryable_status",
    "origin",
]


@dataclass(frozen=True)
class Backoff:
    """Bounded retries: ``attempts`` tries in total, sleeping ``base * 2**n`` (capped) between."""

    attempts: int = 4
    base: float = 0.5
    cap: float = 8.0

    def delays(self) -> Iterator[float]:
        """The sleeps between attempts (``attempts - 1`` of them)."""
        for n in range(self.attempts - 1):
            yield min(self.cap, self.base * (2**n))


def default_backoff() -> Backoff:
    """The retry policy; ``MLRELEASE_HTTP_RETRIES`` overrides the number of attempts."""
    raw = os.environ.get("MLRELEASE_HTTP_RETRIES", "")
    attempts = int(raw) if raw.isdigit() and int(raw) > 0 else 4
    return Backoff(attempts=attempts)


def is_retryable_status(status: int) -> bool:
    return status >= 500 or status == 429


def origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return (parts.scheme, (parts.hostname or "").lower(), port)


@dataclass
class Session:
    """HTTP for one feed: optional Basic credentials for one origin, GET retries."""

    auth: tuple[str, str] | None = field(default=None, repr=False)  # never shown: a password
    auth_url: str | None = None
    backoff: Backoff = field(default_factory=default_backoff)
    sleep: Callable[[float], None] = time.sleep
    _auth_header: str | None = field(init=False, repr=False, default=None)

    def __repr__(self) -> str:  # the user, never the password, and URLs without userinfo
        user = self.auth[0] if self.auth else None
        url = url_without_credentials(self.auth_url) if self.auth_url else None
        return f"Session(user={user!r}, auth_url={url!r})"

    def __post_init__(self) -> None:
        self._auth_origin = origin(self.auth_url) if self.auth_url else None
        if self.auth is not None:
            user, password = self.auth
            mask(password)
            self._auth_header = basic_auth_header(user, password)

    def credentials(self, url: str) -> dict[str, str]:
        """The ``Authorization`` header for ``url``: only on the origin it was given for."""
        if self._auth_header and origin(url) == self._auth_origin:
            return {"Authorization": self._auth_header}
        return {}

    def get(
        self,
        url: str,
        *,
        accept: str = "text/html",
        max_bytes: int = INDEX_CAP,
        deadline: float | None = None,
    ) -> Response:
        """GET with bounded retries on connection errors and 5xx; the body capped at
        ``max_bytes``."""
        return self._retrying(
            lambda: send(
                "GET",
                url,
                headers={"Accept": accept},
                credentials=self.credentials,
                max_bytes=max_bytes,
                deadline=deadline if deadline is not None else read_deadline(),
            )
        )

    def sha256_of(self, url: str, *, max_bytes: int) -> tuple[Response, str]:
        """Download ``url`` (at most ``max_bytes``) into a sha256, never into memory; retried like
        :meth:`get`. The response's body is empty; the hash is of a 2xx body."""

        digests: list[hashlib._Hash] = []

        def attempt() -> Response:
            digests.append(hashlib.sha256())  # a fresh hash per attempt
            return send(
                "GET",
                url,
                headers={"Accept": "*/*"},
                credentials=self.credentials,
                max_bytes=max_bytes,
                deadline=transfer_deadline(max_bytes),
                sink=digests[-1].update,
            )

        resp = self._retrying(attempt)
        return resp, digests[-1].hexdigest()

    def _retrying(self, attempt: Callable[[], Response]) -> Response:
        delays = self.backoff.delays()
        while True:
            try:
                resp = attempt()
            except TransportError as exc:
                delay = next(delays, None) if exc.retryable else None
                if delay is None:
                    raise
                self.sleep(delay)
                continue
            if is_retryable_status(resp.status):
                delay = next(delays, None)
                if delay is not None:
                    self.sleep(delay)
                    continue
            return resp

    def post(self, url: str, body: Iterable[bytes], *, length: int, content_type: str) -> Response:
        """One POST of a streamed body (not retried: the caller decides, see module doc)."""
        return send(
            "POST",
            url,
            headers={"Content-Type": content_type, "Content-Length": str(length)},
            body=body,
            credentials=self.credentials,
            max_bytes=MANIFEST_CAP,
            deadline=transfer_deadline(length),
        )


def basic_token(user: str, password: str) -> str:
    """``base64(user:password)``, registered as a secret: the one place Basic auth is encoded
    (feeds, registries, the engine's auth file)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    mask(token)
    return token


def basic_auth_header(user: str, password: str) -> str:
    """``Basic base64(user:password)``."""
    return "Basic " + basic_token(user, password)
