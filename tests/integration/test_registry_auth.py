"""Registry credentials go only to ``https://<registry host>`` (and an https token realm).

The real registry (CNCF distribution) always answers a blob upload with a ``Location`` on itself, so
the one thing a real registry cannot show, a ``Location`` on another host or on http (a storage
account, a CDN, a downgrade), is played by a small TLS server that speaks just the upload calls. The
servers the ``Location`` points at record the headers they receive: what is on the wire.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from mlrelease._util.http import basic_auth_header
from tests.integration import registry_server as rs

pytestmark = [pytest.mark.integration]

USER, PASSWORD = "pusher", "canary-scope-Zx81Qw"
TOKEN = "bearer-token-Pq77Lm"


class _Recorder(BaseHTTPRequestHandler):
    """Any request: remember its Authorization header, answer 201 (a completed upload)."""

    seen: list[tuple[str, str | None]]

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_PUT(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        self.seen.append((self.path, self.headers.get("Authorization")))
        self.send_response(201)
        self.send_header("Content-Length", "0")
        self.end_headers()


class _Registry(_Recorder):
    """The registry side of a blob upload: POST opens a session whose Location is chosen by the
    test; its own PUTs are recorded like any other."""

    location = ""
    mode = "basic"  # or "bearer"
    realm = ""

    def _authorized(self) -> bool:
        got = self.headers.get("Authorization")
        want = basic_auth_header(USER, PASSWORD) if self.mode == "basic" else f"Bearer {TOKEN}"
        if got == want:
            return True
        challenge = (
            'Basic realm="stub"'
            if self.mode == "basic"
            else f'Bearer realm="{self.realm}",service="stub"'
        )
        self.send_response(401)
        self.send_header("WWW-Authenticate", challenge)
        self.send_header("Content-Length", "0")
        self.end_headers()
        return False

    def do_GET(self) -> None:  # the token realm (Basic credentials in, a token out)
        self.seen.append((self.path, self.headers.get("Authorization")))
        if self.headers.get("Authorization") != basic_auth_header(USER, PASSWORD):
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = json.dumps({"token": TOKEN}).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if not self._authorized():
            return
        self.send_response(202)
        self.send_header("Location", self.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_PUT(self) -> None:
        if self._authorized():
            super().do_PUT()


def _serve(
    handler: type[BaseHTTPRequestHandler], tls: ssl.SSLContext | None
) -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> rs.TestCA:
    return rs.make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def servers(ca: rs.TestCA) -> Iterator[dict[str, ThreadingHTTPServer]]:
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(ca.server_cert, ca.server_key)
    seen: list[tuple[str, str | None]] = []
    registry = type("Reg", (_Registry,), {"seen": seen})
    storage = type("Storage", (_Recorder,), {"seen": seen})
    running = {
        "registry": _serve(registry, tls),
        "https-other-port": _serve(storage, tls),
        "http-same-host": _serve(storage, None),
    }
    try:
        yield running
    finally:
        for server in running.values():
            server.shutdown()
            server.server_close()


def _blob_image(tmp: Path):  # type: ignore[no-untyped-def]
    from mlrelease.images.layout import Blob, LayoutImage, blob_path, sha256_digest

    data = b"layer bytes"
    digest = sha256_digest(data)
    path = blob_path(tmp, digest)
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    blob = Blob(digest, len(data), "application/octet-stream")
    return LayoutImage(tmp, b"{}", "m", sha256_digest(b"{}"), (blob,)), blob


@pytest.mark.parametrize("mode", ["basic", "bearer"])
def test_credentials_only_go_to_the_registry_origin(
    servers: dict[str, ThreadingHTTPServer], ca: rs.TestCA, tmp_path: Path, mode: str
) -> None:
    from mlrelease.images.registry import RegistryTarget

    reg = servers["registry"]
    handler = reg.RequestHandlerClass
    assert issubclass(handler, _Registry)
    host = f"127.0.0.1:{reg.server_address[1]}"
    handler.mode = mode
    handler.realm = f"https://{host}/token"
    seen = handler.seen
    image, blob = _blob_image(tmp_path)
    locations = {
        "registry itself (relative)": ("/v2/ml/app/blobs/uploads/u1", True),
        "registry itself (absolute)": (f"https://{host}/v2/ml/app/blobs/uploads/u2", True),
        "https, another port": (
            f"https://127.0.0.1:{servers['https-other-port'].server_address[1]}/store/u3?sig=1",
            False,
        ),
        "https, another host name": (
            f"https://localhost:{servers['https-other-port'].server_address[1]}/store/u4",
            False,
        ),
        "http, same host": (
            f"http://127.0.0.1:{servers['http-same-host'].server_address[1]}/store/u5",
            False,
        ),
    }
    for label, (location, gets_auth) in locations.items():
        target = RegistryTarget(host, "ml/app", username=USER, password=PASSWORD)
        target._ssl = ssl.create_default_context(cafile=str(ca.ca_cert))
        handler.location = location
        seen.clear()
        assert target.put_blob(image, blob) == "uploaded", label
        puts = [(p, a) for p, a in seen if "digest=" in p]
        assert len(puts) == 1, (label, seen)
        _path, auth = puts[0]
        if gets_auth:
            assert auth is not None, label
        else:
            assert auth is None, f"{label}: credentials leaked to {location}"
        # The token realm got Basic credentials (https), and nothing else saw them.
        for p, a in seen:
            if a is not None:
                assert p.startswith(("/v2/", "/token")), (label, p)


def test_http_token_realm_gets_nothing(
    servers: dict[str, ThreadingHTTPServer], ca: rs.TestCA, tmp_path: Path
) -> None:
    from mlrelease.errors import AuthError
    from mlrelease.images.registry import RegistryTarget

    reg = servers["registry"]
    handler = reg.RequestHandlerClass
    assert issubclass(handler, _Registry)
    host = f"127.0.0.1:{reg.server_address[1]}"
    handler.mode = "bearer"
    handler.realm = f"http://127.0.0.1:{servers['http-same-host'].server_address[1]}/token"
    handler.seen.clear()
    image, blob = _blob_image(tmp_path)
    target = RegistryTarget(host, "ml/app", username=USER, password=PASSWORD)
    target._ssl = ssl.create_default_context(cafile=str(ca.ca_cert))
    with pytest.raises(AuthError, match="refusing to send credentials"):
        target.put_blob(image, blob)
    assert all(a is None for _, a in handler.seen)
