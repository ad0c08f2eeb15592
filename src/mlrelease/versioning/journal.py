"""The release journal: what an ``mlrelease release`` in flight is doing, so that a rerun after a
kill (SIGKILL, a lost CI runner, a closed terminal) finishes it or rolls it back.

It lives inside the git directory (``.git/mlrelease-release.json``, never committed) and is written
atomically *before* each step that changes the repository: the files about to be written with
their bytes before and the SHA-256 of their bytes after, the commit it starts from, the tag, the
branch and whether it pushes. A finished or rolled-back release deletes it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlrelease._util.atomic_write import write_atomic
from mlrelease._util.git import git
from mlrelease.errors import ReleaseError

NAME = "mlrelease-release.json"
FORMAT = 1


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class FileChange:
    """One file the release writes: its bytes before (None: the release creates it) and after."""

    before: bytes | None
    after_sha256: str

    def as_data(self) -> dict[str, Any]:
        before = None if self.before is None else base64.b64encode(self.before).decode("ascii")
        return {"before": before, "after-sha256": self.after_sha256}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> FileChange:
        before = data["before"]
        return cls(None if before is None else base64.b64decode(before), str(data["after-sha256"]))


@dataclass
class Journal:
    version: str
    tag: str
    branch: str
    remote_ref: str
    start: str  # the commit the release started from (the release commit's parent)
    message: str  # the release commit's subject
    push: bool
    step: str = "writing"  # writing -> committing -> tagging -> pushing
    files: dict[str, FileChange] = field(default_factory=dict)

    def as_data(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": self.version,
            "tag": self.tag,
            "branch": self.branch,
            "remote-ref": self.remote_ref,
            "start": self.start,
            "message": self.message,
            "push": self.push,
            "step": self.step,
            "files": {p: c.as_data() for p, c in sorted(self.files.items())},
        }

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Journal:
        return cls(
            version=str(data["version"]),
            tag=str(data["tag"]),
            branch=str(data["branch"]),
            remote_ref=str(data["remote-ref"]),
            start=str(data["start"]),
            message=str(data["message"]),
            push=bool(data["push"]),
            step=str(data["step"]),
            files={str(p): FileChange.from_data(c) for p, c in dict(data["files"]).items()},
        )


def path(root: Path) -> Path:
    """Where the journal of the repository at ``root`` lives (inside its git directory)."""
    return root / git(root, "rev-parse", "--git-path", NAME)


def save(root: Path, journal: Journal, step: str) -> None:
    journal.step = step
    text = json.dumps(journal.as_data(), indent=2) + "\n"
    write_atomic(path(root), text.encode("utf-8"))


def load(root: Path) -> Journal | None:
    where = path(root)
    try:
        data = json.loads(where.read_text(encoding="utf-8"))
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a journal this mlrelease writes")
        return Journal.from_data(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ReleaseError(
            f"{where}: the journal of an interrupted release cannot be read ({exc})",
            hint=f"look at the release commit and tag by hand (git log -1, git tag --points-at "
            f"HEAD), then delete {where} and rerun",
        ) from None


def clear(root: Path) -> None:
    path(root).unlink(missing_ok=True)
