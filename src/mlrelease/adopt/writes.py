"""How ``mlrelease init`` writes its changes without losing or leaking a user's file.

- **Inside the repository only.** Each target is resolved (symlinks in any part of the path
  followed) and must stay under the resolved repository root; a target that leaves it (a symlinked
  ``pyproject.toml``, ``noxfile.py`` or ``.github`` pointing elsewhere) is refused before anything
  is written, naming the path and where it leads. A symlink inside the repository is written
  through (its target is updated, the link stays).
- **Line endings kept.** A CRLF file stays CRLF, including the lines init adds; text appended to a
  file keeps the existing bytes exactly (a missing final newline gets one before the addition).
- **A recoverable copy.** An existing file whose text is replaced rather than appended to (``--force``
  over a noxfile, workflow or Dockerfile; the noxfile registration) is first copied byte for byte
  to ``.mlrelease/backup/<UTC time>/<path>`` (``.mlrelease/`` is ignored by git), printed.
- **Atomic.** Each file is written to a temporary file in its directory and renamed over the
  target, so a failed or killed init leaves each file either as it was or as planned.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from mlrelease._util.atomic_write import write_atomic
from mlrelease.errors import EnvironmentProblem

BACKUP_DIR = ".mlrelease/backup"


class PlannedChange(Protocol):
    @property
    def path(self) -> str: ...
    @property
    def old(self) -> str | None: ...
    @property
    def new(self) -> str: ...
    @property
    def why(self) -> str: ...


def inside(root: Path, rel: str) -> Path:
    """The real path ``rel`` names under ``root``, refused when it leads out of the repository."""
    base = root.resolve()
    target = (root / rel).resolve()
    if target != base and base not in target.parents:
        raise EnvironmentProblem(
            f"{rel} leads outside the repository (to {target}) through a symlink; mlrelease init "
            "never writes outside the repository, so nothing was written",
            hint=f"replace the symlink with a real file or directory (or remove {rel}), then "
            "rerun mlrelease init",
        )
    if target.is_dir():
        raise EnvironmentProblem(
            f"{rel} is a directory where mlrelease init writes a file; nothing was written",
            hint=f"move {rel} away, then rerun mlrelease init",
        )
    return target


def encoded(old: bytes | None, new: str) -> bytes:
    """``new`` as bytes in the line-ending style of ``old``; an append keeps ``old`` exactly."""
    if old is None:
        return new.encode("utf-8")
    text = old.decode("utf-8")
    crlf = text.count("\r\n")
    newline = "\r\n" if crlf and crlf >= text.count("\n") - crlf else "\n"
    normalized = text.replace("\r\n", "\n")
    if new.startswith(normalized):
        added = new[len(normalized) :]
        return old + added.replace("\n", newline).encode("utf-8")
    return new.replace("\n", newline).encode("utf-8")


def is_append(old: str | None, new: str) -> bool:
    return old is None or new.startswith(old)


def apply(
    root: Path, changes: Sequence[PlannedChange], *, now: _dt.datetime | None = None
) -> list[str]:
    """Write ``changes`` under ``root``; return one line per file written or backed up.

    Every target is checked before the first write, so a refusal writes nothing."""
    targets = {c.path: inside(root, c.path) for c in changes}
    stamp = (now or _dt.datetime.now(_dt.timezone.utc)).strftime("%Y%m%dT%H%M%S.%fZ")
    backups = {
        c.path: inside(root, f"{BACKUP_DIR}/{stamp}/{c.path}")
        for c in changes
        if c.old is not None and not is_append(c.old, c.new)
    }
    lines: list[str] = []
    for change in changes:
        target = targets[change.path]
        try:
            old = target.read_bytes() if target.exists() else None
            if change.path in backups and old is not None:
                backup = backups[change.path]
                write_atomic(backup, old)
                lines.append(f"backed up {change.path} to {backup.relative_to(root.resolve())}")
            write_atomic(target, encoded(old, change.new))
        except (OSError, UnicodeDecodeError) as exc:
            done = "; ".join(lines) or "nothing"
            raise EnvironmentProblem(
                f"could not write {change.path}: {exc}; it is as it was (written before it: "
                f"{done})",
                hint="fix the cause (permissions, disk space, encoding), then rerun mlrelease init",
            ) from None
        verb = "created" if change.old is None else "updated"
        lines.append(f"{verb} {change.path}: {change.why}")
    return lines
