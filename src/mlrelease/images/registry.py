"""Where images go: an OCI distribution registry (ACR, or any) over the distribution API.

:class:`RegistryTarget` and :class:`mlrelease.images.layout.LayoutTarget` (the embedded OCI layout) have
the same small interface (:class:`mlrelease.images.layout.Target`), so the publishing order is written
once: ``digest_of`` (what a tag points at now), ``has_blob`` / ``put_blob``, ``put_manifest`` (by
digest or by tag). The image comes from the OCI layout the engine exported; pushing copies its exact
bytes, so the digest pushed is the digest built.

HTTPS with the system CA store (``SSL_CERT_FILE`` is honoured): Basic auth, or the Bearer token flow
(``WWW-Authenticate: Bearer realm=...``) that ACR uses. Credentials go only to ``https://<host>``
itself (same scheme, host and port) and to an https token realm: a blob upload ``Location`` on
another host or on http gets no ``Authorization``. Requests are retried a bounded number of times on
connection errors, 5xx and 429; an interrupted blob upload restarts its upload session (bounded
too). A blob another repository of the registry holds is mounted (``?mount=&from=``), not uploaded.
SBOMs and other artifacts become OCI referrers (:meth:`RegistryTarget.attach_referrer`). Every
message is redacted.
"""

from __future__ import annotations

import json
import re
import ssl
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from mlrelease._util import console
from mlrelease._util.http import Backoff, basic_auth_header, basic_token, default_backoff, origin
from mlrelease._util.redact import redact, url_without_credentials
from mlrelease._util.runner import echo
from mlrelease._util.transport import (
    INDEX_CAP,
    MANIFEST_CAP,
    TransportError,
    resolve_location,
    send,
    transfer_deadline,
)
from mlrelease.auth.azure import explain_azure_failure
from mlrelease.auth.registry import is_acr
from mlrelease.errors import AuthError, PublishError
from mlrelease.images.layout import (
    INDEX_TYPE,
    MANIFEST_TYPES,
    REF_ANNOTATION,
    Blob,
    LayoutImage,
    LayoutTarget,
    Target,
    blob_path,
    config_digest,
    first_manifest,
    sha256_digest,
    version_label,
)

__all__ = [
    "MANIFEST_TYPES",
    "REF_ANNOTATION",
    "Blob",
    "LayoutImage",
    "LayoutTarget",
    "RegistryTarget",
    "Target",
    "blob_path",
    "sha256_digest",
]

_CHALLENGE_RE = re.compile(r'(\w+)="([^"]*)"')
_TOKEN_RE = re.compile(r"[\x21-\x7e]+")  # printable, no spaces or line breaks: a header value


