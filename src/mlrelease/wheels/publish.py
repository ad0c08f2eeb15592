"""``mlrelease publish wheels``: preflight everything, reconcile with the feed, upload, verify, report.

Order (failure modes 1-7): resolve and validate the target (no network) -> describe and hash
every file -> preflight every file (release tag at HEAD, name, version, size, ``twine check
--strict``) -> credentials -> reconcile with the index (a conflict stops everything) -> upload the
missing files (after an error the index decides) -> verify every file is listed with its sha256 ->
summary on stdout and in ``$GITHUB_STEP_SUMMARY``. Nothing goes out unless every file passed.
"""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import canonicalize_name

from mlrelease._util import console
from mlrelease._util.http import Session
from mlrelease._util.redact import url_without_credentials
from mlrelease._util.runner import echo
from mlrelease.auth.feed import feed_credential
from mlrelease.errors import ConfigError, PublishError
from mlrelease.versioning.versions import release_version_at_head
from mlrelease.wheels.directory import DirectoryFeed
from mlrelease.wheels.dist import (
    Refusal,
    check_file,
    describe,
    find_dist_files,
    twine_check,
    with_digests,
)
from mlrelease.wheels.feed import Feed, Kind, conflict_error, resolve_target
from mlrelease.wheels.remote import RemoteFeed

if TYPE_CHECKING:
    from mlrelease.project import Project
    from mlrelease.wheels.dist import DistFile, Refusal
    from mlrelease.wheels.feed import Fate, FeedTarget


def dist_dir(project: Project, given: Path | None) -> Path:
    return given if given is not None else project.root / project.config.build.outdir


def _remote_feed(target: FeedTarget) -> Feed:
    """A feed over HTTP with its credentials (resolved in the documented order)."""
    cred = feed_credential(target.upload_url, azure=target.kind == "azure-artifacts")
    auth = (cred.username, cred.password) if cred.present else None
    session = Session(auth=auth, auth_url=target.upload_url)
    return RemoteFeed(target, cred, session)


# The feed backends by kind (``FeedTarget.kind``): a new kind is one module implementing
# :class:`~mlrelease.wheels.feed.Feed`, one entry here and its config sub-table.
FEED_BACKENDS: dict[Kind, Callable[[FeedTarget], Feed]] = {
    "azure-artifacts": _remote_feed,
    "generic": _remote_feed,
    "directory": DirectoryFeed,
}


def open_feed(project: Project, target: FeedTarget) -> Feed:
    """The feed object of ``target``'s kind, with its credentials."""
    return FEED_BACKENDS[target.kind](target)


NO_TAG_HINT = "run `mlrelease release` first, or check out the tag"


def preflight(project: Project, paths: list[Path], max_bytes: int) -> list[DistFile]:
    """The cheap checks of every file (tag at HEAD, name, version, size): the files that passed.

    Raises PublishError listing every refusal. They run before any file is read, so a 501 MiB
    file is refused without hashing it.
    """

    release = release_version_at_head(project)
    if release is None:
        raise PublishError("no release tag points at HEAD: nothing to publish", hint=NO_TAG_HINT)
    refusals: list[Refusal] = []
    passed: list[DistFile] = []
    for path in paths:
        try:
            dist = describe(path, digests=False)
        except ValueError as exc:
            refusals.append(Refusal(path.name, str(exc)))
            continue
        found = check_file(
            dist, project_name=project.name, release_version=release, max_bytes=max_bytes
        )
        refusals += found
        if not found:
            passed.append(dist)
    if refusals:
        _refuse(refusals)
    return passed


def checked_and_reconciled(
    project: Project, target: FeedTarget, files: list[DistFile]
) -> tuple[Feed, list[tuple[DistFile, Fate]]]:
    """``twine check --strict`` on every file, while hashing them and reading the index.

    twine's start-up is most of a rerun's time, so it runs in a thread alongside the work that
    sends nothing; no upload starts before its verdict, and a refusal is reported first.
    """

    with ThreadPoolExecutor(max_workers=1) as pool:
        checking = pool.submit(twine_check, [d.path for d in files])
        failure: BaseException | None = None
        try:
            hashed = [with_digests(d) for d in files]
            feed = open_feed(project, target)
            fates = feed.reconcile(hashed)
        except PublishError as exc:
            failure = exc
        refusals = checking.result()
    if refusals:
        _refuse(refusals)
    if failure is not None:
        raise failure
    echo(
        f"feed: {url_without_credentials(target.index_url)} "
        f"(credentials: {feed.source or 'none found'})"
    )
    return feed, fates


def _refuse(refusals: list[Refusal]) -> None:
    lines = [f"  - {r.filename}: {r.reason}" for r in refusals]
    n = len({r.filename for r in refusals})
    raise PublishError(
        f"preflight refused {n} file{'s' if n != 1 else ''}; nothing was uploaded:\n"
        + "\n".join(lines),
        hint="fix the files listed above and rerun",
    )


