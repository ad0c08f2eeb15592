"""Where wheels go, what is already there, and what each file's fate is.

A :class:`FeedTarget` is resolved from ``[tool.mlrelease.publish.feed]`` and validated before any
network call (failure mode 3):

- ``azure-artifacts = { organization, project?, feed }`` derives
  ``https://pkgs.dev.azure.com/<org>[/<project>]/_packaging/<feed>/pypi/upload/`` and its index
  ``.../pypi/simple/``;
- ``upload-url`` (+ ``index-url``, derived when absent: ``.../upload/`` -> ``.../simple/``, else
  ``<upload-url>simple/``) for any feed with the legacy upload API;
- no table at all: the embedded PEP 503 directory feed under ``.mlrelease/feed`` (:mod:`dirfeed`).

Reconciliation compares each built file with the feed's simple index by filename and sha256: same
hash -> already published (skip), other hash -> conflict (versions are immutable), absent -> upload.
It never relies on ``--skip-existing`` or status codes, which differ per server (item 1).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol
from urllib.parse import quote, unquote, urljoin, urlsplit

from mlrelease._util.http import TransportError
from mlrelease._util.redact import url_without_credentials
from mlrelease.auth.feed import ORDER
from mlrelease.config.model import FeedConfig
from mlrelease.errors import AuthError, ConfigError, Problem, PublishError

if TYPE_CHECKING:
    from mlrelease._util.http import Session
    from mlrelease.project import Project
    from mlrelease.wheels.dist import DistFile

AZURE_HOST = "pkgs.dev.azure.com"
AZURE_MAX_MIB = 500
_AZURE_PATH = re.compile(
    r"^/(?P<org>[^/]+)(?:/(?P<project>[^/]+))?/_packaging/(?P<feed>[^/]+)/pypi/(?P<kind>upload|simple)/?$"
)
_LEGACY_AZURE_HOST = re.compile(r"^(?P<org>[^.]+)\.pkgs\.visualstudio\.com$")

Kind = str  # "azure-artifacts", "generic", "directory", or a kind registered in wheels/backends.py
Fate = Literal["upload", "already published", "conflict"]


@dataclass(frozen=True)
class FeedTarget:
    kind: Kind
    upload_url: str  # for "directory": the feed's root as a file:// URL
    index_url: str  # the PEP 503 simple index (ends with /)
    max_bytes: int
    directory: Path | None = None  # only for "directory"
    label: str = ""  # the name people read ("Azure Artifacts feed"); the built-in kinds' by default

    def __post_init__(self) -> None:
        if not self.label:
            object.__setattr__(self, "label", _LABELS.get(self.kind, f"{self.kind} feed"))

    def project_url(self, name: str) -> str:
        """The simple-index page of one project (PEP 503 normalized name)."""
        return urljoin(self.index_url, quote(name) + "/")


_LABELS = {
    "azure-artifacts": "Azure Artifacts feed",
    "generic": "feed",
    "directory": "embedded directory feed",
}

# A feed kind with its own sub-table of [tool.mlrelease.publish.feed] (``artifactory = {...}``):
# the sub-table's parsed dataclass and the file-size cap in bytes -> its validated target.
SubtableResolver = Callable[[Any, int], FeedTarget]


def azure_upload_url(organization: str, project: str | None, feed: str) -> str:
    parts = [organization, *([project] if project else []), "_packaging", feed, "pypi", "upload"]
    return f"https://{AZURE_HOST}/" + "/".join(quote(p, safe="") for p in parts) + "/"


def derived_index_url(upload_url: str) -> str:
    """``.../upload/`` -> ``.../simple/``; otherwise ``<upload-url>/simple/``."""
    base = upload_url if upload_url.endswith("/") else upload_url + "/"
    if base.endswith("/upload/"):
        return base[: -len("upload/")] + "simple/"
    return base + "simple/"


def _problem(key: str, message: str, hint: str) -> ConfigError:
    return ConfigError(problems=[Problem("pyproject.toml", key, message, hint)])


def validate_feed_urls(upload_url: str, index_url: str) -> None:
    """Refuse URL shapes that cannot work, before any network call. Raises ConfigError."""
    key = "tool.mlrelease.publish.feed"
    for which, url in (("upload-url", upload_url), ("index-url", index_url)):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise _problem(f"{key}.{which}", f"must be an http(s) URL, got {url!r}", "")
        if parts.username or parts.password:
            raise _problem(
                f"{key}.{which}",
                "carries credentials in the URL",
                "remove them; set MLRELEASE_FEED_TOKEN (and MLRELEASE_FEED_USERNAME) instead",
            )
    if re.search(r"/\+?simple/?$", urlsplit(upload_url).path):
        raise _problem(
            f"{key}.upload-url",
            f"{upload_url!r} is a simple-index URL, not an upload URL",
            "move it to index-url; the upload URL is usually the same path without /simple "
            "(Azure Artifacts: .../_packaging/<feed>/pypi/upload/)",
        )
    if re.search(r"/upload/?$", urlsplit(index_url).path):
        raise _problem(
            f"{key}.index-url",
            f"{index_url!r} is an upload URL, not a simple index",
            "use the .../simple/ URL of the feed for index-url",
        )
    for which, url in (("upload-url", upload_url), ("index-url", index_url)):
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        if host == AZURE_HOST or _LEGACY_AZURE_HOST.match(host):
            match = _AZURE_PATH.match(parts.path)
            want = "upload" if which == "upload-url" else "simple"
            if match is None or match["kind"] != want:
                raise _problem(
                    f"{key}.{which}",
                    f"{url!r} is not an Azure Artifacts {want} URL",
                    f"the shape is https://{AZURE_HOST}/<org>[/<project>]/_packaging/<feed>/pypi/"
                    f"{want}/; simpler: azure-artifacts = {{ organization, project, feed }}",
                )


def resolve_target(
    project: Project, subtables: Mapping[str, SubtableResolver] | None = None
) -> FeedTarget:
    """The configured feed, validated; the embedded directory feed when none is configured.

    ``subtables``: the registered kinds with their own sub-table (``FEED_BACKENDS`` entries with a
    ``target``), by kind; the sub-table is the feed table's attribute of that name."""
    feed: FeedConfig | None = project.config.publish.feed
    if feed is None:
        root = feed_root(project.output_root)
        return FeedTarget(
            kind="directory",
            upload_url=root.as_uri() + "/",
            index_url=(root / "simple").as_uri() + "/",
            max_bytes=AZURE_MAX_MIB * 1024 * 1024,
            directory=root,
        )
    max_bytes = feed.max_file_size_mib * 1024 * 1024
    for name, resolver in (subtables or {}).items():
        table = getattr(feed, name.replace("-", "_"), None)
        if table is not None:
            return resolver(table, max_bytes)
    if feed.azure_artifacts is not None:
        az = feed.azure_artifacts
        upload = azure_upload_url(az.organization, az.project, az.feed)
        return FeedTarget("azure-artifacts", upload, derived_index_url(upload), max_bytes)
    if not feed.upload_url:  # config.py refuses this already; keep the type checker honest
        raise _problem("tool.mlrelease.publish.feed", "names no feed", "set upload-url")
    upload = feed.upload_url if feed.upload_url.endswith("/") else feed.upload_url + "/"
    index = feed.index_url or derived_index_url(upload)
    index = index if index.endswith("/") else index + "/"
    validate_feed_urls(upload, index)
    host = (urlsplit(upload).hostname or "").lower()
    kind: Kind = "azure-artifacts" if host == AZURE_HOST else "generic"
    return FeedTarget(kind, upload, index, max_bytes)


