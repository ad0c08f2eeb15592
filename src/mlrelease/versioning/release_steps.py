"""The steps of ``mlrelease release``: each one says what it does and does it.

A :class:`~mlrelease.versioning.release.ReleasePlan` is a list of these steps. ``mlrelease plan``,
``mlrelease release --dry-run`` and ``mlrelease release`` all read the same list: the dry run prints
:meth:`describe` (and :meth:`as_data` for ``--json``), the release calls :meth:`run` on each in
order, so what is previewed is what runs.

A step that writes a file first computes the bytes it will write (:meth:`prepare`): the journal
(:mod:`mlrelease.versioning.journal`) records every file's bytes before and the digest of its bytes
after *before* the first byte is written, so a rerun after a kill can finish or roll back. The
journal's step names (``writing``, ``committing``, ``tagging``, ``pushing``) are saved by the step
that is about to do that.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

from mlrelease._util.atomic_write import write_atomic
from mlrelease._util.git import git
from mlrelease._util.runner import echo, run
from mlrelease.errors import ReleaseError
from mlrelease.project import Project
from mlrelease.versioning import journal, rollback
from mlrelease.versioning.changelog import render_section, updated_text
from mlrelease.versioning.journal import FileChange, Journal, sha256
from mlrelease.versioning.refusals import check_upstream
from mlrelease.versioning.stamping import stamped_text
from mlrelease.versioning.versions import Commit as ConventionalCommit

BOT_NAME = "mlrelease"
BOT_EMAIL = "mlrelease@users.noreply.github.com"


@dataclass
class ReleaseRun:
    """What the steps of one release share while it runs: the repository, the committer identity,
    the journal entry and the text each written file will have."""

    root: Path
    env: dict[str, str]
    entry: Journal
    today: str  # the changelog section's date (UTC)
    before: dict[str, bytes | None] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # path -> text after the release
    performed: list[ReleaseStep] = field(default_factory=list)
    pushed: bool = False

    def text_of(self, path: str) -> str | None:
        """The text ``path`` will have after the steps prepared so far (None: it does not exist)."""
        if path in self.texts:
            return self.texts[path]
        if path not in self.before:
            self.before[path] = _read_bytes(self.root / path)
        data = self.before[path]
        return None if data is None else data.decode("utf-8")

    def contents(self, path: str) -> bytes:
        return self.texts[path].encode("utf-8")

    def file_changes(self) -> dict[str, FileChange]:
        """Each file the release writes: its bytes now and the SHA-256 of its bytes after."""
        return {p: FileChange(self.before[p], sha256(self.contents(p))) for p in sorted(self.texts)}


class DescribedStep(Protocol):
    """What every step says about itself."""

    kind: ClassVar[str]

    def describe(self) -> str:
        """One line for people (the dry run, ``mlrelease plan``)."""
        ...

    def as_data(self) -> dict[str, Any]:
        """The step as JSON-able data: ``kind``, its parameters and its ``text``."""
        ...


class ReleaseStep(DescribedStep, Protocol):
    """One step :func:`mlrelease.versioning.release.execute` runs."""

    remote: ClassVar[bool]  # it changes the remote: runs after the local release is complete

    def prepare(self, state: ReleaseRun) -> None:
        """Compute what it will write (nothing is written)."""
        ...

    def run(self, state: ReleaseRun) -> None:
        """Do it."""
        ...


class _Step:
    """Defaults: a step that writes no file and runs locally."""

    kind: ClassVar[str] = ""
    remote: ClassVar[bool] = False

    def as_data(self) -> dict[str, Any]:
        return step_data(self)

    def describe(self) -> str:  # pragma: no cover - every step overrides it
        raise NotImplementedError

    def prepare(self, state: ReleaseRun) -> None:
        return None

    def run(self, state: ReleaseRun) -> None:
        return None


@dataclass(frozen=True)
class CheckUpstream:
    """Fetch origin and refuse when its branch has commits HEAD lacks. Unlike the other steps it
    runs while planning, before the version is computed (the tags fetched decide the version); in
    a dry run (and in ``mlrelease plan``) nothing is fetched."""

    kind: ClassVar[str] = "check-upstream"
    branch: str
    fetch: bool

    def describe(self) -> str:
        return "fetch origin and check that the upstream has not moved" + (
            ": ok" if self.fetch else " (skipped in a dry run)"
        )

    def as_data(self) -> dict[str, Any]:
        return step_data(self)

    def run(self, project: Project) -> None:
        check_upstream(project, self.branch, fetch=self.fetch)


@dataclass(frozen=True)
class StampVersion(_Step):
    """Set the version in one file (``key`` "" : the whole file is the version)."""

    kind: ClassVar[str] = "stamp"
    file: str
    key: str
    version: str

    def describe(self) -> str:
        return f"stamp {self.version} into {self.file} ({self.key or 'the whole file'})"

    def prepare(self, state: ReleaseRun) -> None:
        state.texts[self.file] = stamped_text(
            state.text_of(self.file) or "", self.file, self.key, self.version
        )

    def run(self, state: ReleaseRun) -> None:
        echo(f"stamping {self.version} into {self.file} ({self.key or 'the whole file'})")
        write_atomic(state.root / self.file, state.contents(self.file))


@dataclass(frozen=True)
class TagIsTheVersion(_Step):
    """No file carries the version (hatch-vcs, setuptools-scm): nothing to stamp."""

    kind: ClassVar[str] = "no-stamp"
    version_source: str

    def describe(self) -> str:
        return f"no file carries the version ({self.version_source}): the tag is the version"


@dataclass(frozen=True)
class WriteChangelog(_Step):
    """Add the release's section (from its conventional commits) to the changelog."""

    kind: ClassVar[str] = "changelog"
    file: str
    version: str
    commits: tuple[ConventionalCommit, ...] = field(
        repr=False, compare=False, metadata={"data": False}
    )

    def describe(self) -> str:
        return f"add the {self.version} section to {self.file}"

    def prepare(self, state: ReleaseRun) -> None:
        section = render_section(self.version, state.today, self.commits)
        state.texts[self.file] = updated_text(state.text_of(self.file), section)

    def run(self, state: ReleaseRun) -> None:
        echo(f"updating {self.file}")
        write_atomic(state.root / self.file, state.contents(self.file))


