"""``mlrelease release``: refuse unsafe states, then stamp, changelog, commit, tag and push.

Plan, then run: :func:`plan_steps` checks the repository and returns the steps as data;
``--dry-run`` prints them and stops. The push is atomic (``git push --atomic`` of the branch and the
tag together) so the remote never holds a tag for a commit it does not have; if the push is
rejected, the local release commit and tag are undone and the error says the upstream moved.

A failed release never touches a file it did not write: the undo moves HEAD and the index back
(``git reset --mixed``, never ``--hard``) and puts back the exact bytes of each file it stamped or
changelogged. A file the release would write that git does not track (an untracked or ignored
``CHANGELOG.md``) is refused up front. In CI, ``--expect-sha`` (``MLRELEASE_EXPECT_SHA``) pins the
release to the commit that was tested: a branch tip that moved since is refused.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlrelease._util.atomic_write import write_atomic
from mlrelease._util.git import git
from mlrelease._util.runner import echo, run
from mlrelease.errors import MlreleaseError, ReleaseError, ToolError
from mlrelease.project import Project
from mlrelease.versioning import journal, rollback, semrel
from mlrelease.versioning.changelog import render_section, updated_text
from mlrelease.versioning.journal import FileChange, Journal, sha256
from mlrelease.versioning.stamping import stamp_targets, stamped_text
from mlrelease.versioning.versions import (
    NextVersion,
    branch_kind,
    commits_since,
    compute_next_version,
    current_branch,
    format_tag,
    last_release,
    normalize_version,
    parse_version,
    raise_wrong_branch,
    refuse_shallow,
    release_tags,
    semver_of,
)

BOT_NAME = "mlrelease"
BOT_EMAIL = "mlrelease@users.noreply.github.com"


@dataclass
class ReleasePlan:
    next: NextVersion
    stamps: list[tuple[str, str]]  # (relative path, what) to set to the new version
    changelog: str
    message: str
    push: bool
    remote_ref: str
    steps: list[str] = field(default_factory=list)
    contents: dict[str, bytes] = field(default_factory=dict)  # path -> bytes after (execute)

    def as_data(self) -> dict[str, Any]:
        return {**self.next.as_data(), "steps": list(self.steps), "pushed": False}


# --- refusals ----------------------------------------------------------------------------------


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


def explicit_version(project: Project, text: str, branch: str) -> NextVersion:
    """``--as X.Y.Z``: valid, not local, greater than the last release, not yet tagged."""
    root = project.root
    cfg = project.config.version
    try:
        semver_of(text)
        version = normalize_version(text)
    except ValueError as exc:
        raise ReleaseError(
            f"--as {text}: {exc}", hint="write e.g. --as 1.4.0 or --as 1.4.0rc1"
        ) from None
    last = last_release(root, cfg.tag_format)
    if last is not None and not parse_version(version) > parse_version(last[1]):
        raise ReleaseError(
            f"--as {text}: must be greater than the last release {last[1]} ({last[0]})",
            hint=f"choose a version above {last[1]}",
        )
    tag = format_tag(cfg.tag_format, version)
    if tag in release_tags(root, cfg.tag_format) or any(
        normalize_version(v) == version for v in release_tags(root, cfg.tag_format).values()
    ):
        raise ReleaseError(
            f"--as {text}: version {version} is already tagged", hint="choose another version"
        )
    kind, _ = branch_kind(project, branch)
    return NextVersion(
        branch=branch,
        branch_kind=kind,
        current_tag=last[0] if last else None,
        current_version=last[1] if last else None,
        next_version=version,
        tag=tag,
        bump="explicit",
        prerelease=parse_version(version).pre is not None,
        commits=commits_since(root, last[0] if last else None),
    )


# --- plan and run ------------------------------------------------------------------------------


def plan_steps(
    project: Project,
    *,
    as_version: str | None = None,
    prerelease: bool = False,
    push: bool = True,
    dry_run: bool = False,
    expect_sha: str | None = None,
) -> ReleasePlan | NextVersion:
    """The checked release plan, or the :class:`NextVersion` saying there is nothing to release."""

    semrel.refuse_own_psr_config(project)
    branch = check_repository(project)
    if expect_sha:
        check_expected_commit(project, expect_sha)
    if push:
        check_upstream(project, branch, fetch=not dry_run)
    if as_version:
        nxt = explicit_version(project, as_version, branch)
    else:
        nxt = compute_next_version(project, prerelease=prerelease)
    if not nxt.releasable or nxt.next_version is None or nxt.tag is None:
        return nxt
    version = nxt.next_version
    stamps = stamp_targets(project)
    changelog = project.config.version.changelog
    check_untracked_outputs(project, [changelog, *sorted({p for p, _ in stamps})])
    message = f"chore(release): {version}"
    remote_ref = f"refs/heads/{branch}"
    steps = []
    if push:
        steps.append(
            "fetch origin and check that the upstream has not moved"
            + (" (skipped in a dry run)" if dry_run else ": ok")
        )
    steps += [f"stamp {version} into {path} ({key or 'the whole file'})" for path, key in stamps]
    if not stamps:
        steps.append(
            f"no file carries the version ({project.version_source}): the tag is the version"
        )
    steps.append(f"add the {version} section to {changelog}")
    steps.append(f"commit {message!r}")
    steps.append(f"tag {nxt.tag} on that commit")
    if push:
        steps.append(
            f"push atomically: git push --atomic origin HEAD:{remote_ref} refs/tags/{nxt.tag}"
        )
    else:
        steps.append("do not push (--no-push)")
    return ReleasePlan(nxt, stamps, changelog, message, push, remote_ref, steps)


def identity_env(root: Path) -> dict[str, str]:
    """A committer identity for CI machines that have none configured (said out loud)."""
    if git(root, "config", "user.email", check=False) and git(
        root, "config", "user.name", check=False
    ):
        return {}
    echo(f"git has no user.name/user.email here: committing as {BOT_NAME} <{BOT_EMAIL}>")
    return {
        "GIT_AUTHOR_NAME": os.environ.get("GIT_AUTHOR_NAME", BOT_NAME),
        "GIT_AUTHOR_EMAIL": os.environ.get("GIT_AUTHOR_EMAIL", BOT_EMAIL),
        "GIT_COMMITTER_NAME": os.environ.get("GIT_COMMITTER_NAME", BOT_NAME),
        "GIT_COMMITTER_EMAIL": os.environ.get("GIT_COMMITTER_EMAIL", BOT_EMAIL),
    }


def planned_files(project: Project, plan: ReleasePlan, today: str) -> dict[str, FileChange]:
    """Each file the release writes with its bytes now and the SHA-256 of its bytes after,
    computed before anything is written; the new bytes go in ``plan.contents``."""
    root = project.root
    nxt = plan.next
    assert nxt.next_version is not None  # noqa: S101 - plan_steps guarantees it
    before = {
        p: _read_bytes(root / p) for p in sorted({p for p, _ in plan.stamps} | {plan.changelog})
    }
    texts: dict[str, str] = {}
    for path, key in plan.stamps:
        text = texts.get(path, (before[path] or b"").decode("utf-8"))
        texts[path] = stamped_text(text, path, key, nxt.next_version)
    old = before[plan.changelog]
    existing = texts.get(plan.changelog, None if old is None else old.decode("utf-8"))
    section = render_section(nxt.next_version, today, nxt.commits)
    texts[plan.changelog] = updated_text(existing, section)
    plan.contents = {p: t.encode("utf-8") for p, t in texts.items()}
    return {p: FileChange(before[p], sha256(plan.contents[p])) for p in texts}


def execute(project: Project, plan: ReleasePlan) -> dict[str, Any]:
    """Stamp, changelog, commit, tag, push; undo the local commit and tag if the push fails.

    The journal (:mod:`mlrelease.versioning.journal`) is written before each step, so a rerun after
    a kill finishes or rolls back what was in flight (:mod:`mlrelease.versioning.resume`)."""

    root = project.root
    nxt = plan.next
    assert nxt.next_version is not None  # noqa: S101 - plan_steps guarantees it
    assert nxt.tag is not None  # noqa: S101 - plan_steps guarantees it
    env = identity_env(root)
    today = _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    entry = Journal(
        version=nxt.next_version,
        tag=nxt.tag,
        branch=plan.remote_ref.removeprefix("refs/heads/"),
        remote_ref=plan.remote_ref,
        start=git(root, "rev-parse", "HEAD"),
        message=plan.message,
        push=plan.push,
    )
    try:
        entry.files = planned_files(project, plan, today)
        journal.save(root, entry, "writing")
        for path, key in plan.stamps:
            echo(f"stamping {nxt.next_version} into {path} ({key or 'the whole file'})")
        echo(f"updating {plan.changelog}")
        for path, content in plan.contents.items():
            write_atomic(root / path, content)
        journal.save(root, entry, "committing")
        run(["git", "add", "--", *sorted(entry.files)], cwd=root)
        run(["git", "commit", "--quiet", "-m", plan.message], cwd=root, env=env)
        journal.save(root, entry, "tagging")
        run(["git", "tag", "-a", nxt.tag, "-m", f"Release {nxt.next_version}"], cwd=root, env=env)
    except (MlreleaseError, OSError, UnicodeDecodeError) as exc:
        rollback.undo(root, entry)
        journal.clear(root)
        raise ReleaseError(
            f"the release commit could not be made, nothing was kept: {exc}",
            hint="fix the cause above and rerun",
        ) from None
    except KeyboardInterrupt:  # Ctrl-C while writing: the files go back as they were
        rollback.undo(root, entry)
        journal.clear(root)
        raise
    data = {**plan.as_data(), "commit": git(root, "rev-parse", "HEAD")}
    if not plan.push:
        journal.clear(root)
        return data
    try:
        journal.save(root, entry, "pushing")
        rollback.push(root, entry)
    except OSError as exc:  # the journal could not be written: nothing was pushed
        rollback.undo(root, entry)
        journal.clear(root)
        raise ReleaseError(
            f"the release journal could not be written, nothing was pushed or kept: {exc}",
            hint="fix the cause above (disk space, permissions on .git) and rerun",
        ) from None
    except ReleaseError:
        journal.clear(root)  # the push failed and the release was undone
        raise
    journal.clear(root)
    data["pushed"] = True
    return data


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