@dataclass(frozen=True)
class Outcome:
    dist: DistFile
    action: str  # "uploaded" | "already published" | "would upload"


def human_size(size: int) -> str:
    return f"{size / 1048576:.1f} MiB" if size >= 1048576 else f"{size / 1024:.1f} KiB"


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


def report(target: FeedTarget, outcomes: list[Outcome], *, as_json: bool, dry_run: bool) -> None:
    version = outcomes[0].dist.version if outcomes else ""
    name = outcomes[0].dist.name if outcomes else ""
    pip = pip_line(target, name, version)
    index = url_without_credentials(target.index_url)
    if as_json:
        data = {
            "feed": target.kind,
            "index-url": index,
            "upload-url": url_without_credentials(target.upload_url),
            "dry-run": dry_run,
            "files": [
                {
                    "file": o.dist.filename,
                    "sha256": o.dist.sha256,
                    "size": o.dist.size,
                    "action": o.action,
                }
                for o in outcomes
            ],
            "pip": pip,
        }
        console.out(json.dumps(data, indent=2))
    else:
        width = max(len(o.action) for o in outcomes)
        for o in outcomes:
            console.out(f"{o.action:<{width}}  {o.dist.filename}  sha256:{o.dist.sha256}")
        console.out(f"{target.label}: {index}")
        console.out(f"install: {pip}")
    rows = "\n".join(f"| `{o.dist.filename}` | `{o.dist.sha256}` | {o.action} |" for o in outcomes)
    console.step_summary(
        f"### Wheels {'(dry run) ' if dry_run else ''}-> {target.label}\n\n"
        f"| file | sha256 | result |\n| --- | --- | --- |\n{rows}\n\n"
        f"Index: `{index}`\n\n```sh\n{pip}\n```"
    )


def publish(
    project: Project, *, dist: Path | None, dry_run: bool
) -> tuple[FeedTarget, list[Outcome]]:

    target = resolve_target(project)  # URL shapes checked before any network call
    paths = find_dist_files(dist_dir(project, dist))
    files = preflight(project, paths, target.max_bytes)
    feed, fates = checked_and_reconciled(project, target, files)
    files = [d for d, _ in fates]
    conflicts = [d.filename for d, f in fates if f == "conflict"]
    if conflicts:
        raise conflict_error(conflicts, files[0].version)
    if dry_run:
        return target, [
            Outcome(d, "would upload" if f == "upload" else "already published") for d, f in fates
        ]
    outcomes: list[Outcome] = []
    for dist_file, file_fate in fates:
        if file_fate == "already published":
            outcomes.append(Outcome(dist_file, "already published"))
            continue
        echo(f"uploading {dist_file.filename} ({human_size(dist_file.size)})")
        landed = feed.upload(dist_file)
        outcomes.append(Outcome(dist_file, "uploaded" if landed == "upload" else landed))
    feed.finish(sorted({d.name for d in files}))
    problems = feed.verify(files)
    if problems:
        raise PublishError(
            "verification failed after the upload:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="the feed does not list what was sent: check index-url points at the same feed "
            "as upload-url, then rerun",
        )
    return target, outcomes


def plan_wheels(project: Project) -> dict[str, Any]:
    """The files in dist/ and their fate; an unreachable feed or missing credentials is reported."""

    data: dict[str, Any] = {"files": [], "summary": []}
    summary: list[str] = data["summary"]
    try:
        target = resolve_target(project)
    except ConfigError as exc:
        summary.append(f"feed configuration is invalid: {exc.problems[0]}")
        data["error"] = str(exc.problems[0])
        return data
    data.update(
        {"feed": target.kind, "upload-url": target.upload_url, "index-url": target.index_url}
    )
    summary.append(f"{target.label}: {url_without_credentials(target.index_url)}")
    dist = dist_dir(project, None)
    try:
        files = [describe(p) for p in find_dist_files(dist)]
    except (PublishError, ValueError) as exc:
        summary.append(f"no files to publish: {exc}")
        return data
    try:
        feed = open_feed(project, target)
        fates = feed.reconcile(files)
    except PublishError as exc:  # includes AuthError: missing or rejected credentials
        data["reachable"] = False
        data["error"] = exc.message
        summary.append(f"cannot tell what is on the feed: {exc.message}")
        fates = [(d, "unknown") for d in files]  # type: ignore[misc]
    for dist_file, file_fate in fates:
        data["files"].append(
            {"file": dist_file.filename, "sha256": dist_file.sha256, "fate": file_fate}
        )
        summary.append(f"{dist_file.filename}: {file_fate}")
    return data