@dataclass(frozen=True)
class CommitRelease(_Step):
    """Commit every file the release wrote."""

    kind: ClassVar[str] = "commit"
    message: str

    def describe(self) -> str:
        return f"commit {self.message!r}"

    def run(self, state: ReleaseRun) -> None:
        journal.save(state.root, state.entry, "committing")
        run(["git", "add", "--", *sorted(state.entry.files)], cwd=state.root)
        run(["git", "commit", "--quiet", "-m", self.message], cwd=state.root, env=state.env)


@dataclass(frozen=True)
class TagRelease(_Step):
    """An annotated tag on the release commit."""

    kind: ClassVar[str] = "tag"
    tag: str
    version: str

    def describe(self) -> str:
        return f"tag {self.tag} on that commit"

    def run(self, state: ReleaseRun) -> None:
        journal.save(state.root, state.entry, "tagging")
        argv = ["git", "tag", "-a", self.tag, "-m", f"Release {self.version}"]
        run(argv, cwd=state.root, env=state.env)


@dataclass(frozen=True)
class PushRelease(_Step):
    """``git push --atomic`` of the branch and the tag: the remote gets both or neither. A rejected
    push undoes the local commit and tag (:func:`mlrelease.versioning.rollback.push`)."""

    kind: ClassVar[str] = "push"
    remote: ClassVar[bool] = True
    remote_ref: str
    tag: str

    def describe(self) -> str:
        return (
            f"push atomically: git push --atomic origin HEAD:{self.remote_ref} refs/tags/{self.tag}"
        )

    def run(self, state: ReleaseRun) -> None:
        root, entry = state.root, state.entry
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
        state.pushed = True


@dataclass(frozen=True)
class KeepLocal(_Step):
    """``--no-push``: the release commit and tag stay in this clone."""

    kind: ClassVar[str] = "no-push"

    def describe(self) -> str:
        return "do not push (--no-push)"

    def run(self, state: object) -> None:  # a single package's release or a workspace's
        return None


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


def step_data(step: DescribedStep) -> dict[str, Any]:
    """``kind``, the step's fields (TOML-style names) and its one-line text."""
    values = {
        f.name.replace("_", "-"): getattr(step, f.name)
        for f in dataclasses.fields(step)  # type: ignore[arg-type]
        if f.metadata.get("data", True)
    }
    return {"kind": step.kind, **values, "text": step.describe()}


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
