"""Which members a change touches: the members whose files changed since a base, plus everything
that depends on them (the reverse closure over the members' declared dependencies).

A change to a file the members share (the root pyproject.toml, uv.lock, noxfile.py, the workflow
callers under .github/workflows/) marks every member, and so does a base that is not in the clone
(a shallow checkout, a typo): testing too much is safe, testing too little is not. The reason is
always given, so a run that tests everything says why.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from typing import Any

from mlrelease._util.git import Repo
from mlrelease.monorepo.members import Workspace

# Root files every member's build depends on (posix globs, relative to the root).
SHARED_FILES = ("pyproject.toml", "uv.lock", "noxfile.py", ".github/workflows/*")


@dataclass(frozen=True)
class Affected:
    """The affected members (in dependency order) and why each is in the set."""

    base: str | None
    members: list[str]
    reasons: dict[str, str] = field(default_factory=dict)  # member -> why
    all_reason: str | None = None  # set when every member is marked at once
    changed: list[str] = field(default_factory=list)

    def as_data(self) -> dict[str, Any]:
        return {
            "base": self.base,
            "all": self.all_reason is not None,
            "reason": self.all_reason,
            "members": [{"name": m, "why": self.reasons[m]} for m in self.members],
            "changed-files": list(self.changed),
        }


def member_of(workspace: Workspace, path: str) -> str | None:
    """The member whose directory holds ``path`` (the deepest one), or None."""
    best: tuple[int, str] | None = None
    for member in workspace.members.values():
        prefix = member.path.rstrip("/") + "/"
        if path.startswith(prefix) and (best is None or len(prefix) > best[0]):
            best = (len(prefix), member.key)
    return best[1] if best else None


def _everything(
    workspace: Workspace, base: str | None, reason: str, changed: list[str]
) -> Affected:
    keys = list(workspace.members)
    return Affected(base, keys, dict.fromkeys(keys, reason), reason, changed)


def changed_files(repo: Repo, base: str) -> list[str] | None:
    """Paths changed between the merge base of ``base`` and HEAD; None when ``base`` is unknown."""
    if repo.query("rev-parse", "--verify", "--quiet", f"{base}^{{commit}}") is None:
        return None
    out = repo.query("diff", "--name-only", "--no-renames", f"{base}...HEAD")
    if out is None:
        return None
    return [line for line in out.splitlines() if line]


def affected(workspace: Workspace, base: str | None) -> Affected:
    """The members changed since ``base`` and their dependents; all of them without a base."""
    if base is None:
        return _everything(workspace, None, "no base to compare against: every member", [])
    files = changed_files(Repo(workspace.root), base)
    if files is None:
        return _everything(
            workspace,
            base,
            f"base {base!r} is not in this clone: every member is affected "
            "(fetch it, e.g. actions/checkout with fetch-depth: 0)",
            [],
        )
    shared = [f for f in files if any(fnmatch.fnmatchcase(f, p) for p in SHARED_FILES)]
    if shared:
        return _everything(
            workspace, base, f"a file every member shares changed: {', '.join(shared[:3])}", files
        )
    reasons: dict[str, str] = {}
    for path in files:
        key = member_of(workspace, path)
        if key is not None and key not in reasons:
            reasons[key] = f"changed: {path}"
    closure = workspace.reverse_closure(set(reasons))
    for key in sorted(closure - set(reasons)):
        via = [d for d in workspace.members[key].depends_on if d in closure]
        reasons[key] = f"depends on {', '.join(via)}"
    members = [k for k in workspace.members if k in reasons]
    return Affected(base, members, reasons, None, files)
