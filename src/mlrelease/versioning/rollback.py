"""The two ends of a release commit: push it (atomically, with its tag) or undo it.

Shared by :mod:`mlrelease.versioning.release` (a release running now) and
:mod:`mlrelease.versioning.resume` (a rerun finishing or rolling back an interrupted one).

The undo never loses a user's work: it moves HEAD and the index back (``git reset --mixed``, never
``--hard``) and puts back the bytes a written file had before, but only when the file still holds
exactly what the release wrote (its SHA-256 is in the journal); a file changed since is left as it
is and named.
"""

from __future__ import annotations

from pathlib import Path

from mlrelease._util.atomic_write import write_atomic
from mlrelease._util.git import git
from mlrelease._util.runner import echo, run
from mlrelease.errors import ReleaseError
from mlrelease.versioning.journal import Journal, sha256

MOVED_WORDS = (
    "rejected",
    "stale info",
    "fetch first",
    "non-fast-forward",
    "cannot lock ref",
    "already exists",
    "atomic push failed",
)


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None


def restore_files(root: Path, entry: Journal) -> list[str]:
    """Put back each file the release wrote; return the files left alone because they changed
    after the release wrote them (someone edited them: their text is kept)."""
    kept = []
    for rel, change in sorted(entry.files.items()):
        path = root / rel
        current = _read_bytes(path)
        if current == change.before:
            continue
        if current is None or sha256(current) != change.after_sha256:
            kept.append(rel)
            continue
        if change.before is None:
            path.unlink()
        else:
            write_atomic(path, change.before)
    if kept:
        echo(
            "left as they are, because they changed after the release wrote them: "
            + ", ".join(kept)
        )
    return kept


def undo(root: Path, entry: Journal) -> None:
    """Drop the local tag (only on the release commit), move HEAD and the index back to the start
    commit and put back the files the release wrote. Untracked and ignored files are never
    touched."""
    tagged = git(root, "rev-parse", "--verify", "--quiet", f"{entry.tag}^{{commit}}", check=False)
    if tagged and git(root, "rev-parse", "--verify", "--quiet", f"{tagged}^", check=False) == (
        entry.start
    ):  # the tag is on a commit made on top of the start: the release's own
        run(["git", "tag", "-d", entry.tag], cwd=root, check=False, quiet=True)
    if git(root, "rev-parse", "HEAD", check=False) == entry.start:  # not committed: unstage ours
        if entry.files:
            paths = sorted(entry.files)
            run(["git", "reset", "--quiet", "--", *paths], cwd=root, check=False, quiet=True)
    else:
        run(["git", "reset", "--quiet", "--mixed", entry.start], cwd=root, check=False, quiet=True)
    restore_files(root, entry)


def push(root: Path, entry: Journal) -> None:
    """``git push --atomic`` the branch and the tag; on failure undo the release and raise."""
    argv = [
        "git",
        "push",
        "--atomic",
        "--porcelain",
        "origin",
        f"HEAD:{entry.remote_ref}",
        f"refs/tags/{entry.tag}",
    ]
    try:
        result = run(argv, cwd=root, check=False)
    except KeyboardInterrupt:
        echo(
            f"interrupted while pushing {entry.tag}: the release commit and tag are kept; rerun "
            "mlrelease release to finish the push (or roll it back if origin moved meanwhile)"
        )
        raise
    if result.returncode == 0:
        return
    undo(root, entry)
    output = (result.stdout + result.stderr).lower()
    branch = entry.remote_ref.removeprefix("refs/heads/")
    if any(w in output for w in MOVED_WORDS):
        raise ReleaseError(
            f"the upstream moved while releasing {entry.version}: the push of {branch} and "
            f"{entry.tag} was rejected, nothing was pushed, and the local release commit and tag "
            "were undone",
            hint="the upstream moved; pull and rerun (git pull --rebase, then mlrelease release)",
        )
    raise ReleaseError(
        f"pushing {entry.tag} failed, nothing was pushed and the local release commit and tag "
        f"were undone: {(result.stderr or result.stdout).strip().splitlines()[-1:]}",
        hint="check access to origin (a token with contents: write), then rerun",
    )
