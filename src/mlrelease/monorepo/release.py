"""``mlrelease release`` at a monorepo root: every member with releasable changes, in dependency
order, in one commit with one tag per member, pushed atomically (the branch and every tag in one
``git push --atomic``). The refusals are the single package's (:mod:`mlrelease.versioning.refusals`):
a shallow clone, a detached HEAD, a branch that does not release, a dirty tree, an upstream that
moved, a HEAD that is not the commit CI tested. A failed commit or push undoes every local change.

As for a single package, the plan is a list of typed steps that describe and run themselves: the
dry run prints the steps the release then runs, in that order.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from mlrelease._util.git import git
from mlrelease._util.runner import echo, run
from mlrelease.errors import MlreleaseError, ReleaseError
from mlrelease.monorepo.members import Workspace
from mlrelease.monorepo.versions import MemberVersion, plan_versions, raise_requirements
from mlrelease.project import Project
from mlrelease.versioning.changelog import update_changelog
from mlrelease.versioning.refusals import (
    check_expected_commit,
    check_repository,
    check_untracked_outputs,
    check_upstream,
)
from mlrelease.versioning.release_steps import DescribedStep, KeepLocal, identity_env, step_data
from mlrelease.versioning.stamping import stamp, stamp_targets
from mlrelease.versioning.versions import Commit as ConventionalCommit
from mlrelease.versioning.versions import branch_kind


@dataclass
class WorkspaceRun:
    """What the steps of one workspace release share while it runs, and how to undo it."""

    root: Path
    env: dict[str, str]
    today: str
    start: str  # the commit the release starts from
    tags: list[str]  # every tag it makes (dropped by the undo)
    snapshot: dict[str, bytes | None]  # each file it writes, as it was before
    performed: list[WorkspaceStep] = field(default_factory=list)
    pushed: bool = False

    def undo(self) -> None:
        for tag in self.tags:
            run(["git", "tag", "-d", tag], cwd=self.root, check=False, quiet=True)
        run(
            ["git", "reset", "--quiet", "--mixed", self.start],
            cwd=self.root,
            check=False,
            quiet=True,
        )
        for rel, data in self.snapshot.items():
            path = self.root / rel
            if data is None:
                path.unlink(missing_ok=True)
            elif _read(path) != data:
                path.write_bytes(data)


class WorkspaceStep(DescribedStep, Protocol):
    """One step :func:`execute` runs."""

    remote: ClassVar[bool]  # it changes the remote: runs after the local release is complete

    def run(self, state: WorkspaceRun) -> None: ...


class _Step:
    kind: ClassVar[str] = ""
    remote: ClassVar[bool] = False

    def describe(self) -> str:  # pragma: no cover - every step overrides it
        raise NotImplementedError

    def as_data(self) -> dict[str, Any]:
        return step_data(self)


@dataclass(frozen=True)
class RaiseRequirement(_Step):
    """A member requires a sibling released in the same commit: its bound moves to the new version."""

    kind: ClassVar[str] = "raise-requirement"
    member: str
    file: str  # the member's pyproject.toml, relative to the workspace root
    dependency: str
    requirement: str

    def describe(self) -> str:
        return f"raise {self.member}'s requirement on {self.dependency} to {self.requirement!r}"

    def run(self, state: WorkspaceRun) -> None:
        raise_requirements(state.root / self.file, {self.dependency: self.requirement})


@dataclass(frozen=True)
class ReleaseMember(_Step):
    """Stamp the member's new version and add its changelog section."""

    kind: ClassVar[str] = "release-member"
    member: str
    path: str  # the member's directory, relative to the workspace root
    current_version: str | None
    version: str
    why: tuple[str, ...]
    stamps: tuple[tuple[str, str], ...]  # (file, key), relative to the member's directory
    changelog: str  # relative to the member's directory
    commits: tuple[ConventionalCommit, ...] = field(
        repr=False, compare=False, metadata={"data": False}
    )

    def describe(self) -> str:
        return (
            f"{self.member}: {self.current_version or 'unreleased'} -> {self.version} "
            f"({'; '.join(self.why)}), stamp and changelog {self.path}"
        )

    def run(self, state: WorkspaceRun) -> None:
        echo(f"{self.member}: releasing {self.version}")
        base = state.root / self.path
        for path, key in self.stamps:
            stamp(base, path, key, self.version)
        update_changelog(base / self.changelog, self.version, state.today, self.commits)


@dataclass(frozen=True)
class CommitWorkspace(_Step):
    """One commit with every file the members' releases wrote."""

    kind: ClassVar[str] = "commit"
    message: str
    files: tuple[str, ...]

    def describe(self) -> str:
        return f"commit {self.message!r}"

    def run(self, state: WorkspaceRun) -> None:
        run(["git", "add", "--", *self.files], cwd=state.root)
        run(["git", "commit", "--quiet", "-m", self.message], cwd=state.root, env=state.env)


@dataclass(frozen=True)
class TagMembers(_Step):
    """An annotated tag per released member, all on the release commit."""

    kind: ClassVar[str] = "tag"
    tags: tuple[str, ...]
    messages: tuple[str, ...]  # "Release NAME VERSION", one per tag

    def describe(self) -> str:
        return f"tag {', '.join(self.tags)}"

    def run(self, state: WorkspaceRun) -> None:
        for tag, message in zip(self.tags, self.messages, strict=True):
            run(["git", "tag", "-a", tag, "-m", message], cwd=state.root, env=state.env)


