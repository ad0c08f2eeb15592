"""What ``mlrelease publish wheels`` will do, as one typed value: the :class:`WheelsPlan`.

One planner (:func:`plan_publish`) makes it for ``mlrelease plan``, ``publish wheels --dry-run``,
the preflight of ``publish all`` and the run itself; :mod:`mlrelease.wheels.run` runs it.

Order, with ``checks`` (failure modes 1-7): resolve and validate the target (no network) ->
find the files -> the release tag at HEAD -> the cheap checks of every file (name, version, size;
before any file is read, so a 501 MiB file is refused without hashing it) -> ``twine check
--strict`` in a thread while the files are hashed and the feed is opened and read -> each file's
action (upload, already there identical, refused conflict). Without ``checks`` (``mlrelease
plan``) only the feed's view is planned, and an invalid configuration, a missing dist directory or
an unreachable feed is part of the plan instead of an error.

This module imports no feed backend: the caller passes the one of the target's kind.
"""

from __future__ import annotations

import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from packaging.utils import canonicalize_name

from mlrelease._util.redact import url_without_credentials
from mlrelease.errors import ConfigError, PublishError
from mlrelease.versioning.versions import release_version_at_head
from mlrelease.wheels.dist import (
    DistFile,
    Refusal,
    check_file,
    describe,
    find_dist_files,
    twine_check,
    with_digests,
)
from mlrelease.wheels.feed import Fate, Feed, FeedTarget, conflict_error, resolve_target

if TYPE_CHECKING:
    from mlrelease.project import Project

# "unknown": the feed could not be read (only in a plan made without checks).
Action = Literal["upload", "already published", "conflict", "unknown"]
FeedOpener = Callable[[FeedTarget], Feed]
TargetResolver = Callable[["Project"], FeedTarget]

NO_TAG_HINT = "run `mlrelease release` first, or check out the tag"
CONFLICT_REASON = "already on the feed with different content (versions are immutable there)"


@dataclass(frozen=True)
class PlannedFile:
    dist: DistFile
    action: Action
    reason: str = ""  # why, for "conflict" and "unknown"

    @property
    def filename(self) -> str:
        return self.dist.filename

    @property
    def size(self) -> int:
        return self.dist.size

    @property
    def sha256(self) -> str:
        return self.dist.sha256


@dataclass(frozen=True)
class WheelsPlan:
    """The feed, the files with their size, sha256 and action, and what refuses the publish."""

    target: FeedTarget | None  # None: the feed configuration is invalid (``config_error``)
    files: tuple[PlannedFile, ...] = ()
    refusals: tuple[Refusal, ...] = ()  # preflight: name, version, size, twine check
    checked: bool = False  # the release tag, the files and twine check were checked
    credentials: str = ""  # where the feed's credentials came from ("": none found)
    config_error: str = ""  # the feed configuration is invalid
    no_files: str = ""  # why there are no files to publish
    feed_error: str = ""  # why what is on the feed is unknown (unreachable, credentials)

    @property
    def kind(self) -> str:
        return self.target.kind if self.target is not None else ""

    @property
    def index_url(self) -> str:
        """The simple index, as it may be shown (never with credentials)."""
        return url_without_credentials(self.target.index_url) if self.target else ""

    @property
    def upload_url(self) -> str:
        return url_without_credentials(self.target.upload_url) if self.target else ""

    @property
    def conflicts(self) -> list[str]:
        return [f.filename for f in self.files if f.action == "conflict"]

    @property
    def version(self) -> str:
        return self.files[0].dist.version if self.files else ""

    @property
    def pip(self) -> str:
        """The command that installs the release (see :func:`pip_line`)."""
        if self.target is None:
            return ""
        name = self.files[0].dist.name if self.files else ""
        return pip_line(self.target, name, self.version)

    def refusal(self) -> PublishError | None:
        """Why nothing may go out (preflight refusals first, then conflicts); None when the plan
        may run."""
        if not self.checked:
            return PublishError(
                "the wheels plan was made without its checks; nothing was uploaded",
                hint="plan with checks before publishing",
            )
        if self.refusals:
            return refusal_error(list(self.refusals))
        if self.conflicts:
            return conflict_error(self.conflicts, self.version)
        return None

    def as_data(self) -> dict[str, Any]:
        """The wheels stage of ``mlrelease plan`` (JSON; ``summary`` is its text form)."""
        data: dict[str, Any] = {"files": [], "summary": []}
        summary: list[str] = data["summary"]
        if self.target is None:
            summary.append(f"feed configuration is invalid: {self.config_error}")
            data["error"] = self.config_error
            return data
        data.update(
            {
                "feed": self.target.kind,
                "upload-url": self.upload_url,
                "index-url": self.index_url,
            }
        )
        summary.append(f"{self.target.label}: {self.index_url}")
        if self.no_files:
            summary.append(f"no files to publish: {self.no_files}")
            return data
        if self.feed_error:
            data["reachable"] = False
            data["error"] = self.feed_error
            summary.append(f"cannot tell what is on the feed: {self.feed_error}")
        for planned in self.files:
            data["files"].append(
                {"file": planned.filename, "sha256": planned.sha256, "fate": planned.action}
            )
            summary.append(f"{planned.filename}: {planned.action}")
        return data


