"""``mlrelease release`` at a monorepo root: every member with releasable changes, in dependency
order, in one commit with one tag per member, pushed atomically (the branch and every tag in one
``git push --atomic``). The refusals are the single package's (:mod:`mlrelease.versioning.refusals`):
a shallow clone, a detached HEAD, a branch that does not release, a dirty tree, an upstream that
moved, a HEAD that is not the commit CI tested. A failed commit or push undoes every local change.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

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
from mlrelease.versioning.release_steps import identity_env
from mlrelease.versioning.stamping import stamp, stamp_targets
from mlrelease.versioning.versions import branch_kind


@dataclass
class WorkspaceRelease:
    branch: str
    members: list[MemberVersion]
    push: bool
    steps: list[str] = field(default_factory=list)

    @property
    def releases(self) -> list[MemberVersion]:
        return [m for m in self.members if m.releasable]

    @property
    def message(self) -> str:
        cut = ", ".join(f"{m.member.key} {m.next_version}" for m in self.releases)
        return f"chore(release): {cut}"

    def as_data(self) -> dict[str, Any]:
        return {
            "branch": self.branch,
            "release": bool(self.releases),
            "members": [m.as_data() for m in self.members],
            "tags": [m.tag for m in self.releases],
            "steps": list(self.steps),
            "pushed": False,
        }


def _written(mv: MemberVersion) -> list[str]:
    """Files (relative to the workspace root) the release of ``mv`` writes."""
    base = mv.member.path
    files = {f"{base}/{p}" for p, _ in stamp_targets(mv.project)}
    files.add(f"{base}/{mv.project.config.version.changelog}")
    if mv.raised:
        files.add(f"{base}/pyproject.toml")
    return sorted(files)


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
        for dep, req in mv.raised.items():
            plan.steps.append(f"raise {mv.member.key}'s requirement on {dep} to {req!r}")
        plan.steps.append(
            f"{mv.member.key}: {mv.current_version or 'unreleased'} -> {mv.next_version} "
            f"({'; '.join(mv.why)}), stamp and changelog {mv.member.path}"
        )
    if plan.releases:
        plan.steps.append(f"commit {plan.message!r}")
        plan.steps.append(f"tag {', '.join(str(m.tag) for m in plan.releases)}")
        plan.steps.append(
            "push atomically: the branch and every tag in one git push --atomic"
            if push
            else "do not push (--no-push)"
        )
    return plan


def execute(workspace: Workspace, plan: WorkspaceRelease) -> dict[str, Any]:
    """Stamp, raise, changelog every member, then one commit, the tags, one atomic push."""
    root = workspace.root
    start = git(root, "rev-parse", "HEAD")
    env = identity_env(root)
    written = sorted({p for mv in plan.releases for p in _written(mv)})
    snapshot = {p: _read(root / p) for p in written}
    tags = [str(mv.tag) for mv in plan.releases]
    today = _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    try:
        for mv in plan.releases:
            version = str(mv.next_version)
            echo(f"{mv.member.key}: releasing {version}")
            for path, key in stamp_targets(mv.project):
                stamp(mv.member.root, path, key, version)
            if mv.raised:
                raise_requirements(mv.member.root / "pyproject.toml", mv.raised)
            update_changelog(
                mv.member.root / mv.project.config.version.changelog, version, today, mv.commits
            )
        run(["git", "add", "--", *written], cwd=root)
        run(["git", "commit", "--quiet", "-m", plan.message], cwd=root, env=env)
        for mv in plan.releases:
            run(
                [
                    "git",
                    "tag",
                    "-a",
                    str(mv.tag),
                    "-m",
                    f"Release {mv.member.name} {mv.next_version}",
                ],
                cwd=root,
                env=env,
            )
    except (MlreleaseError, OSError) as exc:
        _undo(root, start, tags, snapshot)
        raise ReleaseError(
            f"the release commit could not be made, nothing was kept: {exc}",
            hint="fix the cause above and rerun",
        ) from None
    except KeyboardInterrupt:
        _undo(root, start, tags, snapshot)
        raise
    data = {**plan.as_data(), "commit": git(root, "rev-parse", "HEAD")}
    if not plan.push:
        return data
    refs = [f"HEAD:refs/heads/{plan.branch}", *(f"refs/tags/{t}" for t in tags)]
    result = run(["git", "push", "--atomic", "--porcelain", "origin", *refs], cwd=root, check=False)
    if result.returncode != 0:
        _undo(root, start, tags, snapshot)
        raise ReleaseError(
            f"pushing {', '.join(tags)} failed: nothing was pushed, and the local release commit "
            f"and tags were undone: {(result.stderr or result.stdout).strip().splitlines()[-1:]}",
            hint="if the upstream moved, pull and rerun (git pull --rebase, then mlrelease "
            "release); else check access to origin",
        )
    data["pushed"] = True
    return data


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def _undo(root: Path, start: str, tags: list[str], snapshot: dict[str, bytes | None]) -> None:
    for tag in tags:
        run(["git", "tag", "-d", tag], cwd=root, check=False, quiet=True)
    run(["git", "reset", "--quiet", "--mixed", start], cwd=root, check=False, quiet=True)
    for rel, data in snapshot.items():
        path = root / rel
        if data is None:
            path.unlink(missing_ok=True)
        elif _read(path) != data:
            path.write_bytes(data)
