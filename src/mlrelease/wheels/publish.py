"""``mlrelease publish wheels``: the plan made with the backend of the target's kind, checked.

The one place that looks a backend up (:data:`~mlrelease.wheels.backends.FEED_BACKENDS`) and
hands it to the planner (:mod:`mlrelease.wheels.plan`) and, through the caller, to the runner
(:mod:`mlrelease.wheels.run`), which import no backend themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlrelease.wheels.backends import open_feed, resolve
from mlrelease.wheels.feed import Feed
from mlrelease.wheels.plan import WheelsPlan, plan_publish
from mlrelease.wheels.run import check_wheels

if TYPE_CHECKING:
    from mlrelease.project import Project


def plan_and_check(project: Project, *, dist: Path | None) -> tuple[WheelsPlan, Feed | None]:
    """The checked plan with the feed of its kind; raises when it refuses (nothing sent yet)."""
    plan, feed = plan_publish(project, open_feed, dist=dist, checks=True, resolve=resolve)
    check_wheels(plan)
    return plan, feed


def plan_wheels(project: Project) -> dict[str, Any]:
    """The wheels stage of ``mlrelease plan``: the same plan, made without the publish checks
    (an invalid feed table, no files or an unreachable feed are reported, not raised)."""
    plan, _ = plan_publish(project, open_feed, checks=False, resolve=resolve)
    return plan.as_data()
