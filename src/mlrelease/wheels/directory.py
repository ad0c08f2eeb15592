"""The embedded feed: a PEP 503 directory under ``.mlrelease/feed`` that pip installs from.

Layout (``pip install --find-links <project>/.mlrelease/feed/simple/<name> <name>`` installs
from it, the dependencies coming from the user's own index; it is a PEP 503 index too)::

    .mlrelease/feed/simple/index.html               the project list
    .mlrelease/feed/simple/<name>/index.html        one anchor per file, with #sha256=
    .mlrelease/feed/simple/<name>/<file>            the files

Same rules as a remote feed: a file already there with the same sha256 is skipped, with another
sha256 it is a conflict. Files and index pages are written to a temporary name and moved into
place, so an interrupted publish never leaves a truncated file or page behind.

Concurrent publishes (two jobs, two terminals) are safe: writers hold an exclusive lock on
``<feed>/.lock`` and a file is put in place with ``os.link`` (which fails when the name exists),
so of two different files under one name exactly one lands and the other is refused as a
conflict. The index pages are rebuilt from the files on disk on every publish, so a publish killed
between the file and its page converges on the rerun; :meth:`DirectoryFeed.verify` checks the pages
list every file with its sha256.
"""

from __future__ import annotations

import contextlib
import errno
import html
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

