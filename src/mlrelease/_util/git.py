"""Small read-only git queries shared by the stages (versioning has its own, richer module)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path


def run_git(root: Path, *args: str) -> tuple[int, str]:
    """``git ARGS`` in ``root``: (exit code, stripped stdout); 127 when git is not installed."""
    if shutil.which("git") is None:
        return 127, ""
    proc = subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=False,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return proc.returncode, proc.stdout.strip()


def _git(root: Path, *args: str) -> str | None:
    code, out = run_git(root, *args)
    return out if code == 0 else None


def is_repository(root: Path) -> bool:
    return _git(root, "rev-parse", "--git-dir") is not None


def head_sha(root: Path) -> str | None:
    return _git(root, "rev-parse", "HEAD")


def last_commit_epoch(root: Path) -> int | None:
    """Committer time of HEAD (for SOURCE_DATE_EPOCH); None outside git or before a commit."""
    out = _git(root, "log", "-1", "--format=%ct")
    return int(out) if out and out.isdigit() else None


def tags_at_head(root: Path) -> list[str]:
    out = _git(root, "tag", "--points-at", "HEAD")
    return out.split() if out else []


def remote_url(root: Path, remote: str = "origin") -> str | None:
    return _git(root, "remote", "get-url", remote)