def refusal_error(refusals: list[Refusal]) -> PublishError:
    lines = [f"  - {r.filename}: {r.reason}" for r in refusals]
    n = len({r.filename for r in refusals})
    return PublishError(
        f"preflight refused {n} file{'s' if n != 1 else ''}; nothing was uploaded:\n"
        + "\n".join(lines),
        hint="fix the files listed above and rerun",
    )


def pip_line(target: FeedTarget, name: str, version: str) -> str:
    """The command that installs the release. The embedded directory feed is a local folder of
    files for ``--find-links``: the dependencies still come from the user's own index (``--index-url``
    would replace that index, and ``numpy`` would not be found). A remote feed replaces the index
    (never mixed with the public one: a private name must not be looked up on PyPI)."""
    if target.kind == "directory" and target.directory is not None:
        files = target.directory / "simple" / canonicalize_name(name)
        return f"pip install --find-links {shlex.quote(str(files))} {name}=={version}"
    index = url_without_credentials(target.index_url)
    return f"pip install --index-url {index} {name}=={version}"


def dist_dir(project: Project, given: Path | None) -> Path:
    return given if given is not None else project.root / project.config.build.outdir


def planned_files(fates: list[tuple[DistFile, Fate]]) -> tuple[PlannedFile, ...]:
    """Each reconciled file with its action (a conflict says why)."""
    return tuple(PlannedFile(d, f, CONFLICT_REASON if f == "conflict" else "") for d, f in fates)


def plan_publish(
    project: Project,
    open_feed: FeedOpener,
    *,
    dist: Path | None = None,
    checks: bool = True,
    resolve: TargetResolver = resolve_target,
) -> tuple[WheelsPlan, Feed | None]:
    """The plan, and the feed it was reconciled with (None when the feed was not read).

    ``open_feed`` opens the backend of the target's kind (``FEED_BACKENDS[target.kind]``), and
    ``resolve`` reads the target from the configuration (registered sub-tables included). With
    ``checks``, a missing release tag, an invalid configuration, no files and an unreadable feed
    raise; per-file refusals and conflicts are in the plan (:meth:`WheelsPlan.refusal`).
    """

    if checks:
        return _checked_plan(project, open_feed, dist, resolve)
    try:
        target = resolve(project)
    except ConfigError as exc:
        return WheelsPlan(None, config_error=str(exc.problems[0])), None
    try:
        files = [describe(p) for p in find_dist_files(dist_dir(project, dist))]
    except (PublishError, ValueError) as exc:
        return WheelsPlan(target, no_files=str(exc)), None
    try:
        feed = open_feed(target)
        fates = feed.reconcile(files)
    except PublishError as exc:  # includes AuthError: missing or rejected credentials
        unknown = tuple(PlannedFile(d, "unknown", exc.message) for d in files)
        return WheelsPlan(target, unknown, feed_error=exc.message), None
    return WheelsPlan(target, planned_files(fates), credentials=feed.source), feed


def _checked_plan(
    project: Project, open_feed: FeedOpener, dist: Path | None, resolve: TargetResolver
) -> tuple[WheelsPlan, Feed | None]:
    target = resolve(project)  # URL shapes checked before any network call
    paths = find_dist_files(dist_dir(project, dist))
    passed, refusals = cheap_checks(project, paths, target.max_bytes)
    if refusals:
        return WheelsPlan(target, refusals=tuple(refusals), checked=True), None
    # twine's start-up is most of a rerun's time, so it runs in a thread alongside the work that
    # sends nothing; no upload starts before its verdict, and a refusal is reported first.
    with ThreadPoolExecutor(max_workers=1) as pool:
        checking = pool.submit(twine_check, [d.path for d in passed])
        failure: PublishError | None = None
        feed: Feed | None = None
        fates: list[tuple[DistFile, Fate]] = []
        try:
            hashed = [with_digests(d) for d in passed]
            feed = open_feed(target)
            fates = feed.reconcile(hashed)
        except PublishError as exc:
            failure = exc
        twine_refusals = checking.result()
    if twine_refusals:
        return WheelsPlan(target, refusals=tuple(twine_refusals), checked=True), None
    if failure is not None or feed is None:
        raise failure or PublishError("the feed was not read", hint="rerun")
    plan = WheelsPlan(target, planned_files(fates), checked=True, credentials=feed.source)
    return plan, feed


def cheap_checks(
    project: Project, paths: list[Path], max_bytes: int
) -> tuple[list[DistFile], list[Refusal]]:
    """The checks of every file that read no file (tag at HEAD, name, version, size): the files
    that passed and the refusals. No release tag at HEAD raises."""

    release = release_version_at_head(project)
    if release is None:
        raise PublishError("no release tag points at HEAD: nothing to publish", hint=NO_TAG_HINT)
    refusals: list[Refusal] = []
    passed: list[DistFile] = []
    for path in paths:
        try:
            described = describe(path, digests=False)
        except ValueError as exc:
            refusals.append(Refusal(path.name, str(exc)))
            continue
        found = check_file(
            described, project_name=project.name, release_version=release, max_bytes=max_bytes
        )
        refusals += found
        if not found:
            passed.append(described)
    return passed, refusals