# --- the simple index --------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexEntry:
    filename: str
    url: str  # absolute download URL, without fragment
    sha256: str | None  # from the #sha256= fragment, when the index carries one


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            href = dict(attrs).get("href")
            if href:
                self.hrefs.append(href)


def parse_simple_page(html: str, page_url: str) -> dict[str, IndexEntry]:
    """Files listed on a PEP 503 project page, by filename."""
    parser = _Anchors()
    parser.feed(html)
    entries: dict[str, IndexEntry] = {}
    for href in parser.hrefs:
        url, _, fragment = urljoin(page_url, href).partition("#")
        filename = unquote(urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1])
        if not filename:
            continue
        sha = None
        for part in fragment.split("&"):
            algo, _, value = part.partition("=")
            if algo == "sha256" and re.fullmatch(r"[0-9a-fA-F]{64}", value):
                sha = value.lower()
        entries[filename] = IndexEntry(filename, url, sha)
    return entries


def auth_failure(target: FeedTarget, status: int, url: str, source: str) -> AuthError:
    """A 401/403 as a message naming the credential source and the role needed (item 6)."""
    shown = url_without_credentials(url)
    what = "rejected the credentials" if status == 401 else "refused access with the credentials"
    role = (
        "the identity needs the Feed Publisher (Contributor) role on the feed (Azure DevOps: "
        "Artifacts > feed settings > Permissions), or a PAT with Packaging (Read & write)"
        if target.kind == "azure-artifacts"
        else "the account needs upload (write) permission on the feed"
    )
    if source:
        used = f"credentials came from {source}"
    else:
        what = "refused the request" if status == 403 else "asked for credentials"
        used = f"no credentials were found (looked in: {ORDER})"
    return AuthError(
        f"{shown} {what} (HTTP {status}); {used}",
        hint=f"{role}; check the token is current "
        "(MLRELEASE_FEED_TOKEN / MLRELEASE_FEED_USERNAME, or the Azure login)",
    )


