"""Per-member versions of a monorepo, from the conventional commits that touch each member.

A member's commits are those since its last tag (``<name>-v{version}`` by default) that change a
file under its directory (``git log -- <member>``); the bump is the largest they make (breaking:
major, or minor on 0.x unless ``major-on-zero``; feat: minor; fix/perf: patch). A member with no
tag yet is released at the version its pyproject states.

Members are considered in dependency order: when a member is released, every member that depends
on it is released too (a patch at least), with its requirement on it raised to ``>=new``, so no
published wheel names a sibling version that was never published.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import Version

from mlrelease._util.console import counted
from mlrelease._util.git import git
from mlrelease.monorepo.members import Member, Workspace, normalize
from mlrelease.project import Project
from mlrelease.versioning import rules
from mlrelease.versioning.versions import (
    Commit,
    commit_units,
    format_tag,
    head_year,
    is_calver,
    last_release,
    normalize_version,
    parse_version,
)

_SEP = "\x1f"
_END = "\x1e"
ORDER = ("none", "patch", "minor", "major")


@dataclass
class MemberVersion:
    """What one member's release would be, and why."""

    member: Member
    project: Project
    current_tag: str | None
    current_version: str | None
    next_version: str | None = None
    tag: str | None = None
    bump: str = "none"
    commits: list[Commit] = field(default_factory=list)
    why: list[str] = field(default_factory=list)
    raised: dict[str, str] = field(default_factory=dict)  # sibling -> new requirement string

    @property
    def releasable(self) -> bool:
        return self.next_version is not None

    def as_data(self) -> dict[str, Any]:
        return {
            "member": self.member.key,
            "path": self.member.path,
            "current-version": self.current_version,
            "current-tag": self.current_tag,
            "next-version": self.next_version,
            "tag": self.tag,
            "bump": self.bump,
            "release": self.releasable,
            "why": list(self.why),
            "raised-requirements": dict(self.raised),
            "commits": [c.as_data() for c in self.commits],
        }


def member_commits(root: Path, member: Member, since_tag: str | None) -> list[Commit]:
    """Commits after ``since_tag`` that change files of ``member``, oldest first, no merges."""
    rev = f"{since_tag}..HEAD" if since_tag else "HEAD"
    out = git(
        root,
        "log",
        "--no-merges",
        "--reverse",
        f"--format=%H{_SEP}%B{_END}",
        rev,
        "--",
        member.path,
        check=False,
    )
    commits = []
    for record in out.split(_END):
        if _SEP in record:
            sha, _, message = record.strip().partition(_SEP)
            commits += commit_units(sha, message)
    return commits


def commit_bump(commits: list[Commit], current: str | None, major_on_zero: bool) -> str:
    """The largest bump ``commits`` make: none, patch, minor or major."""
    best = "none"
    for c in commits:
        bump = c.bump or "none"
        if bump == "major" and current and parse_version(current).major == 0 and not major_on_zero:
            bump = "minor"
        if ORDER.index(bump) > ORDER.index(best):
            best = bump
    return best


def bumped(version: str, bump: str, year: int | None = None) -> str:
    """``version`` raised by ``bump``; a calendar version follows the calendar rule instead (the
    year of HEAD's commit, ``year``), never SemVer."""
    if year is not None and is_calver(version):
        v = Version(version)
        final = rules.calver_next(v, v, bump, year, prerelease=False, token="rc")  # noqa: S106
        return str(final)
    v = parse_version(version)
    major, minor, patch = [*v.release, 0, 0, 0][:3]
    if bump == "major":
        return f"{major + 1}.0.0"
    if bump == "minor":
        return f"{major}.{minor + 1}.0"
    return f"{major}.{minor}.{patch + 1}"


def plan_versions(workspace: Workspace, projects: list[Project]) -> list[MemberVersion]:
    """Every member's next version, in dependency order (dependents follow their dependencies)."""
    plans: dict[str, MemberVersion] = {}
    for member, project in zip(workspace.ordered(), projects, strict=True):
        cfg = project.config.version
        last = last_release(workspace.root, cfg.tag_format)
        mv = MemberVersion(member, project, last[0] if last else None, last[1] if last else None)
        mv.commits = member_commits(workspace.root, member, mv.current_tag)
        bump = commit_bump(mv.commits, mv.current_version, cfg.major_on_zero)
        if bump != "none":
            releasable = counted(sum(1 for c in mv.commits if c.bump), "releasable commit")
            mv.why.append(f"{bump}: {releasable}")
        for dep in member.depends_on:
            released = plans[dep]
            if released.next_version is None:
                continue
            mv.raised[dep] = raised_requirement(member.requires[dep], released.next_version)
            mv.why.append(f"patch: depends on {dep}, released as {released.next_version}")
            bump = bump if bump != "none" else "patch"
        if bump != "none":
            if mv.current_version is None:
                base = project.static_version or "0.1.0"
                mv.next_version, mv.bump = normalize_version(base), "initial"
            else:
                year = head_year(workspace.root)
                mv.next_version, mv.bump = bumped(mv.current_version, bump, year), bump
            mv.tag = format_tag(cfg.tag_format, mv.next_version)
        plans[member.key] = mv
    return list(plans.values())


def raised_requirement(requirement: str, version: str) -> str:
    """``"fs-features>=0.1; python_version>'3'"`` -> ``"fs-features>=0.2.0; ..."``: the version
    part replaced by ``>=version``, extras and markers kept."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[^\]]*\])?\s*([^;]*)(;.*)?$", requirement)
    if m is None:
        return requirement
    name, extras, _, marker = m.groups()
    return f"{name}{extras or ''}>={version}" + (f" {marker.strip()}" if marker else "")


def raise_requirements(pyproject: Path, raised: dict[str, str]) -> None:
    """Rewrite each sibling's requirement string in ``[project].dependencies`` in place (the
    rest of the file keeps its bytes)."""
    text = pyproject.read_text(encoding="utf-8")
    quoted = re.compile(r"""(["'])\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?=[\s\[<>=!~;,"'])[^"']*\1""")

    def swap(m: re.Match[str]) -> str:
        new = raised.get(normalize(m.group(2)))
        return f"{m.group(1)}{new}{m.group(1)}" if new else m.group(0)

    text = _in_dependencies(text, lambda block: quoted.sub(swap, block))
    pyproject.write_text(text, encoding="utf-8")


def _in_dependencies(text: str, edit: Callable[[str], str]) -> str:
    """Apply ``edit`` to the ``dependencies = [...]`` array of the ``[project]`` table only."""
    project = re.search(r"(?m)^\[project\]\s*$", text)
    if project is None:
        return text
    m = re.compile(r"(?ms)^dependencies\s*=\s*\[.*?\]").search(text, project.end())
    following = re.compile(r"(?m)^\[").search(text, project.end())
    if m is None or (following is not None and following.start() < m.start()):
        return text
    return text[: m.start()] + edit(m.group(0)) + text[m.end() :]