@dataclass(frozen=True)
class PushWorkspace(_Step):
    """The branch and every tag in one ``git push --atomic``; a failure undoes the release."""

    kind: ClassVar[str] = "push"
    remote: ClassVar[bool] = True
    branch: str
    tags: tuple[str, ...]

    def describe(self) -> str:
        return "push atomically: the branch and every tag in one git push --atomic"

    def run(self, state: WorkspaceRun) -> None:
        refs = [f"HEAD:refs/heads/{self.branch}", *(f"refs/tags/{t}" for t in self.tags)]
        argv = ["git", "push", "--atomic", "--porcelain", "origin", *refs]
        result = run(argv, cwd=state.root, check=False)
        if result.returncode != 0:
            state.undo()
            raise ReleaseError(
                f"pushing {', '.join(self.tags)} failed: nothing was pushed, and the local release "
                "commit and tags were undone: "
                f"{(result.stderr or result.stdout).strip().splitlines()[-1:]}",
                hint="if the upstream moved, pull and rerun (git pull --rebase, then mlrelease "
                "release); else check access to origin",
            )
        state.pushed = True


@dataclass
class WorkspaceRelease:
    branch: str
    members: list[MemberVersion]
    push: bool
    steps: list[WorkspaceStep] = field(default_factory=list)

    @property
    def releases(self) -> list[MemberVersion]:
        return [m for m in self.members if m.releasable]

    @property
    def message(self) -> str:
        cut = ", ".join(f"{m.member.key} {m.next_version}" for m in self.releases)
        return f"chore(release): {cut}"

    @property
    def written(self) -> list[str]:
        """Every file the release writes, relative to the workspace root."""
        return sorted({p for mv in self.releases for p in _written(mv)})

    def describe(self) -> list[str]:
        return [step.describe() for step in self.steps]

    def as_data(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "release": bool(self.releases),
            "members": [m.as_data() for m in self.members],
            "tags": [m.tag for m in self.releases],
            "steps": self.describe(),
            "step-details": [step.as_data() for step in self.steps],
            "pushed": False,
        }


@dataclass(frozen=True)
class WorkspaceOutcome:
    """What a workspace release did: its one commit and whether origin has it."""

    plan: WorkspaceRelease
    commit: str
    pushed: bool
    performed: tuple[WorkspaceStep, ...]

    def as_data(self) -> dict[str, Any]:
        return {**self.plan.as_data(), "commit": self.commit, "pushed": self.pushed}


def _written(mv: MemberVersion) -> list[str]:
    """Files (relative to the workspace root) the release of ``mv`` writes."""
    base = mv.member.path
    files = {f"{base}/{p}" for p, _ in stamp_targets(mv.project)}
    files.add(f"{base}/{mv.project.config.version.changelog}")
    if mv.raised:
        files.add(f"{base}/pyproject.toml")
    return sorted(files)


def _member_steps(mv: MemberVersion) -> list[WorkspaceStep]:
    key, base = mv.member.key, mv.member.path
    steps: list[WorkspaceStep] = [
        RaiseRequirement(key, f"{base}/pyproject.toml", dep, req) for dep, req in mv.raised.items()
    ]
    steps.append(
        ReleaseMember(
            key,
            base,
            mv.current_version,
            str(mv.next_version),
            tuple(mv.why),
            tuple(stamp_targets(mv.project)),
            mv.project.config.version.changelog,
            tuple(mv.commits),
        )
    )
    return steps


def plan_release(
    workspace: Workspace,
    projects: list[Project],
    *,
    push: bool = True,
    dry_run: bool = False,
    expect_sha: str | None = None,
) -> WorkspaceRelease:
    first = projects[0]
    branch = check_repository(first)
    if branch_kind(first, branch)[0] == "prerelease":
        raise ReleaseError(
            f"branch {branch!r} is a prerelease branch: a monorepo root releases final versions "
            "only",
            hint="release from a release branch (tool.mlrelease.version.release-branches), or "
            "cut one member's prerelease with mlrelease release -C <member>",
        )
    if expect_sha:
        check_expected_commit(first, expect_sha)
    if push:
        check_upstream(first, branch, fetch=not dry_run)
    plan = WorkspaceRelease(branch, plan_versions(workspace, projects), push)
    for mv in plan.releases:
        check_untracked_outputs(
            mv.project, [p.removeprefix(f"{mv.member.path}/") for p in _written(mv)]
        )
        plan.steps += _member_steps(mv)
    if plan.releases:
        tags = tuple(str(m.tag) for m in plan.releases)
        plan.steps.append(CommitWorkspace(plan.message, tuple(plan.written)))
        messages = tuple(f"Release {m.member.name} {m.next_version}" for m in plan.releases)
        plan.steps.append(TagMembers(tags, messages))
        plan.steps.append(PushWorkspace(branch, tags) if push else KeepLocal())
    return plan


def execute(workspace: Workspace, plan: WorkspaceRelease) -> WorkspaceOutcome:
    """Run the plan's steps in order: raise, stamp and changelog every member, then one commit,
    the tags, one atomic push. A failure undoes every local change."""
    root = workspace.root
    state = WorkspaceRun(
        root,
        identity_env(root),
        _dt.datetime.now(_dt.timezone.utc).date().isoformat(),
        git(root, "rev-parse", "HEAD"),
        [str(mv.tag) for mv in plan.releases],
        {p: _read(root / p) for p in plan.written},
    )
    try:
        for step in (s for s in plan.steps if not s.remote):
            step.run(state)
            state.performed.append(step)
    except (MlreleaseError, OSError) as exc:
        state.undo()
        raise ReleaseError(
            f"the release commit could not be made, nothing was kept: {exc}",
            hint="fix the cause above and rerun",
        ) from None
    except KeyboardInterrupt:
        state.undo()
        raise
    commit = git(root, "rev-parse", "HEAD")
    for step in (s for s in plan.steps if s.remote):  # each undoes the release when it fails
        step.run(state)
        state.performed.append(step)
    return WorkspaceOutcome(plan, commit, state.pushed, tuple(state.performed))


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
