"""Uploads to a remote feed with the legacy upload API (what twine speaks), made safe to repeat.

One multipart ``POST`` per file, streamed from disk (``:action=file_upload``, ``protocol_version=1``,
the core metadata fields, and md5/sha256/blake2-256 digests, as twine sends them). After *any*
upload error the feed's index is read again before deciding (failure modes 1-2):

- listed with the same sha256 -> the upload landed (e.g. a 502 or a dropped connection after the
  server stored it): done, exactly one copy;
- listed with another sha256 -> conflict: versions are immutable;
- not listed -> retry (connection errors, 5xx, 429) with the bounded backoff of :mod:`http`,
  or fail with the server's answer.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.metadata import parse_email

from mlrelease._util import console
from mlrelease._util.http import CHUNK, Session, TransportError, is_retryable_status
from mlrelease._util.redact import url_without_credentials
from mlrelease._util.runner import echo
from mlrelease.errors import PublishError
from mlrelease.wheels.dist import DistFile, read_metadata
from mlrelease.wheels.feed import (
    Fate,
    FeedTarget,
    IndexEntry,
    auth_failure,
    conflict_error,
    read_index,
    reconcile,
)

if TYPE_CHECKING:
    from mlrelease.auth.feed import FeedCredential

# packaging's RawMetadata field -> upload form field (as twine and warehouse name them).
_FORM_FIELDS = {
    "metadata_version": "metadata_version",
    "name": "name",
    "version": "version",
    "platforms": "platform",
    "summary": "summary",
    "description": "description",
    "keywords": "keywords",
    "home_page": "home_page",
    "author": "author",
    "author_email": "author_email",
    "license": "license",
    "supported_platforms": "supported_platform",
    "download_url": "download_url",
    "classifiers": "classifiers",
    "requires": "requires",
    "provides": "provides",
    "obsoletes": "obsoletes",
    "maintainer": "maintainer",
    "maintainer_email": "maintainer_email",
    "requires_dist": "requires_dist",
    "provides_dist": "provides_dist",
    "obsoletes_dist": "obsoletes_dist",
    "requires_python": "requires_python",
    "requires_external": "requires_external",
    "project_urls": "project_urls",
    "description_content_type": "description_content_type",
    "provides_extra": "provides_extra",
    "dynamic": "dynamic",
    "license_expression": "license_expression",
    "license_files": "license_file",
}


def form_fields(dist: DistFile) -> list[tuple[str, str]]:
    """The upload form of one file (everything but the content)."""
    raw, _unparsed = parse_email(read_metadata(dist.path))
    fields: list[tuple[str, str]] = []
    for key, value in raw.items():
        name = _FORM_FIELDS.get(key)
        if name is None:
            continue
        if isinstance(value, dict):
            fields.extend((name, f"{k}, {v}") for k, v in value.items())
        elif isinstance(value, list) and key == "keywords":
            fields.append((name, ", ".join(value)))
        elif isinstance(value, list):
            fields.extend((name, str(v)) for v in value)
        else:
            fields.append((name, str(value)))
    fields = [(k, v) for k, v in fields if k != "name"]
    fields.insert(0, ("name", str(raw.get("name", dist.name))))
    fields += [
        ("filetype", dist.filetype),
        ("pyversion", dist.pyversion),
        ("md5_digest", dist.md5),
        ("sha256_digest", dist.sha256),
        ("blake2_256_digest", dist.blake2_256),
        (":action", "file_upload"),
        ("protocol_version", "1"),
    ]
    return fields


@dataclass(frozen=True)
class MultipartBody:
    """A multipart/form-data body streamed from disk; iterate it once per attempt."""

    fields: list[tuple[str, str]]
    path: Path
    filename: str
    boundary: str = field(default_factory=lambda: "mlrelease-" + secrets.token_hex(16))

    def _head(self) -> bytes:
        parts = []
        for name, value in self.fields:
            parts.append(
                f'--{self.boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode("utf-8")
                + b"\r\n"
            )
        quoted = self.filename.replace('"', "%22")
        parts.append(
            f"--{self.boundary}\r\nContent-Disposition: form-data; "
            f'name="content"; filename="{quoted}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n".encode()
        )
        return b"".join(parts)

    def _tail(self) -> bytes:
        return f"\r\n--{self.boundary}--\r\n".encode()

    @property
    def content_type(self) -> str:
        return f"multipart/form-data; boundary={self.boundary}"

    def length(self) -> int:
        return len(self._head()) + self.path.stat().st_size + len(self._tail())

    def __iter__(self) -> Iterator[bytes]:
        yield self._head()
        with self.path.open("rb") as fh:
            while chunk := fh.read(CHUNK):
                yield chunk
        yield self._tail()


class RemoteFeed:
    """A PyPI-compatible feed over HTTP (Azure Artifacts, pypiserver, devpi, Artifactory...)."""

    def __init__(self, target: FeedTarget, credential: FeedCredential, session: Session) -> None:
        self.target = target
        self.credential = credential
        self.session = session
        self._hashes: dict[str, str] = {}

    @property
    def source(self) -> str:
        return self.credential.source

    def listed(self, name: str) -> dict[str, IndexEntry]:
        return read_index(self.session, self.target, name, source=self.source)

    def remote_hash(self, entry: IndexEntry) -> str:
        """sha256 of a listed file, downloading it when the index carries no hash."""
        if entry.sha256:
            return entry.sha256
        if entry.url not in self._hashes:
            self._hashes[entry.url] = self._download_hash(entry)
        return self._hashes[entry.url]

    def _download_hash(self, entry: IndexEntry) -> str:
        """The sha256 of a listed file, streamed (at most the feed's file-size cap)."""
        shown = url_without_credentials(entry.url)
        try:
            resp, digest = self.session.sha256_of(entry.url, max_bytes=self.target.max_bytes)
        except TransportError as exc:
            raise PublishError(
                f"cannot download {entry.filename} from {shown} to compare it: {exc.reason}",
                hint="the index lists the file without a sha256, so mlrelease downloads it to "
                f"compare; {exc.hint}",
            ) from None
        if resp.status in (401, 403):
            raise auth_failure(self.target, resp.status, entry.url, self.source)
        if not resp.ok:
            raise PublishError(
                f"cannot download {shown} to compare it (HTTP {resp.status})",
                hint="the index lists the file without a sha256; check read permission",
            )
        return digest

    def reconcile(self, files: list[DistFile]) -> list[tuple[DistFile, Fate]]:
        names = sorted({d.name for d in files})
        listed: dict[str, IndexEntry] = {}
        for name in names:
            listed.update(self.listed(name))
        return reconcile(files, listed, self.remote_hash)

    def _state(self, dist: DistFile) -> Fate:
        entry = self.listed(dist.name).get(dist.filename)
        return reconcile(
            [dist], {} if entry is None else {entry.filename: entry}, self.remote_hash
        )[0][1]

    def upload(self, dist: DistFile, progress: console.Progress | None = None) -> Fate:
        """Upload one file and return "upload" once the feed has it (confirmed on the index when
        an attempt failed). Raises PublishError when it cannot be made to land. ``progress`` is
        told (bytes sent, bytes in all) while the body goes out; by default the console shows it."""
        body = MultipartBody(form_fields(dist), dist.path, dist.filename)
        length = body.length()
        if progress is None:
            progress = console.progress(f"uploading {dist.filename}", length)
        counted = console.CountedChunks(body, length, progress)
        delays = self.session.backoff.delays()
        url = self.target.upload_url
        shown = url_without_credentials(url)
        while True:
            failure: str
            retryable: bool
            try:
                resp = self.session.post(
                    url, counted, length=length, content_type=body.content_type
                )
            except TransportError as exc:
                failure, retryable = f"connection failed: {exc.reason}", exc.retryable
            else:
                if resp.ok:
                    return "upload"
                if resp.status in (401, 403):
                    raise auth_failure(self.target, resp.status, url, self.source)
                if resp.status == 413:
                    raise PublishError(
                        f"{shown} refused {dist.filename} as too large (HTTP 413)",
                        hint="lower publish.feed.max-file-size-mib to the feed's real limit "
                        "and make the file smaller",
                    )
                failure = f"HTTP {resp.status} {resp.text(300)}".strip()
                retryable = is_retryable_status(resp.status)
            # Whatever happened, the index decides whether the file is there.
            state = self._state(dist)
            if state == "already published":  # this attempt landed; only its answer was lost
                echo(
                    f"  {dist.filename}: the upload answered {failure}, but the file is on the feed"
                )
                return "upload"
            if state == "conflict":
                raise conflict_error([dist.filename], dist.version)
            delay = next(delays, None) if retryable else None
            if delay is None:
                raise PublishError(
                    f"uploading {dist.filename} to {shown} failed: {failure}",
                    hint="the file is not on the feed; rerun `mlrelease publish wheels` "
                    "(files already there are skipped)",
                )
            echo(f"  {dist.filename}: {failure}; not on the feed, retrying in {delay:.1f} s")
            self.session.sleep(delay)

    def finish(self, names: list[str]) -> None:
        """Nothing to do: the server keeps its own index."""

    def verify(self, files: list[DistFile]) -> list[str]:
        """Problems with the published state: every file listed with the expected sha256."""
        problems = []
        for dist, state in self.reconcile(files):
            if state == "upload":
                problems.append(f"{dist.filename} is not listed on {self.target.index_url}")
            elif state == "conflict":
                problems.append(f"{dist.filename} is listed with a different sha256")
        return problems
