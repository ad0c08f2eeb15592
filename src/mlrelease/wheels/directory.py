"""The embedded feed: a PEP 503 directory under ``.mlrelease/feed`` that pip installs from.

Layout (``pip install --index-url file://<project>/.mlrelease/feed/simple/ <name>`` reads it)::

    .mlrelease/feed/simple/index.html               the project list
    .mlrelease/feed/simple/<name>/index.html        one anchor per file, with #sha256=
    .mlrelease/feed/simple/<name>/<file>            the files

Same rules as a remote feed: a file already there with the same sha256 is skipped, with another
sha256 it is a conflict. Files and index pages are written to a temporary name and renamed, so an
interrupted publish never leaves a truncated file or page behind.
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import quote

from mlrelease.wheels.dist import DistFile, is_dist_file, sha256_of
from mlrelease.wheels.feed import Fate, FeedTarget, IndexEntry, reconcile


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

    def listed(self, name: str) -> dict[str, IndexEntry]:
        """The files stored for ``name``; hashes come from the files themselves, not the page."""
        folder = self.simple / name
        if not folder.is_dir():
            return {}
        return {
            p.name: IndexEntry(p.name, p.as_uri(), sha256_of(p))
            for p in folder.iterdir()
            if is_dist_file(p) and not p.name.startswith(".")
        }

    def reconcile(self, files: list[DistFile]) -> list[tuple[DistFile, Fate]]:
        listed: dict[str, IndexEntry] = {}
        for name in sorted({d.name for d in files}):
            listed.update(self.listed(name))
        return reconcile(files, listed, lambda entry: entry.sha256 or "")

    def upload(self, dist: DistFile) -> Fate:
        self._ensure_ignored()
        folder = self.simple / dist.name
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
        os.close(fd)
        try:
            shutil.copyfile(dist.path, tmp)
            Path(tmp).chmod(0o644)
            Path(tmp).replace(folder / dist.filename)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.write_pages(dist.name)
        return "upload"

    def write_pages(self, name: str) -> None:
        """(Re)write the project page and the root page from what is on disk."""
        folder = self.simple / name
        entries = sorted(self.listed(name).values(), key=lambda e: e.filename)
        links = [(f"{quote(e.filename)}#sha256={e.sha256}", e.filename) for e in entries]
        _atomic_write(folder / "index.html", _page(f"Links for {name}", links))
        projects = sorted(p.name for p in self.simple.iterdir() if (p / "index.html").is_file())
        _atomic_write(
            self.simple / "index.html",
            _page("Simple index", [(f"{quote(p)}/", p) for p in projects]),
        )

    def verify(self, files: list[DistFile]) -> list[str]:
        problems = []
        for dist, state in self.reconcile(files):
            if state != "already published":
                problems.append(f"{dist.filename} is not in {self.simple / dist.name}")
        page = self.simple / "index.html"
        if not page.is_file():
            problems.append(f"{page} is missing")
        return problems
