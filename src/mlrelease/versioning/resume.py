"""A rerun of ``mlrelease release`` after an interruption: finish what was in flight, or roll it back.

A Ctrl-C is handled where it lands (before the commit the files go back; during the push the
commit and tag are kept). A SIGKILL, a lost CI runner or a power cut runs no handler, so the rerun
reads the journal (:mod:`mlrelease.versioning.journal`) and looks at the repository:

- HEAD is still the start commit: the release stopped before its commit. The files it wrote (and
  their index entries) go back, the journal goes, and the release runs again from the start.
- HEAD is the release commit (its parent is the start, its subject the release message): the tag
  is made if missing, then the atomic push of the same commit and tag is done. If origin already
  has the tag on that commit, the push had landed: nothing to do. If origin has the tag elsewhere
  or its branch moved, the local commit and tag are undone and the error says how to go on.
- Anything else (the branch changed, commits on top): refused, saying how to finish by hand.

Without a journal (a release stranded by an older mlrelease), a tagged ``chore(release):`` commit
at HEAD whose tag origin lacks is finished the same way: the journal is rebuilt from the commit.
"""

from __future__ import annotations

from mlrelease._util.git import blob, git
from mlrelease._util.runner import echo, run
from mlrelease.errors import ReleaseError
from mlrelease.project import Project
from mlrelease.versioning import journal, rollback
from mlrelease.versioning.journal import FileChange, Journal, sha256
from mlrelease.versioning.release import RELEASE_PREFIX, ReleaseOutcome
from mlrelease.versioning.release_steps import identity_env
from mlrelease.versioning.versions import current_branch, format_tag, release_version_at_head


def pending(project: Project) -> Journal | None:
    """The journal of an interrupted release, if one is there (no network)."""
    if not git(project.root, "rev-parse", "--git-dir", check=False):
        return None
    return journal.load(project.root)


def _stranded(project: Project) -> Journal | None:
    """A journal rebuilt from a tagged release commit at HEAD (checked against origin later)."""
    root = project.root
    subject = git(root, "log", "-1", "--format=%s", "HEAD", check=False)
    version = release_version_at_head(project)
    branch = current_branch(root)
    parent = git(root, "rev-parse", "--verify", "--quiet", "HEAD^", check=False)
    if not (subject.startswith(RELEASE_PREFIX) and version and branch and parent):
        return None
    if not git(root, "remote", "get-url", "origin", check=False):
        return None
    tag = format_tag(project.config.version.tag_format, version)
    files = {}
    for rel in git(
        root, "diff", "--name-only", "--relative", "--no-renames", parent, "HEAD"
    ).splitlines():
        after = blob(root, "HEAD", rel)
        files[rel] = FileChange(blob(root, parent, rel), sha256(after or b""))
    return Journal(
        version, tag, branch, f"refs/heads/{branch}", parent, subject, True, "pushing", files
    )


def _remote_tag(project: Project, tag: str) -> str | None:
    """The commit origin's ``tag`` points at ('' when origin lacks it); None if origin is out of
    reach."""
    result = run(
        ["git", "ls-remote", "origin", f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}"],
        cwd=project.root,
        check=False,
        quiet=True,
    )
    if result.returncode != 0:
        return None
    refs: dict[str, str] = {}
    for line in result.stdout.splitlines():
        sha, _, ref = line.partition("\t")
        refs[ref.strip()] = sha.strip()
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}") or ""


