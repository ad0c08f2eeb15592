"""``mlrelease release``: refuse unsafe states, then stamp, changelog, commit, tag and push.

Plan, then run. :func:`prepare_release` checks the repository (:mod:`mlrelease.versioning.refusals`)
and returns a :class:`ReleasePlan`: typed steps (:mod:`mlrelease.versioning.release_steps`) that
each describe themselves and run themselves. ``mlrelease plan`` (:func:`plan_release`),
``mlrelease release --dry-run`` and ``mlrelease release`` (:func:`execute`) read the same plan, so
what the preview says is what runs. The push is atomic (``git push --atomic`` of the branch and the
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
from dataclasses import dataclass
from typing import Any

from mlrelease._util.git import git
from mlrelease.errors import MlreleaseError, ReleaseError
from mlrelease.project import Project
from mlrelease.versioning import journal, rollback, semrel
from mlrelease.versioning.journal import Journal
from mlrelease.versioning.refusals import (
    check_expected_commit,
    check_repository,
    check_untracked_outputs,
)
from mlrelease.versioning.release_steps import (
    CheckUpstream,
    CommitRelease,
    DescribedStep,
    KeepLocal,
    PushRelease,
    ReleaseRun,
    ReleaseStep,
    StampVersion,
    TagIsTheVersion,
    TagRelease,
    WriteChangelog,
    identity_env,
)
from mlrelease.versioning.stamping import stamp_targets
from mlrelease.versioning.versions import (
    NextVersion,
    branch_kind,
    commits_since,
    compute_next_version,
    format_tag,
    last_release,
    normalize_version,
    parse_version,
    release_tags,
    semver_of,
)

RELEASE_PREFIX = "chore(release): "


@dataclass(frozen=True)
class ReleasePlan:
    """A checked release: the version and the steps that make it, in the order they run."""

    next: NextVersion
    version: str
    tag: str
    branch: str
    push: bool
    checks: tuple[CheckUpstream, ...]  # run while planning (before the version is computed)
    steps: tuple[ReleaseStep, ...]  # run by :func:`execute`, in this order

    def __post_init__(self) -> None:
        kinds = [step.remote for step in self.steps]
        if kinds != sorted(kinds):  # the remote is changed only once the local release is made
            raise ValueError("a step that changes the remote must come after the local steps")

    @property
    def message(self) -> str:
        """The release commit's subject."""
        return f"{RELEASE_PREFIX}{self.version}"

    @property
    def remote_ref(self) -> str:
        return f"refs/heads/{self.branch}"

    @property
    def described(self) -> tuple[DescribedStep, ...]:
        """The checks made while planning, then the steps that run."""
        return (*self.checks, *self.steps)

    def describe(self) -> list[str]:
        """Every step as one line for people."""
        return [step.describe() for step in self.described]

    def steps_data(self) -> list[dict[str, Any]]:
        """Every step as data (``kind``, parameters, ``text``) for ``--json``."""
        return [step.as_data() for step in self.described]

    def as_data(self) -> dict[str, Any]:
        return {
            **self.next.as_data(),
            "steps": self.describe(),
            "step-details": self.steps_data(),
            "pushed": False,
        }


@dataclass(frozen=True)
class ReleaseOutcome:
    """What a release did: the commit it made and whether origin has it."""

    version: str
    tag: str
    branch: str
    commit: str
    pushed: bool
    plan: ReleasePlan | None = None  # None: a rerun finished an interrupted release
    performed: tuple[ReleaseStep, ...] = ()  # the steps that ran, in order

    @property
    def resumed(self) -> bool:
        return self.plan is None

    def as_data(self) -> dict[str, Any]:
        if self.plan is None:
            return {
                "next-version": self.version,
                "tag": self.tag,
                "branch": self.branch,
                "commit": self.commit,
                "pushed": self.pushed,
                "resumed": True,
            }
        data = self.plan.as_data()
        data["pushed"] = self.pushed
        data["commit"] = self.commit
        return data


