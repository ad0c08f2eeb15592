"""A loopback stand-in for Azure's App Service managed-identity endpoint (the documented contract):

    GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R   with header X-IDENTITY-HEADER
    -> 200 {"access_token", "expires_on", "resource", "token_type": "Bearer"}

azure-identity's ManagedIdentityCredential talks to it exactly as it would on Azure; everything
after the token (the feed, the ACR exchange, the registry) is real.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

HEADER = "stub-identity-header"


@contextlib.contextmanager
def managed_identity(monkeypatch: pytest.MonkeyPatch, token: str) -> Iterator[list[str]]:
    """Serve ``token`` as the managed identity's access token; yields the resources requested.

    Sets IDENTITY_ENDPOINT / IDENTITY_HEADER and clears the variables that would make
    azure-identity pick another credential first.
    """
    resources: list[str] = []

    class Stub(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            return

        def do_GET(self) -> None:
            query = parse_qs(urlsplit(self.path).query)
            resources.extend(query.get("resource", []))
            ok = self.headers.get("X-IDENTITY-HEADER") == HEADER
            body = json.dumps(
                {
                    "access_token": token,
                    "expires_on": str(int(time.time()) + 3600),
                    "resource": query.get("resource", [""])[0],
                    "token_type": "Bearer",
                }
            ).encode()
            self.send_response(200 if ok else 400)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Stub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        for var in ("AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_CLIENT_SECRET"):
            monkeypatch.delenv(var, raising=False)
        monkeypatch.setenv("IDENTITY_ENDPOINT", f"http://127.0.0.1:{server.server_address[1]}/msi")
        monkeypatch.setenv("IDENTITY_HEADER", HEADER)
        yield resources
    finally:
        server.shutdown()
        server.server_close()