def _token_of(body: bytes) -> str | None:
    """The bearer token of a token endpoint's JSON answer; None for anything else."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    token = data.get("token") or data.get("access_token")
    if not isinstance(token, str) or not _TOKEN_RE.fullmatch(token):
        return None
    return token


# --- a registry over the distribution API -------------------------------------------------------


class RegistryUnreachable(PublishError):
    """No answer from the registry after the bounded retries."""


class _UploadInterrupted(Exception):
    """A blob upload that may succeed when its session is restarted."""


@dataclass
class RegistryTarget:
    """``https://<host>/v2/<name>/...`` with Basic or Bearer-token auth."""

    host: str
    name: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    credential_source: str = "anonymous"
    backoff: Backoff = field(default_factory=default_backoff)
    sleep: Any = time.sleep
    label: str = ""
    _tokens: dict[str, str] = field(default_factory=dict, repr=False)
    _basic: bool = False

    def __post_init__(self) -> None:
        self.label = f"{self.host}/{self.name}"
        console.mask(self.password)
        if self.username and self.password:
            basic_token(self.username, self.password)
        self._ssl: ssl.SSLContext | None = None  # None: the system CA store / SSL_CERT_FILE
        self._base = f"https://{self.host}"

    # low level ---------------------------------------------------------------------------------

    def _send(
        self,
        method: str,
        url: str,
        headers: dict[str, str],
        body: Any = None,
        *,
        max_bytes: int = MANIFEST_CAP,
        deadline: float | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One request over the one transport (:func:`mlrelease._util.transport.send`).
        ``Authorization`` in ``headers`` goes to ``url``'s origin only, never to a redirect
        elsewhere (blob GETs go to storage hosts)."""
        auth = {k: v for k, v in headers.items() if k == "Authorization"}
        plain = {k: v for k, v in headers.items() if k != "Authorization"}
        first = origin(url)
        resp = send(
            method,
            url,
            headers=plain,
            body=body,
            credentials=lambda hop: auth if origin(hop) == first else {},
            max_bytes=max_bytes,
            deadline=deadline,
            ssl_context=self._ssl,
        )
        return resp.status, resp.header_dict(), resp.body

    def is_registry_url(self, url: str) -> bool:
        """True when ``url`` is on ``https://<host>`` itself (same scheme, host and port): the only
        place the registry's credentials (Basic or Bearer) are sent. A blob upload ``Location`` on
        a storage host, or on http, gets no Authorization header."""
        return origin(url) == origin(self._base + "/")

    def _auth_header(self, scope: str) -> dict[str, str]:
        if scope in self._tokens:
            return {"Authorization": f"Bearer {self._tokens[scope]}"}
        if self._basic and self.username and self.password:
            return {"Authorization": basic_auth_header(self.username, self.password)}
        return {}

    def _authenticate(self, challenge: str, scope: str) -> bool:
        """Answer a 401 challenge; False when there is nothing more to try."""
        kind = challenge.split(" ", 1)[0].lower()
        if kind == "basic":
            if self._basic or not (self.username and self.password):
                return False
            self._basic = True
            return True
        if kind != "bearer" or scope in self._tokens:
            return False
        params = dict(_CHALLENGE_RE.findall(challenge))
        realm = params.get("realm", "")
        if not realm.startswith("https://"):
            raise AuthError(f"{self.host}: refusing to send credentials to token realm {realm!r}")
        query = [("service", params.get("service", self.host))]
        query += [("scope", one) for one in scope.split(" ")]  # several for a cross-repo mount
        headers = {}
        if self.username and self.password:
            headers["Authorization"] = basic_auth_header(self.username, self.password)
        try:
            status, _, body = self._send("GET", f"{realm}?{urlencode(query)}", headers)
        except TransportError as exc:
            raise AuthError(
                f"{self.host}: cannot get a token from the registry's token endpoint: "
                f"{exc.message}",
                hint=f"the registry named this token realm in its 401 challenge; {exc.hint}",
            ) from None
        if status != 200:
            self._raise_auth(status, body)
        token = _token_of(body)
        if token is None:
            raise AuthError(
                f"{self.host}: the token endpoint {url_without_credentials(realm)} answered without "
                "a usable token (expected a JSON object with a token or access_token string)",
                hint="check the registry's token service (the realm in its 401 challenge)",
            )
        console.mask(token)
        self._tokens[scope] = token
        return True

    def _raise_auth(self, status: int, body: bytes) -> None:

        text = redact(body[:500].decode("utf-8", "replace"))
        known = explain_azure_failure(text)
        acr = is_acr(self.host)
        if known:
            raise AuthError(f"{self.host}: {known}")
        if status == 401:
            raise AuthError(
                f"{self.host} rejected the credentials ({self.credential_source}) with 401",
                hint=(
                    "check that the workflow's identity can sign in to the registry (azure/login, "
                    "then rerun right away)"
                    if acr
                    else "set MLRELEASE_REGISTRY_USERNAME and MLRELEASE_REGISTRY_PASSWORD"
                ),
            )
        raise AuthError(
            f"{self.host} refused access to {self.name} ({self.credential_source}) with {status}: "
            f"{text[:200]}",
            hint=(
                "the identity needs the AcrPush role on the registry (az role assignment create "
                "--role AcrPush --assignee <client-id> --scope <registry resource id>)"
                if acr
                else "the user needs push rights on this repository"
            ),
        )

    def request(
        self,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: Any = None,
        scope_action: str = "pull,push",
        retry: bool = True,
        also_pull: tuple[str, ...] = (),
        max_bytes: int = MANIFEST_CAP,
        deadline: float | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        """One API call with auth and bounded retries (connection errors, 5xx, 429).

        ``also_pull``: other repositories of this registry the call reads (a cross-repo mount):
        their pull scope goes into the same token request. ``max_bytes`` caps the answer's body,
        ``deadline`` (seconds) the whole call (default: a small read's).
        """
        scope = " ".join(
            [f"repository:{self.name}:{scope_action}", *(f"repository:{r}:pull" for r in also_pull)]
        )
        url = path if path.startswith("http") else f"{self._base}{path}"
        own = self.is_registry_url(url)  # credentials only for the registry itself
        delays = self.backoff.delays()  # the one retry policy (mlrelease._util.http)
        authenticated = not own  # another origin: never answer its challenge with our secrets
        while True:
            try:
                payload = body() if callable(body) else body
                try:
                    auth = self._auth_header(scope) if own else {}
                    status, hdrs, data = self._send(
                        method,
                        url,
                        {**(headers or {}), **auth},
                        payload,
                        max_bytes=max_bytes,
                        deadline=deadline,
                    )
                finally:
                    if hasattr(payload, "close"):
                        payload.close()
            except TransportError as exc:
                if not exc.retryable:  # a refused URL, an answer over the cap, the deadline
                    raise PublishError(
                        f"registry {self.host}: {exc.message}", hint=exc.hint
                    ) from None
                delay = next(delays, None) if retry else None
                if delay is None:
                    raise RegistryUnreachable(
                        f"registry {self.host} is unreachable: {exc.message}",
                        hint="check the registry host and the network (proxy, firewall, TLS CA "
                        "via SSL_CERT_FILE); rerun to complete what is missing",
                    ) from None
                self.sleep(delay)
                continue
            # One login per call: a 401 after it is an answer about the credentials.
            if status == 401 and not authenticated:
                authenticated = True
                if self._authenticate(hdrs.get("www-authenticate", ""), scope):
                    continue
            if status in (401, 403):
                self._raise_auth(status, data)
            if (status >= 500 or status == 429) and retry:
                delay = next(delays, None)
                if delay is not None:
                    self.sleep(delay)
                    continue
            return status, hdrs, data

    # the Target interface ----------------------------------------------------------------------

    def pull_credentials(self) -> tuple[str | None, str | None]:
        """The registry's own credentials: the engine pulls base images from it with them."""
        return self.username, self.password

    def check(self) -> None:
        """Reachable, credentials accepted for this repository (a read of its tag list)."""
        status, _, data = self.request(
            "GET", f"/v2/{self.name}/tags/list", scope_action="pull", max_bytes=INDEX_CAP
        )
        if status not in (200, 404):
            raise PublishError(
                f"registry {self.host} answered {status} for {self.name}: "
                f"{redact(data[:200].decode('utf-8', 'replace'))}"
            )

    def digest_of(self, ref: str) -> str | None:
        status, hdrs, data = self._get_manifest(ref)
        if status == 404:
            return None
        if status != 200:
            raise PublishError(f"{self.label}:{ref}: registry answered {status}")
        return hdrs.get("docker-content-digest") or sha256_digest(data)

    def _get_manifest(self, ref: str) -> tuple[int, dict[str, str], bytes]:
        return self.request(
            "GET",
            f"/v2/{self.name}/manifests/{ref}",
            headers={"Accept": ",".join(MANIFEST_TYPES)},
            scope_action="pull",
        )

    def version_at(self, ref: str) -> str | None:
        """The ``org.opencontainers.image.version`` label of the image ``ref`` names, if any."""
        status, _, data = self._get_manifest(ref)
        child = first_manifest(data) if status == 200 else None
        if child is not None:  # a multi-platform index: every platform has the same labels
            status, _, data = self._get_manifest(child)
        config = config_digest(data) if status == 200 else None
        if config is None:
            return None
        status, _, blob = self.request(
            "GET", f"/v2/{self.name}/blobs/{config}", scope_action="pull"
        )
        return version_label(blob) if status == 200 else None

    def has_blob(self, digest: str) -> bool:
        status, _, _ = self.request("HEAD", f"/v2/{self.name}/blobs/{digest}", scope_action="pull")
        return status == 200

    def has_blob_in(self, repo: str, digest: str) -> bool:
        """Whether another repository of this registry holds ``digest`` (a mount source). No read
        access to it (401/403) means no: the blob is uploaded instead."""
        try:
            status, _, _ = self.request(
                "HEAD", f"/v2/{repo}/blobs/{digest}", scope_action="pull", also_pull=(repo,)
            )
        except AuthError:
            return False
        return status == 200

    def put_blob(
        self,
        image: LayoutImage,
        blob: Blob,
        *,
        sources: tuple[str, ...] = (),
        progress: console.Progress | None = None,
    ) -> str:
        """Send ``blob``; returns how (``uploaded``, ``mounted from <repo>``).

        With ``sources`` (other repositories of this registry), the first that holds the blob is
        asked for a cross-repository mount (``POST ...?mount=<digest>&from=<repo>``): 201 means
        mounted, nothing uploaded; 202 means the registry declined and the upload goes on in the
        session it opened. A connection error or a 5xx during the upload restarts the session, a
        bounded number of times (the :class:`~mlrelease._util.http.Backoff` policy).
        """
        source = next(
            (r for r in sources if r != self.name and self.has_blob_in(r, blob.digest)), None
        )
        delays = self.backoff.delays()
        if progress is None:
            progress = console.progress(f"pushing {blob.digest[:19]}", blob.size)
        while True:
            try:
                return self._put_blob_once(image, blob, source, progress)
            except _UploadInterrupted as exc:
                delay = next(delays, None)
                if delay is None:
                    raise PublishError(
                        f"{self.label}: uploading {blob.digest[:19]} failed: {exc}",
                        hint="rerun: blobs already uploaded are skipped",
                    ) from None
                echo(f"  upload of {blob.digest[:19]} interrupted ({exc}); restarting it")
                self.sleep(delay)
                source = None  # a plain upload from here on

    def _put_blob_once(
        self,
        image: LayoutImage,
        blob: Blob,
        source: str | None,
        progress: console.Progress | None = None,
    ) -> str:
        path = f"/v2/{self.name}/blobs/uploads/"
        if source:
            path += "?" + urlencode({"mount": blob.digest, "from": source})
        status, hdrs, data = self.request(
            "POST",
            path,
            headers={"Content-Length": "0"},
            body=b"",
            also_pull=(source,) if source else (),
        )
        if status == 201 and source:
            return f"mounted from {source}"
        if status >= 500:
            raise _UploadInterrupted(f"starting the upload answered {status}")
        if status != 202 or "location" not in hdrs:
            raise PublishError(f"{self.label}: starting a blob upload answered {status}")
        location = resolve_location(self._base + path, hdrs["location"])
        sep = "&" if "?" in location else "?"
        file = image.blob_file(blob)

        def body() -> Any:
            return console.CountedReader(file.open("rb"), blob.size, progress)

        try:
            status, _, data = self.request(
                "PUT",
                f"{location}{sep}digest={blob.digest}",
                headers={
                    "Content-Type": "application/octet-stream",
                    "Content-Length": str(blob.size),
                },
                body=body,
                retry=False,
                deadline=transfer_deadline(blob.size),
            )
        except RegistryUnreachable as exc:
            raise _UploadInterrupted(str(exc.message)) from None
        if status >= 500 or status == 429:
            raise _UploadInterrupted(f"the upload answered {status}")
        if status != 201:
            raise PublishError(
                f"{self.label}: uploading {blob.digest[:19]} answered {status}: "
                f"{redact(data[:200].decode('utf-8', 'replace'))}",
                hint="rerun: blobs already uploaded are skipped",
            )
        return "uploaded"

    def put_manifest(self, image: LayoutImage, ref: str) -> None:
        status, hdrs, data = self.request(
            "PUT",
            f"/v2/{self.name}/manifests/{ref}",
            headers={"Content-Type": image.media_type},
            body=image.manifest,
        )
        if status != 201:
            raise PublishError(
                f"{self.label}:{ref}: the registry refused the manifest ({status}): "
                f"{redact(data[:300].decode('utf-8', 'replace'))}"
            )
        got = hdrs.get("docker-content-digest")
        if got and got != image.digest:
            raise PublishError(
                f"{self.label}:{ref}: registry stored {got}, expected {image.digest}"
            )

    def attach_referrer(
        self, artifact: LayoutImage, subject: LayoutImage, descriptor: dict[str, Any]
    ) -> str:
        """Make ``artifact`` (already pushed; its manifest names ``subject``) discoverable.

        ``GET /v2/<name>/referrers/<digest>`` first: a registry with the referrers API indexes the
        artifact when it is pushed. Without the API (404), the OCI 1.1 fallback: the tag
        ``sha256-<hex>`` holds an image index listing the subject's referrers; the descriptor is
        added to it once (a rerun changes nothing)."""
        status, _, data = self.request(
            "GET",
            f"/v2/{self.name}/referrers/{subject.digest}",
            headers={"Accept": INDEX_TYPE},
            scope_action="pull",
        )
        if status == 200:
            return "referrers API"
        tag = subject.digest.replace(":", "-")
        status, _, data = self.request(
            "GET",
            f"/v2/{self.name}/manifests/{tag}",
            headers={"Accept": INDEX_TYPE},
            scope_action="pull",
        )
        index: dict[str, Any] = {"schemaVersion": 2, "mediaType": INDEX_TYPE, "manifests": []}
        if status == 200:
            try:
                found = json.loads(data)
            except ValueError:
                found = None
            if isinstance(found, dict) and isinstance(found.get("manifests"), list):
                index = found
        elif status != 404:
            raise PublishError(f"{self.label}:{tag}: registry answered {status}")
        if not all(isinstance(e, dict) for e in index["manifests"]):
            raise PublishError(
                f"{self.label}:{tag}: the referrers index there is malformed (an entry of its "
                "manifests is not an object)",
                hint=f"delete the tag {tag} in the registry (it only lists referrers), then rerun",
            )
        if any(e.get("digest") == artifact.digest for e in index["manifests"]):
            return f"tag {tag} (present)"
        index["manifests"].append(descriptor)
        body = json.dumps(index, indent=2).encode()
        status, _, data = self.request(
            "PUT",
            f"/v2/{self.name}/manifests/{tag}",
            headers={"Content-Type": INDEX_TYPE},
            body=body,
        )
        if status != 201:
            raise PublishError(
                f"{self.label}:{tag}: the registry refused the referrers index ({status}): "
                f"{redact(data[:300].decode('utf-8', 'replace'))}"
            )
        return f"tag {tag} (added)"
