"""``mlrelease publish wheels|images|all`` at a monorepo root: each member released at HEAD (its
tag points at HEAD) publishes the files in its own build outdir (``<member>/dist``), in dependency
order, so a dependent never reaches the feed before what it requires. A member not released at
HEAD is skipped and said so; a rerun publishes nothing new (each member's publish is idempotent).

Before the first byte goes out, every member's wheels are checked: a wheel that names a sibling
member without a version bound (``Requires-Dist: fs-features``, what a uv workspace builds) is
refused, since pip would pair it with any version of the sibling ever published.
"""

from __future__ import annotations

import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from mlrelease._util.runner import echo
from mlrelease.errors import PublishError
from mlrelease.monorepo.members import Member, Workspace, normalize
from mlrelease.project import Project, dist_files
from mlrelease.versioning.versions import release_version_at_head
from mlrelease.wheels.dist import parse_dist_name


@dataclass(frozen=True)
class MemberTarget:
    member: Member
    project: Project
    version: str | None  # the release at HEAD; None: not released here, skipped
    given: Path | None = None  # the member's files split out of a --dist directory

    @property
    def dist(self) -> Path:
        return self.given or self.project.root / self.project.config.build.outdir


def split_dist(chosen: list[MemberTarget], dist: Path, into: Path) -> list[MemberTarget]:
    """``--dist DIR`` at the root (every member's files in one directory, as a CI artifact
    holds them): each member gets a directory of the files named for it."""
    out = []
    for t in chosen:
        mine = into / t.member.key
        mine.mkdir(parents=True, exist_ok=True)
        for path in dist_files(dist):
            try:
                name = parse_dist_name(path.name)[0]
            except ValueError:
                continue
            if normalize(name) == t.member.key:
                shutil.copy2(path, mine / path.name)
        out.append(MemberTarget(t.member, t.project, t.version, mine))
    return out


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
                problems.append(f"{t.member.path}: {wheel.name}: {raw!r}")
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


def root_outdir(workspace: Workspace) -> Path:
    """The root table's ``build.outdir`` (default ``dist``) under the root."""
    build = workspace.table.get("build", {})
    outdir = build.get("outdir") if isinstance(build, dict) else None
    return workspace.root / (outdir if isinstance(outdir, str) and outdir else "dist")


def gather_dist(workspace: Workspace, projects: list[Project]) -> list[Path]:
    """Copy every member's built files into the root's outdir (emptied first): what CI uploads
    as one artifact and ``publish --dist`` at the root splits again by member."""
    out = root_outdir(workspace)
    for old in dist_files(out):
        old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    copied = []
    for project in projects:
        for path in dist_files(project.root / project.config.build.outdir):
            shutil.copy2(path, out / path.name)
            copied.append(out / path.name)
    return copied
