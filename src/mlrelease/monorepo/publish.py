"""``mlrelease publish wheels|images|all`` at a monorepo root: each member released at HEAD (its
tag points at HEAD) publishes the files in its own build outdir (``<member>/dist``), in dependency
order, so a dependent never reaches the feed before what it requires. A member not released at
HEAD is skipped and said so; a rerun publishes nothing new (each member's publish is idempotent).

Before the first byte goes out, every member's wheels are checked: a wheel that names a sibling
member without a version bound (``Requires-Dist: fs-features``, what a uv workspace builds) is
refused, since pip would pair it with any version of the sibling ever published.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from mlrelease._util.runner import echo
from mlrelease.errors import PublishError
from mlrelease.monorepo.members import Member, Workspace, normalize
from mlrelease.project import Project, dist_files
from mlrelease.versioning.versions import release_version_at_head


@dataclass(frozen=True)
class MemberTarget:
    member: Member
    project: Project
    version: str | None  # the release at HEAD; None: not released here, skipped

    @property
    def dist(self) -> Path:
        return self.project.root / self.project.config.build.outdir


def targets(workspace: Workspace, projects: list[Project]) -> list[MemberTarget]:
    """Every member in dependency order, with the version its tag at HEAD names (if any)."""
    return [
        MemberTarget(m, p, release_version_at_head(p))
        for m, p in zip(workspace.ordered(), projects, strict=True)
    ]


def unbound_siblings(wheel: Path, siblings: set[str]) -> list[str]:
    """``Requires-Dist`` lines of ``wheel`` naming a member of ``siblings`` with no version."""
    with zipfile.ZipFile(wheel) as zf:
        meta = next((n for n in zf.namelist() if n.endswith(".dist-info/METADATA")), None)
        text = zf.read(meta).decode("utf-8", "replace") if meta else ""
    found = []
    for line in text.splitlines():
        if not line.startswith("Requires-Dist:"):
            continue
        raw = line.partition(":")[2].strip()
        try:
            req = Requirement(raw)
        except InvalidRequirement:
            continue
        if normalize(req.name) in siblings and not req.specifier and not req.url:
            found.append(raw)
    return found


def check_sibling_bounds(workspace: Workspace, chosen: list[MemberTarget]) -> None:
    """Refuse every wheel that requires a sibling member without a version bound."""
    siblings = set(workspace.members)
    problems = []
    for t in chosen:
        for wheel in (p for p in dist_files(t.dist) if p.suffix == ".whl"):
            for raw in unbound_siblings(wheel, siblings - {t.member.key}):
                problems.append(f"{t.member.path}/{wheel.relative_to(t.project.root)}: {raw!r}")
    if problems:
        raise PublishError(
            "a wheel names a sibling member without a version bound, so pip would pair it with "
            "any version of that member ever published:\n"
            + "\n".join(f"  - {p}" for p in problems),
            hint="give the requirement a lower bound in the member's [project].dependencies "
            '(e.g. "fs-features>=0.2.0"; `mlrelease release` at the root raises it on every '
            "release), then rebuild",
        )


def released_here(all_targets: list[MemberTarget]) -> list[MemberTarget]:
    chosen = []
    for t in all_targets:
        if t.version is None:
            echo(f"{t.member.key}: no release tag at HEAD, skipped")
        else:
            chosen.append(t)
    if not chosen:
        raise PublishError(
            "no member has a release tag at HEAD: nothing to publish",
            hint="run `mlrelease release` at the root first, or check out the release commit",
        )
    return chosen