def read_index(
    session: Session, target: FeedTarget, name: str, *, source: str
) -> dict[str, IndexEntry]:
    """The files the feed lists for project ``name`` (empty when the project is unknown)."""

    url = target.project_url(name)
    try:
        resp = session.get(url)
    except TransportError as exc:
        raise PublishError(
            f"cannot reach the feed's index: {exc.message}",
            hint=f"{exc.hint}; nothing was uploaded",
        ) from None
    if resp.status == 404:
        return {}
    if resp.status in (401, 403):
        raise auth_failure(target, resp.status, url, source)
    if not resp.ok:
        raise PublishError(
            f"the feed's index {url_without_credentials(url)} answered HTTP {resp.status}",
            hint="check index-url in [tool.mlrelease.publish.feed]; " + resp.text(300),
        )
    return parse_simple_page(resp.body.decode("utf-8", "replace"), resp.url)


def fate(dist: DistFile, entry: IndexEntry | None, remote_sha256: str | None) -> Fate:
    """``remote_sha256`` is the listed (or downloaded) hash of ``entry``."""
    if entry is None:
        return "upload"
    return "already published" if remote_sha256 == dist.sha256 else "conflict"


def conflict_error(conflicts: list[str], version: str) -> PublishError:
    files = ", ".join(conflicts)
    return PublishError(
        f"{files} {'is' if len(conflicts) == 1 else 'are'} already on the feed with different "
        f"content; versions are immutable there: release a new version (not {version})",
        hint="nothing was uploaded; bump the version (`mlrelease release`) and rebuild",
    )


HashFetcher = Callable[["IndexEntry"], str]


def reconcile(
    files: list[DistFile], listed: dict[str, IndexEntry], remote_hash: HashFetcher
) -> list[tuple[DistFile, Fate]]:
    """Each file's fate; ``remote_hash`` downloads and hashes an entry without a listed hash."""
    out: list[tuple[DistFile, Fate]] = []
    for dist in files:
        entry = listed.get(dist.filename)
        sha = None if entry is None else (entry.sha256 or remote_hash(entry))
        out.append((dist, fate(dist, entry, sha)))
    return out


# --- mlrelease plan ----------------------------------------------------------------------------


class Feed(Protocol):
    @property
    def source(self) -> str: ...

    def reconcile(self, files: list[DistFile]) -> list[tuple[DistFile, Fate]]: ...

    def upload(self, dist: DistFile) -> Fate: ...

    def verify(self, files: list[DistFile]) -> list[str]: ...

    def finish(self, names: list[str]) -> None:
        """After the uploads of projects ``names``, before :meth:`verify`."""


FEED_DIR = Path(".mlrelease") / "feed"


def feed_root(project_root: Path) -> Path:
    return project_root / FEED_DIR
