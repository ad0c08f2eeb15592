"""``mlrelease publish images``: preflight, build, push by digest, immutable tags, moving tags.

Order across all configured images (failure modes 13-15):

1. preflight, before anything is built or sent: a release tag at HEAD, the released wheel in dist/,
   a container engine, each target reachable with its credentials, and what each tag points at now;
2. build every image (reproducible: the same commit gives the same digest) and export it to an OCI
   layout; a release tag that already points at a *different* digest stops everything here;
3. push every image by digest (blobs the target already has are skipped);
4. the immutable tags (``{version}``, ``sha-...``), then 5. the moving tags (``{major}.{minor}``,
   ``latest``): a moving tag never moves before every immutable one is in place.

A rerun with everything present pushes nothing and says so; a rerun after a failure completes what is
missing. With no registry configured the image goes to ``.mlrelease/images/<name>`` (OCI layout).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from mlrelease._util import console
from mlrelease._util.runner import echo
from mlrelease.auth.registry import registry_credential
from mlrelease.errors import PublishError
from mlrelease.images.build import auth_file, build_image, release_wheel
from mlrelease.images.engines import get_engine
from mlrelease.images.layout import LayoutTarget
from mlrelease.images.plan import plan_all
from mlrelease.images.registry import RegistryTarget
from mlrelease.versioning.versions import release_version_at_head

if TYPE_CHECKING:
    from mlrelease.images.layout import LayoutImage, Target
    from mlrelease.images.plan import ImagePlan
    from mlrelease.project import Project

NO_TAG_HINT = "run `mlrelease release` first, or check out the release tag"


@dataclass
class ImageOutcome:
    plan: ImagePlan
    digest: str | None = None
    size: int | None = None
    digest_state: str = "planned"  # planned | pushed | present
    tags: dict[str, str] = field(default_factory=dict)  # tag -> planned|pushed|present

    @property
    def changed(self) -> bool:
        return self.digest_state == "pushed" or "pushed" in self.tags.values()

    def as_data(self) -> dict[str, Any]:
        return {
            **self.plan.as_data(),
            "digest": self.digest,
            "size": self.size,
            "digest-state": self.digest_state,
            "tags": self.tags,
        }


def open_target(plan: ImagePlan) -> Target:

    if plan.registry is None:
        assert plan.layout is not None  # noqa: S101 - set whenever registry is None
        return LayoutTarget(plan.layout)

    cred = registry_credential(plan.registry)
    return RegistryTarget(
        plan.registry,
        plan.name,
        username=cred.username if cred else None,
        password=cred.password if cred else None,
        credential_source=cred.source if cred else "no credentials (anonymous)",
    )


def _refuse_conflicts(outcomes: list[ImageOutcome], current: list[dict[str, str | None]]) -> None:
    conflicts = []
    for outcome, now in zip(outcomes, current, strict=True):
        for tag in outcome.plan.tags.immutable:
            there = now.get(tag)
            if there is not None and there != outcome.digest:
                conflicts.append(
                    f"{outcome.plan.reference(tag)} already points at {there}; "
                    f"this build is {outcome.digest}"
                )
    if conflicts:
        raise PublishError(
            "refusing to move release tags (versions are immutable); nothing was pushed:\n"
            + "\n".join(f"  - {c}" for c in conflicts),
            hint="the image for this version differs from the published one (changed base image, "
            "dist/ or Dockerfile): release a new version; never overwrite a published one",
        )


def _push_digest(outcome: ImageOutcome, target: Target, image: LayoutImage) -> None:
    if target.digest_of(image.digest) == image.digest:
        outcome.digest_state = "present"
        return
    for blob in image.blobs:
        if not target.has_blob(blob.digest):
            echo(f"  upload {blob.digest[:19]} ({blob.size / 1e6:.1f} MB) to {target.label}")
            target.put_blob(image, blob)
    target.put_manifest(image, image.digest)
    outcome.digest_state = "pushed"
    echo(f"pushed {target.label}@{image.digest}")


def _newer_there(target: Target, tag: str, version: str) -> str | None:
    """The version a moving tag points at when it is newer than ``version`` (else None)."""

    there = target.version_at(tag)
    try:
        return there if there is not None and Version(there) > Version(version) else None
    except InvalidVersion:
        return None


def _push_tags(
    outcome: ImageOutcome,
    target: Target,
    image: LayoutImage,
    tags: tuple[str, ...],
    now: dict[str, str | None],
    *,
    moving: bool = False,
) -> None:
    for tag in tags:
        if now.get(tag) == image.digest:
            outcome.tags[tag] = "present"
            continue
        newer = _newer_there(target, tag, outcome.plan.version) if moving and now.get(tag) else None
        if newer is not None:  # a hotfix of an older line never moves latest backwards
            outcome.tags[tag] = f"kept at {newer} (newer)"
            echo(
                f"kept {outcome.plan.reference(tag)}: it points at {newer}, newer than this release"
            )
            continue
        target.put_manifest(image, tag)
        outcome.tags[tag] = "pushed"
        echo(f"tagged {outcome.plan.reference(tag)}")


def publish(project: Project, *, dist: Path | None, dry_run: bool) -> list[ImageOutcome]:

    config = project.config
    if not config.publish.images:
        return []
    version = release_version_at_head(project)
    if version is None:
        raise PublishError("no release tag points at HEAD: nothing to publish", hint=NO_TAG_HINT)
    plans = plan_all(project, version)
    outcomes = [ImageOutcome(plan) for plan in plans]
    for plan in plans:
        if len(plan.platforms) != 1:
            raise PublishError(
                f"image {plan.name}: {len(plan.platforms)} platforms configured; one per image is "
                "supported",
                hint='set platforms = ["linux/amd64"] (or one other), one image entry per platform',
            )
    wheel = None
    if any(plan.dockerfile is None for plan in plans):
        dist_dir = dist if dist is not None else project.root / config.build.outdir
        wheel = release_wheel(project, dist_dir, version)
    if dry_run:
        for outcome in outcomes:
            outcome.tags = dict.fromkeys(
                (*outcome.plan.tags.immutable, *outcome.plan.tags.moving), "planned"
            )
        return outcomes
    engine = get_engine(config.publish.container_engine)
    targets = [open_target(plan) for plan in plans]
    current: list[dict[str, str | None]] = []
    for plan, target in zip(plans, targets, strict=True):
        target.check()
        current.append({t: target.digest_of(t) for t in (*plan.tags.immutable, *plan.tags.moving)})
    images: list[LayoutImage] = []
    for outcome, target in zip(outcomes, targets, strict=True):
        user = getattr(target, "username", None)
        password = getattr(target, "password", None)
        with auth_file(outcome.plan.registry, user, password) as authfile:
            image = build_image(project, outcome.plan, engine, wheel, authfile)
        outcome.digest, outcome.size = image.digest, image.size
        images.append(image)
    _refuse_conflicts(outcomes, current)
    work = list(zip(outcomes, targets, images, current, strict=True))
    for outcome, target, image, _ in work:
        _push_digest(outcome, target, image)
    for outcome, target, image, now in work:
        _push_tags(outcome, target, image, outcome.plan.tags.immutable, now)
    for outcome, target, image, now in work:
        _push_tags(outcome, target, image, outcome.plan.tags.moving, now, moving=True)
    return outcomes


def preflight(project: Project, *, dist: Path | None) -> None:
    """Everything ``publish`` checks before building or sending, without building or sending.

    ``mlrelease publish all`` runs it before the first wheel is uploaded (failure mode 15).
    """

    outcomes = publish(project, dist=dist, dry_run=True)  # release tag, wheel, platforms
    if not outcomes:
        return
    get_engine(project.config.publish.container_engine)
    for outcome in outcomes:
        open_target(outcome.plan).check()  # reachable, credentials accepted


def human_size(size: int | None) -> str:
    if size is None:
        return "?"
    return f"{size / 1e6:.1f} MB"


def summary_lines(outcomes: list[ImageOutcome], *, dry_run: bool) -> list[str]:
    lines: list[str] = []
    for o in outcomes:
        lines.append(f"image {o.plan.target}")
        if o.digest:
            lines.append(f"  digest  {o.digest} ({o.digest_state})")
            lines.append(f"  size    {human_size(o.size)} (compressed layers + config)")
        for tag, state in o.tags.items():
            lines.append(f"  tag     {tag} ({state})")
        for template, reason in o.plan.tags.skipped:
            lines.append(f"  skipped {template}: {reason}")
    if outcomes and not dry_run and not any(o.changed for o in outcomes):
        lines.append("already published: every image and tag is in place, nothing was pushed")
    return lines


def report(outcomes: list[ImageOutcome], *, as_json: bool, dry_run: bool) -> None:
    if as_json:
        console.out(
            json.dumps({"dry-run": dry_run, "images": [o.as_data() for o in outcomes]}, indent=2)
        )
        return
    if not outcomes:
        console.out("no images configured ([[tool.mlrelease.publish.images]]): nothing to do")
        return
    lines = summary_lines(outcomes, dry_run=dry_run)
    if dry_run:
        lines.insert(0, "dry run: nothing built or pushed")
    for line in lines:
        console.out(line)
    rows = [
        f"| `{o.plan.target}` | `{o.digest}` | {', '.join(f'`{t}`' for t in o.tags)} | "
        f"{human_size(o.size)} |"
        for o in outcomes
    ]
    console.step_summary(
        "### Container images\n\n| image | digest | tags | size |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows)
    )
