"""What ``mlrelease release`` refuses before it changes anything (the single-package release and
the monorepo root's alike): not a git repository, a shallow clone, a detached HEAD, a branch that
does not release, a dirty tree, an upstream that moved, a HEAD that is not the commit CI tested, a
file the release writes that git does not track.
"""

from __future__ import annotations

import re

from mlrelease._util.git import git
from mlrelease._util.runner import run
from mlrelease.errors import ReleaseError, ToolError
from mlrelease.project import Project
from mlrelease.versioning.versions import (
    branch_kind,
    current_branch,
    raise_wrong_branch,
    refuse_shallow,
)


def check_repository(project: Project) -> str:
    """Refuse a state that cannot release safely; return the branch."""
    root = project.root
    if not git(root, "rev-parse", "--git-dir", check=False):
        raise ReleaseError(
            f"{root} is not a git repository",
            hint="run mlrelease release in a clone of the project",
        )
    refuse_shallow(root)
    branch = current_branch(root)
    if branch is None:
        raise ReleaseError(
            "HEAD is detached: a release needs a branch to push the release commit to",
            hint="check out the release branch (git checkout main); in GitHub Actions check out "
            "the branch ref, not the commit SHA",
        )
    if branch_kind(project, branch)[0] == "other":
        raise_wrong_branch(project, branch)
    status = run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root, quiet=True)
    dirty = [line for line in status.stdout.splitlines() if line.strip()]
    if dirty:
        files = ", ".join(line[3:] for line in dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        raise ReleaseError(
            f"the working tree has uncommitted changes ({files}); a release must be built from a "
            "commit",
            hint="commit or stash them (git stash), then rerun",
        )
    return branch


def check_upstream(project: Project, branch: str, *, fetch: bool) -> None:
    """Fetch the branch and tags; refuse when the upstream has commits HEAD lacks."""
    root = project.root
    if not git(root, "remote", "get-url", "origin", check=False):
        raise ReleaseError(
            "the repository has no remote named origin to push the release to",
            hint="git remote add origin URL, or pass --no-push to release locally",
        )
    if not fetch:
        return
    try:
        run(["git", "fetch", "--quiet", "--tags", "origin"], cwd=root)
    except ToolError as exc:
        raise ReleaseError(
            f"could not fetch from origin: {exc.output.splitlines()[-1] if exc.output else exc}",
            hint="check the remote and your access (git fetch origin), then rerun",
        ) from None
    upstream = f"refs/remotes/origin/{branch}"
    if not git(root, "rev-parse", "--verify", "--quiet", upstream, check=False):
        return  # the branch is new on the remote
    if (
        run(
            ["git", "merge-base", "--is-ancestor", upstream, "HEAD"],
            cwd=root,
            check=False,
            quiet=True,
        ).returncode
        != 0
    ):
        raise ReleaseError(
            f"origin/{branch} has commits that this clone does not have: the upstream moved",
            hint=f"git pull --rebase origin {branch}, then rerun mlrelease release",
        )


def check_expected_commit(project: Project, expect_sha: str) -> None:
    """Refuse unless HEAD is ``expect_sha`` (the commit CI tested), or that commit's own release
    commit (a rerun of the workflow after the release was pushed)."""
    root = project.root
    if not re.fullmatch(r"[0-9a-fA-F]{7,64}", expect_sha):
        raise ReleaseError(
            f"--expect-sha {expect_sha[:80]!r} is not a commit SHA",
            hint="pass the hexadecimal SHA CI tested, e.g. --expect-sha $GITHUB_SHA",
        )
    wanted = git(root, "rev-parse", "--verify", "--quiet", f"{expect_sha}^{{commit}}", check=False)
    if not wanted:
        raise ReleaseError(
            f"--expect-sha {expect_sha[:40]!r} is not a commit of this repository",
            hint="pass the full SHA CI tested (github.sha); fetch with fetch-depth: 0",
        )
    head = git(root, "rev-parse", "HEAD")
    if head == wanted:
        return
    parent = git(root, "rev-parse", "--verify", "--quiet", "HEAD^", check=False)
    subject = git(root, "log", "-1", "--format=%s", "HEAD")
    tags = git(root, "tag", "--points-at", "HEAD", check=False)
    if parent == wanted and subject.startswith("chore(release): ") and tags:
        return  # a rerun: HEAD is the release commit made on top of the tested commit
    raise ReleaseError(
        f"the branch moved since CI tested {wanted[:12]}: HEAD is {head[:12]}; a release must be "
        "cut from the commit that was tested, nothing was changed",
        hint="the push of the newer commit starts its own run, which releases it after its "
        "tests; or rerun the release on the new commit",
    )


def check_untracked_outputs(project: Project, paths: list[str]) -> None:
    """Refuse when a file the release writes exists but git does not track it (untracked or
    ignored): the release commit would not hold it and a rollback could lose its text."""
    root = project.root
    for path in paths:
        if not (root / path).exists():
            continue
        if git(root, "ls-files", "--", path, check=False):
            continue
        ignored = (
            run(
                ["git", "check-ignore", "-q", "--", path], cwd=root, check=False, quiet=True
            ).returncode
            == 0
        )
        raise ReleaseError(
            f"{path} exists but is {'ignored' if ignored else 'not tracked'} by git; the release "
            "writes it and commits it, so it must be committed first; nothing was changed",
            hint=f"git add {'-f ' if ignored else ''}{path} && git commit -m 'docs: add {path}', "
            "then rerun",
        )
