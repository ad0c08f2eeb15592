"""The one git wrapper: every git command mlrelease runs goes through :func:`runner.run`.

:class:`Repo` is a working tree; its queries never raise for a missing repository or a missing git
(they answer ``None`` / ``""``), while :meth:`Repo.out` with ``check=True`` raises
:class:`~mlrelease.errors.ToolError` with git's own message.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from mlrelease._util.runner import Result, run
from mlrelease.errors import ToolError


@dataclass(frozen=True)
class Repo:
    root: Path

    def run(self, *args: str, check: bool = False) -> Result:
        """``git ARGS`` in the working tree, not echoed (a missing git is exit code 127)."""
        try:
            return run(["git", *args], cwd=self.root, check=check, quiet=True)
        except ToolError:
            if check:
                raise
            return Result(("git", *args), 127, "", "git is not installed")

    def out(self, *args: str, check: bool = True) -> str:
        """Stripped stdout of ``git ARGS`` ("" when it fails and ``check`` is off)."""
        result = self.run(*args, check=check)
        return result.stdout.strip() if result.returncode == 0 else ""

    def query(self, *args: str) -> str | None:
        """Stripped stdout, or None when git fails (not a repository, unknown ref, no git)."""
        result = self.run(*args)
        return result.stdout.strip() if result.returncode == 0 else None

    def is_repository(self) -> bool:
        return self.query("rev-parse", "--git-dir") is not None

    def head_sha(self) -> str | None:
        return self.query("rev-parse", "HEAD")

    def last_commit_epoch(self) -> int | None:
        """Committer time of HEAD; None outside git or before a commit."""
        out = self.query("log", "-1", "--format=%ct")
        return int(out) if out and out.isdigit() else None

    def remote_url(self, remote: str = "origin") -> str | None:
        return self.query("remote", "get-url", remote)


def git(root: Path, *args: str, check: bool = True) -> str:
    """``Repo(root).out(*args)``: a git query's stripped stdout."""
    return Repo(root).out(*args, check=check)


def source_date_epoch(root: Path) -> int | None:
    """``SOURCE_DATE_EPOCH`` when set, else the committer time of HEAD (reproducible builds)."""
    raw = os.environ.get("SOURCE_DATE_EPOCH", "")
    if raw.isdigit():
        return int(raw)
    return Repo(root).last_commit_epoch()


def blob(root: Path, rev: str, path: str) -> bytes | None:
    """The exact bytes of ``path`` (relative to ``root``) at commit ``rev`` (None when absent)."""
    proc = subprocess.run(
        ["git", "cat-file", "blob", f"{rev}:./{path}"],
        cwd=root,
        capture_output=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return proc.stdout if proc.returncode == 0 else None