def build_plan(
    project: Project, nxt: NextVersion, *, push: bool, checks: tuple[CheckUpstream, ...] = ()
) -> ReleasePlan:
    """The steps that release ``nxt`` (which must be releasable on a branch); nothing is checked
    or run here."""
    if nxt.next_version is None or nxt.tag is None or nxt.branch is None:
        raise ValueError("build_plan needs a releasable version on a branch")
    version, tag = nxt.next_version, nxt.tag
    stamps = stamp_targets(project)
    steps: list[ReleaseStep] = [StampVersion(path, key, version) for path, key in stamps]
    if not stamps:
        steps.append(TagIsTheVersion(project.version_source))
    steps.append(WriteChangelog(project.config.version.changelog, version, tuple(nxt.commits)))
    steps.append(CommitRelease(f"{RELEASE_PREFIX}{version}"))
    steps.append(TagRelease(tag, version))
    if push:
        steps.append(PushRelease(f"refs/heads/{nxt.branch}", tag))
    else:
        steps.append(KeepLocal())
    return ReleasePlan(nxt, version, tag, nxt.branch, push, checks, tuple(steps))


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


def prepare_release(
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
    checks = (CheckUpstream(branch, fetch=not dry_run),) if push else ()
    for check in checks:
        check.run(project)
    if as_version:
        nxt = explicit_version(project, as_version, branch)
    else:
        nxt = compute_next_version(project, prerelease=prerelease)
    if not nxt.releasable:
        return nxt
    plan = build_plan(project, nxt, push=push, checks=checks)
    changelog = project.config.version.changelog
    stamped = sorted({s.file for s in plan.steps if isinstance(s, StampVersion)})
    check_untracked_outputs(project, [changelog, *stamped])
    return plan


def plan_release(project: Project) -> dict[str, Any]:
    """The ``release`` stage of ``mlrelease plan``: the next version, why, and the steps
    ``mlrelease release`` would run (the same :class:`ReleasePlan`); never raises."""
    data: dict[str, Any] = {
        "tag-format": project.config.version.tag_format,
        "version-source": project.version_source,
    }
    if not (project.root / ".git").exists() and not git(
        project.root, "rev-parse", "--git-dir", check=False
    ):
        data.update(available=False, reason="not a git repository")
        data["summary"] = ["not a git repository: no version to compute"]
        return data
    try:
        nxt = compute_next_version(project, any_branch=True)
    except MlreleaseError as exc:
        data.update(available=False, reason=exc.message, hint=exc.hint)
        data["summary"] = [f"cannot compute the next version: {exc.message}"] + (
            [f"hint: {exc.hint}"] if exc.hint else []
        )
        return data
    data.update(available=True, **nxt.as_data())
    data["summary"] = nxt.summary()
    if not nxt.releasable or nxt.branch is None or nxt.branch_kind == "other":
        return data
    try:
        plan = build_plan(project, nxt, push=True, checks=(CheckUpstream(nxt.branch, False),))
    except MlreleaseError as exc:
        data["summary"].append(f"cannot plan the release steps: {exc.message}")
        return data
    data["steps"] = plan.describe()
    data["step-details"] = plan.steps_data()
    data["summary"] += ["steps of mlrelease release:"] + [
        f"  {i}. {line}" for i, line in enumerate(plan.describe(), 1)
    ]
    return data


def execute(project: Project, plan: ReleasePlan) -> ReleaseOutcome:
    """Run the plan's steps in order; undo the local commit and tag if a step or the push fails.

    The journal (:mod:`mlrelease.versioning.journal`) is written before each step, so a rerun after
    a kill finishes or rolls back what was in flight (:mod:`mlrelease.versioning.resume`)."""

    root = project.root
    entry = Journal(
        version=plan.version,
        tag=plan.tag,
        branch=plan.branch,
        remote_ref=plan.remote_ref,
        start=git(root, "rev-parse", "HEAD"),
        message=plan.message,
        push=plan.push,
    )
    today = _dt.datetime.now(_dt.timezone.utc).date().isoformat()
    state = ReleaseRun(root, identity_env(root), entry, today)
    local = [s for s in plan.steps if not s.remote]
    remote = [s for s in plan.steps if s.remote]
    try:
        for step in plan.steps:
            step.prepare(state)
        entry.files = state.file_changes()
        journal.save(root, entry, "writing")
        for step in local:
            step.run(state)
            state.performed.append(step)
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
    commit = git(root, "rev-parse", "HEAD")
    for step in remote:  # each undoes the local release itself when it fails
        step.run(state)
        state.performed.append(step)
    journal.clear(root)
    return ReleaseOutcome(
        plan.version, plan.tag, plan.branch, commit, state.pushed, plan, tuple(state.performed)
    )
