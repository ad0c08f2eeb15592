"""The one HTTP session factory for feeds: timeouts, bounded retries with backoff, safe redirects.

Standard library only (``urllib``), so mlrelease needs no HTTP dependency and honours the usual
``HTTPS_PROXY`` / ``NO_PROXY`` variables and the system CA store.

- Only safe requests (GET) are retried automatically, on connection errors and 5xx answers, a
  bounded number of times with exponential backoff. Uploads are never retried here: the caller looks
  at the feed's index after an upload error before deciding (failure modes 1-2), using the
  same :class:`Backoff` policy.
- Credentials are sent only to the origin they were given for: a redirect to another host (e.g. a
  CDN or blob store) drops the ``Authorization`` header.
- Errors never carry credentials: URLs are shown without userinfo and every text is redacted.
"""

from __future__ import annotations

import base64
import http.client
import os
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from urllib.parse import urlsplit

from mlrelease import __version__
from mlrelease._util.redact import redact, register_secret, url_without_credentials

USER_AGENT = f"mlrelease/{__version__}"
DEFAULT_TIMEOUT = 60.0
CHUNK = 1024 * 1024


class TransportError(Exception):
    """The request did not produce an HTTP answer (refused, reset, timed out, TLS failure)."""

    def __init__(self, url: str, reason: str) -> None:
        super().__init__(f"{url_without_credentials(url)}: {redact(reason)}")
        self.url = url
        self.reason = redact(reason)


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


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects for GET; keep ``Authorization`` only while the origin stays the same."""

    def __init__(self, auth_header: str | None, auth_origin: tuple[str, str, int | None] | None):
        super().__init__()
        self._auth = auth_header
        self._origin = auth_origin

    def redirect_request(  # noqa: PLR0917 - the signature is urllib's
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: Message,
        newurl: str,
    ) -> urllib.request.Request | None:
        if req.get_method() != "GET":
            return None  # an upload that redirects is reported, not silently turned into a GET
        new = super().redirect_request(req, fp, code, msg, headers, newurl)  # type: ignore[arg-type]
        if new is not None:
            new.remove_header("Authorization")
            if self._auth and origin(newurl) == self._origin:
                new.add_unredirected_header("Authorization", self._auth)
        return new


@dataclass
class Session:
    """HTTP for one feed: optional Basic credentials for one origin, timeouts, GET retries."""

    auth: tuple[str, str] | None = field(default=None, repr=False)  # never shown: a password
    auth_url: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    backoff: Backoff = field(default_factory=default_backoff)
    sleep: Callable[[float], None] = time.sleep
    _opener: urllib.request.OpenerDirector = field(init=False, repr=False)
    _auth_header: str | None = field(init=False, repr=False, default=None)

    def __repr__(self) -> str:  # the user, never the password, and URLs without userinfo
        user = self.auth[0] if self.auth else None
        url = url_without_credentials(self.auth_url) if self.auth_url else None
        return f"Session(user={user!r}, auth_url={url!r}, timeout={self.timeout!r})"

    def __post_init__(self) -> None:
        auth_origin = origin(self.auth_url) if self.auth_url else None
        if self.auth is not None:
            user, password = self.auth
            register_secret(password)
            self._auth_header = basic_auth_header(user, password)
        self._opener = urllib.request.build_opener(
            _SameOriginRedirects(self._auth_header, auth_origin)
        )
        self._auth_origin = auth_origin

    def _request(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        data: Iterable[bytes] | bytes | None = None,
    ) -> Response:
        req = urllib.request.Request(url, data=data, method=method)  # noqa: S310 - http(s) only, checked by callers
        req.add_header("User-Agent", USER_AGENT)
        for key, value in (headers or {}).items():
            req.add_header(key, value)
        if self._auth_header and origin(url) == self._auth_origin:
            req.add_unredirected_header("Authorization", self._auth_header)
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                return Response(resp.status, resp.geturl(), resp.headers, resp.read())
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read()
            except (OSError, http.client.HTTPException):
                body = b""
            return Response(exc.code, exc.geturl() or url, exc.headers, body)
        except urllib.error.URLError as exc:
            raise TransportError(url, str(exc.reason)) from None
        except (OSError, http.client.HTTPException) as exc:
            raise TransportError(url, f"{type(exc).__name__}: {exc}") from None

    def get(self, url: str, *, accept: str = "text/html") -> Response:
        """GET with bounded retries on connection errors and 5xx."""
        delays = self.backoff.delays()
        while True:
            try:
                resp = self._request("GET", url, headers={"Accept": accept})
            except TransportError:
                delay = next(delays, None)
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
        return self._request(
            "POST",
            url,
            headers={"Content-Type": content_type, "Content-Length": str(length)},
            data=body,
        )


def basic_token(user: str, password: str) -> str:
    """``base64(user:password)``, registered as a secret: the one place Basic auth is encoded
    (feeds, registries, the engine's auth file)."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    register_secret(token)
    return token


def basic_auth_header(user: str, password: str) -> str:
    """``Basic base64(user:password)``."""
    return "Basic " + basic_token(user, password)