from mlrelease.errors import PublishError
from mlrelease.wheels.dist import DistFile, is_dist_file, sha256_of
from mlrelease.wheels.feed import (
    Fate,
    FeedTarget,
    IndexEntry,
    conflict_error,
    parse_simple_page,
    reconcile,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: os.link alone keeps a name to one file
    fcntl = None  # type: ignore[assignment]

FEED_DIR = Path(".mlrelease") / "feed"


def feed_root(project_root: Path) -> Path:
    return project_root / FEED_DIR


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        Path(tmp).chmod(0o644)
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _page(title: str, links: list[tuple[str, str]]) -> bytes:
    body = "\n".join(f'    <a href="{html.escape(h)}">{html.escape(t)}</a><br/>' for h, t in links)
    return (
        "<!DOCTYPE html>\n<html>\n  <head><title>"
        + html.escape(title)
        + '</title><meta name="pypi:repository-version" content="1.0"></head>\n  <body>\n'
        + body
        + "\n  </body>\n</html>\n"
    ).encode()


def _not_writable(root: Path, exc: OSError) -> PublishError:
    reason = exc.strerror or type(exc).__name__
    where = exc.filename or root
    return PublishError(
        f"the directory feed {root} is not writable ({where}: {reason}); nothing more was "
        "published",
        hint=f"make {root} writable by this user (or remove it to start a new feed), then rerun: "
        "files already there are skipped",
    )


class DirectoryFeed:
    """A PEP 503 directory feed; no credentials, no network."""

    source = "none needed (a local directory)"

    def __init__(self, target: FeedTarget) -> None:
        if target.directory is None:
            raise ValueError("a directory feed needs a directory")
        self.target = target
        self.root = target.directory
        self.simple = self.root / "simple"

    def _ensure_ignored(self) -> None:
        """``.mlrelease/`` is output: keep it out of git without touching the user's .gitignore."""
        marker = self.root.parent / ".gitignore"
        if not marker.exists():
            _atomic_write(marker, b"# written by mlrelease: everything here is generated\n*\n")

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the feed's writer lock (exclusive, released when the process dies)."""
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.root / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # closing releases the lock

    def listed(self, name: str) -> dict[str, IndexEntry]:
        """The files stored for ``name``; hashes come from the files themselves, not the page."""
        folder = self.simple / name
        try:
            if not folder.is_dir():
                return {}
            return {
                p.name: IndexEntry(p.name, p.as_uri(), sha256_of(p))
                for p in folder.iterdir()
                if is_dist_file(p) and not p.name.startswith(".")
            }
        except OSError as exc:
            raise PublishError(
                f"cannot read the directory feed {self.root}: {exc.strerror or exc}",
                hint=f"make {self.root} readable by this user, then rerun",
            ) from None

    def reconcile(self, files: list[DistFile]) -> list[tuple[DistFile, Fate]]:
        listed: dict[str, IndexEntry] = {}
        for name in sorted({d.name for d in files}):
            listed.update(self.listed(name))
        return reconcile(files, listed, lambda entry: entry.sha256 or "")

    def upload(self, dist: DistFile) -> Fate:
        """Put one file in place (never over another file) and rebuild the pages, under the lock.
        Returns "already published" when a concurrent publish put the same bytes there first."""
        try:
            with self._locked():
                self._ensure_ignored()
                landed = self._place(dist)
                self.write_pages(dist.name)
        except PublishError:
            raise
        except OSError as exc:
            raise _not_writable(self.root, exc) from None
        return landed

    def _place(self, dist: DistFile) -> Fate:
        folder = self.simple / dist.name
        folder.mkdir(parents=True, exist_ok=True)
        final = folder / dist.filename
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(fd)
        try:
            shutil.copyfile(dist.path, tmp)
            Path(tmp).chmod(0o644)
            try:
                os.link(tmp, final)  # atomic, and never replaces a file already there
            except FileExistsError:
                if sha256_of(final) != dist.sha256:
                    raise conflict_error([dist.filename], dist.version) from None
                return "already published"
            except OSError as exc:
                if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK):
                    raise
                # No hard links on this file system: the lock alone keeps the name to one file.
                if final.exists():
                    if sha256_of(final) != dist.sha256:
                        raise conflict_error([dist.filename], dist.version) from None
                    return "already published"
                Path(tmp).replace(final)
        finally:
            Path(tmp).unlink(missing_ok=True)
        return "upload"

    def finish(self, names: list[str]) -> None:
        """Pages from the files on disk: a killed publish converges on the next run."""
        self.sync_pages(names)

    def sync_pages(self, names: list[str]) -> None:
        """Rebuild the pages of ``names`` from the files on disk when they differ (a publish
        killed between a file and its page); writes nothing when they are current."""
        try:
            if all(self._pages_current(n) for n in names):
                return
            with self._locked():
                for name in names:
                    self.write_pages(name)
        except PublishError:
            raise
        except OSError as exc:
            raise _not_writable(self.root, exc) from None

    def _project_page(self, name: str) -> bytes:
        entries = sorted(self.listed(name).values(), key=lambda e: e.filename)
        links = [(f"{quote(e.filename)}#sha256={e.sha256}", e.filename) for e in entries]
        return _page(f"Links for {name}", links)

    def _root_page(self) -> bytes:
        projects = sorted(p.name for p in self.simple.iterdir() if (p / "index.html").is_file())
        return _page("Simple index", [(f"{quote(p)}/", p) for p in projects])

    def _pages_current(self, name: str) -> bool:
        project, root = self.simple / name / "index.html", self.simple / "index.html"
        return (
            project.is_file()
            and root.is_file()
            and project.read_bytes() == self._project_page(name)
            and root.read_bytes() == self._root_page()
        )

    def write_pages(self, name: str) -> None:
        """(Re)write the project page and the root page from what is on disk (hold the lock)."""
        _atomic_write(self.simple / name / "index.html", self._project_page(name))
        _atomic_write(self.simple / "index.html", self._root_page())

    def verify(self, files: list[DistFile]) -> list[str]:
        """Every file is stored with its sha256 *and* listed with it on the project page, and
        the project on the root page."""
        problems = []
        for dist, state in self.reconcile(files):
            if state != "already published":
                problems.append(f"{dist.filename} is not in {self.simple / dist.name}")
        for name in sorted({d.name for d in files}):
            page = self.simple / name / "index.html"
            try:
                listed = parse_simple_page(page.read_text(encoding="utf-8"), page.as_uri())
            except OSError:
                problems.append(f"{page} is missing")
                continue
            for dist in files:
                entry = listed.get(dist.filename) if dist.name == name else None
                if dist.name == name and (entry is None or entry.sha256 != dist.sha256):
                    problems.append(f"{page} does not list {dist.filename} with its sha256")
            root = self.simple / "index.html"
            try:
                projects = parse_simple_page(root.read_text(encoding="utf-8"), root.as_uri())
            except OSError:
                problems.append(f"{root} is missing")
                continue
            if name not in projects:
                problems.append(f"{root} does not list {name}")
        return problems
