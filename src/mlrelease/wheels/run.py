"""The wheels runner: run a :class:`~mlrelease.wheels.plan.WheelsPlan` against a feed, verify, report.

The plan (:mod:`mlrelease.wheels.plan`) has already checked every file and reconciled it with the
feed; :func:`check_wheels` refuses it when a file was refused or conflicts. :func:`run_wheels`
uploads the files the plan marks "upload" (after an error the index decides), then verifies every
file is listed with its sha256; :func:`report` writes the summary (stdout and
``$GITHUB_STEP_SUMMARY``). Nothing goes out unless every file passed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Literal

from mlrelease._util import console
from mlrelease._util.runner import echo
from mlrelease.errors import PublishError
from mlrelease.wheels.dist import DistFile
from mlrelease.wheels.feed import Feed, conflict_error
from mlrelease.wheels.plan import WheelsPlan, refusal_error

OutcomeAction = Literal["uploaded", "already published", "would upload"]


@dataclass(frozen=True)
class Outcome:
    dist: DistFile
    action: OutcomeAction


def check_wheels(plan: WheelsPlan) -> None:
    """Raise when the plan refuses (a file refused in preflight, a conflict); say which feed."""
    if plan.refusals:
        raise refusal_error(list(plan.refusals))
    echo(f"feed: {plan.index_url} (credentials: {plan.credentials or 'none found'})")
    error = plan.refusal()
    if error is not None:
        raise error


def run_wheels(plan: WheelsPlan, feed: Feed | None, *, dry_run: bool = False) -> list[Outcome]:
    """Upload what the plan says to ``feed`` (the backend of the plan's kind), then verify.

    A refused plan raises before anything is sent; ``dry_run`` sends nothing and says what would be.
    """

    error = plan.refusal()
    if error is not None:
        raise error
    if dry_run:
        return [
            Outcome(f.dist, "would upload" if f.action == "upload" else "already published")
            for f in plan.files
        ]
    if feed is None:
        raise PublishError("the feed was not read; nothing was uploaded", hint="rerun")
    outcomes: list[Outcome] = []
    for planned in plan.files:
        if planned.action == "already published":
            outcomes.append(Outcome(planned.dist, "already published"))
            continue
        echo(f"uploading {planned.filename} ({console.human_size(planned.size)})")
        landed = feed.upload(planned.dist)
        if landed == "conflict":  # a backend that reports instead of raising
            raise conflict_error([planned.filename], planned.dist.version)
        outcomes.append(Outcome(planned.dist, "uploaded" if landed == "upload" else landed))
    files = [f.dist for f in plan.files]
    feed.finish(sorted({d.name for d in files}))
    problems = feed.verify(files)
    if problems:
        raise PublishError(
            "verification failed after the upload:\n" + "\n".join(f"  - {p}" for p in problems),
            hint="the feed does not list what was sent: check index-url points at the same feed "
            "as upload-url, then rerun",
        )
    return outcomes


def report(plan: WheelsPlan, outcomes: list[Outcome], *, as_json: bool, dry_run: bool) -> None:
    if plan.target is None:
        raise ValueError("a plan without a feed has nothing to report")
    pip, index = plan.pip, plan.index_url
    if as_json:
        data = {
            "feed": plan.kind,
            "index-url": index,
            "upload-url": plan.upload_url,
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
        console.out(f"{plan.target.label}: {index}")
        console.out(f"install: {pip}")
    rows = "\n".join(f"| `{o.dist.filename}` | `{o.dist.sha256}` | {o.action} |" for o in outcomes)
    console.step_summary(
        f"### Wheels {'(dry run) ' if dry_run else ''}-> {plan.target.label}\n\n"
        f"| file | sha256 | result |\n| --- | --- | --- |\n{rows}\n\n"
        f"Index: `{index}`\n\n```sh\n{pip}\n```"
    )