def resume(project: Project, *, push: bool, expect_sha: str = "") -> ReleaseOutcome | None:
    """Finish or roll back an interrupted release. Returns the finished release, or None
    when nothing was pending or it was rolled back (the caller then releases as usual)."""
    root = project.root
    entry = pending(project)
    stranded = entry is None
    if entry is None:
        entry = _stranded(project) if push else None
        if entry is None or _remote_tag(project, entry.tag) == git(root, "rev-parse", "HEAD"):
            return None  # nothing stranded, or a release that was pushed (a rerun of CI)
    lock = root / git(root, "rev-parse", "--git-path", "index.lock")
    if lock.exists():
        raise ReleaseError(
            f"{lock} exists: a git command was stopped in the middle (or is still running), so the "
            f"interrupted release of {entry.version} cannot be finished or rolled back yet",
            hint=f"if no git command is running in this clone, delete {lock}, then rerun "
            "mlrelease release",
        )
    head = git(root, "rev-parse", "HEAD")
    if not stranded:
        echo(f"found an interrupted release of {entry.version} (stopped at: {entry.step})")
    if head == entry.start:
        rollback.undo(root, entry)
        journal.clear(root)
        echo(
            f"rolled back the interrupted release of {entry.version}: it stopped before its commit"
        )
        return None
    parent = git(root, "rev-parse", "--verify", "--quiet", "HEAD^", check=False)
    subject = git(root, "log", "-1", "--format=%s", "HEAD")
    if parent != entry.start or subject != entry.message or current_branch(root) != entry.branch:
        raise ReleaseError(
            f"an interrupted release of {entry.version} ({entry.tag}) started from "
            f"{entry.start[:12]} on {entry.branch}, but HEAD is now {head[:12]}: mlrelease cannot "
            "tell what to finish",
            hint=f"check out {entry.branch} at its release commit to finish it, or drop it: "
            f"git tag -d {entry.tag} (if it exists), then delete {journal.path(root)}",
        )
    if (
        expect_sha
        and not git(root, "rev-parse", "--verify", "--quiet", expect_sha, check=False)
        == entry.start
    ):
        raise ReleaseError(
            f"the interrupted release of {entry.version} was cut from {entry.start[:12]}, not from "
            f"--expect-sha {expect_sha[:12]}",
            hint="rerun with the SHA it was cut from, or roll it back by hand",
        )
    return _finish(project, entry, head, push=push)


def _finish(project: Project, entry: Journal, head: str, *, push: bool) -> ReleaseOutcome:
    root = project.root
    tagged = git(root, "rev-parse", "--verify", "--quiet", f"{entry.tag}^{{commit}}", check=False)
    if not tagged:
        echo(f"tagging the release commit {head[:12]} {entry.tag}")
        env = identity_env(root)
        run(["git", "tag", "-a", entry.tag, "-m", f"Release {entry.version}"], cwd=root, env=env)
    elif tagged != head:
        raise ReleaseError(
            f"the interrupted release of {entry.version} made commit {head[:12]}, but the local "
            f"tag {entry.tag} points at {tagged[:12]}",
            hint=f"look at both (git show {entry.tag}); delete the wrong one, then rerun",
        )
    if not (entry.push and push):
        journal.clear(root)
        return _finished(entry, head, pushed=False)
    remote = _remote_tag(project, entry.tag)
    if remote is None:
        raise ReleaseError(
            f"origin cannot be reached to finish the release of {entry.version}: the release "
            f"commit and {entry.tag} are kept here, nothing was lost",
            hint="check the remote and your access (git ls-remote origin), then rerun mlrelease "
            "release to push them",
        )
    if remote == head:
        journal.clear(root)
        echo(f"origin already has {entry.tag} on {head[:12]}: the push had landed")
        return _finished(entry, head, pushed=True)
    if remote:
        rollback.undo(root, entry)
        journal.clear(root)
        raise ReleaseError(
            f"origin already has {entry.tag} on another commit ({remote[:12]}): the version was "
            f"released meanwhile; the local release commit and tag of {entry.version} were undone "
            "and nothing was pushed",
            hint="the upstream moved; pull and rerun (git pull --rebase, then mlrelease release)",
        )
    echo(f"finishing the interrupted release of {entry.version}: pushing {entry.tag}")
    journal.save(root, entry, "pushing")
    try:
        rollback.push(root, entry)
    except ReleaseError:
        journal.clear(root)
        raise
    journal.clear(root)
    return _finished(entry, head, pushed=True)


def _finished(entry: Journal, head: str, *, pushed: bool) -> ReleaseOutcome:
    return ReleaseOutcome(entry.version, entry.tag, entry.branch, head, pushed)
