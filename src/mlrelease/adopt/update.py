"""``mlrelease update``: re-render what mlrelease owns for the installed version, keeping local edits.

For each file in the render record (:mod:`mlrelease.adopt.record`): base = the previous render,
ours = the file on disk, theirs = what the installed mlrelease renders from the same answers.
``git merge-file`` merges them. A clash (the repository and mlrelease changed the same lines) leaves
the file with conflict markers labelled ``repository`` and ``mlrelease X.Y.Z``, nothing lost; the
command then exits 1 and names the files. The record is rewritten with the new renders, so the next
update merges from there.
"""

from __future__ import annotations

import dataclasses
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import InvalidVersion, Version

from mlrelease import __version__
from mlrelease._util.runner import run
from mlrelease.adopt import record as rec
from mlrelease.adopt.init import workflows_repo_setting
from mlrelease.errors import EnvironmentProblem, ToolError

# What happened to one owned file.
CURRENT = "current"  # the new render is the previous one: nothing to do
UPDATED = "updated"  # the file had no local edit: it is the new render
MERGED = "merged"  # local edits and the template's change, merged cleanly
CONFLICT = "conflict"  # the same lines changed on both sides: markers in the file
REMOVED = "removed"  # the repository deleted the file: left deleted, no longer managed
UNRESOLVED = "unresolved"  # markers of an earlier conflict are still in the file: left alone
MARKER = "<<<<<<< repository"


@dataclass(frozen=True)
class FileUpdate:
    path: str
    status: str
    before: str | None  # the file on disk
    after: str | None  # what update writes (None: nothing)
    conflicts: int = 0
    newline: str = "\n"  # the file's line ending, kept ("\r\n" on a CRLF checkout)

    @property
    def changes(self) -> bool:
        return self.after is not None and self.after != self.before


@dataclass
class UpdatePlan:
    root: Path
    previous: rec.Record
    record: rec.Record  # the record update writes
    files: list[FileUpdate] = field(default_factory=list)

    @property
    def pending(self) -> list[FileUpdate]:
        return [f for f in self.files if f.status in (UPDATED, MERGED, CONFLICT)]

    @property
    def conflicted(self) -> list[FileUpdate]:
        return [f for f in self.files if f.status in (CONFLICT, UNRESOLVED)]

    @property
    def behind(self) -> bool:
        """Files to re-render, or no record yet (update writes one)."""
        return bool(self.pending or self.conflicted) or not self.previous.recorded

    @property
    def record_changes(self) -> bool:
        current = rec.read_or_none(self.root / rec.RECORD_PATH)
        return current != self.record.text()


def plan_update(root: Path, *, workflows_repo: str | None = None) -> UpdatePlan:
    """Every file update would write in ``root``, computed without writing anything;
    ``workflows_repo`` moves the callers to another workflows repository or ref."""
    previous = rec.load(root) or rec.infer(root)
    answers = dict(previous.answers)
    if workflows_repo:
        repo, ref = workflows_repo_setting(workflows_repo)
        answers["workflows-repo"] = f"{repo}@{ref}"
    if _newer(previous.version, __version__):
        raise EnvironmentProblem(
            f"{rec.RECORD_PATH}: the files were rendered by mlrelease {previous.version}, newer "
            f"than this mlrelease {__version__}: updating would move them back",
            hint=f"upgrade mlrelease to {previous.version} or later (pip install -U mlrelease)",
        )
    files: list[FileUpdate] = []
    renders: dict[str, str] = {}
    for path, base in sorted(previous.files.items()):
        ours = rec.read_or_none(root / path)
        theirs = rec.render(path, answers, __version__, base)
        if ours is None:
            files.append(FileUpdate(path, REMOVED, None, None))
            continue
        renders[path] = base if MARKER in ours else theirs
        if MARKER in ours:
            files.append(FileUpdate(path, UNRESOLVED, ours, None))
        elif theirs in (base, ours):
            files.append(FileUpdate(path, CURRENT, ours, None))
        elif ours == base:
            files.append(FileUpdate(path, UPDATED, ours, theirs))
        else:
            merged, conflicts = merge(ours, base, theirs, previous.version)
            status = CONFLICT if conflicts else MERGED
            files.append(FileUpdate(path, status, ours, merged, conflicts))
        if b"\r\n" in (root / path).read_bytes():  # compared as read: universal newlines
            files[-1] = dataclasses.replace(files[-1], newline="\r\n")
    record = rec.Record(__version__, answers, renders)
    return UpdatePlan(root, previous, record, files)


def _newer(version: str, than: str) -> bool:
    try:
        return Version(version) > Version(than)
    except InvalidVersion:
        return False


def merge(ours: str, base: str, theirs: str, base_version: str) -> tuple[str, int]:
    """``git merge-file`` of the three texts: (the result, the number of conflicts)."""
    labels = (
        "repository",
        f"mlrelease {base_version} (previous render)",
        f"mlrelease {__version__}",
    )
    with tempfile.TemporaryDirectory(prefix="mlrelease-update-") as tmp:
        names = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(tmp) / name
            path.write_bytes(text.encode("utf-8"))
            names.append(str(path))
        argv = ["git", "merge-file", "-p", "--diff3"]
        for label in labels:
            argv += ["-L", label]
        proc = run([*argv, *names], check=False, quiet=True)
    if proc.returncode < 0 or proc.returncode > 127:
        raise ToolError(
            f"git merge-file failed: {proc.stderr.strip()}",
            hint="mlrelease update needs git (2.x) on PATH",
            returncode=proc.returncode,
        )
    return proc.stdout, proc.returncode


def apply(plan: UpdatePlan) -> list[str]:
    """Write the files and the record; the paths written."""
    written = []
    for item in plan.pending:
        if item.after is None or not item.changes:
            continue
        (plan.root / item.path).write_text(item.after, encoding="utf-8", newline=item.newline)
        written.append(item.path)
    if plan.record_changes:
        path = plan.root / rec.RECORD_PATH
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(plan.record.text(), encoding="utf-8")
        written.append(rec.RECORD_PATH)
    return written
