"""Running the plan of ``publish images`` (:class:`~mlrelease.images.plan.ImagesPlan`).

The runner gets its backends as parameters: one target per image (opened from
``publish.TARGET_BACKENDS`` by the image's kind) and the container engine (``engines.get_engine``).
:func:`check_images` asks each target what the plan's tags point at now; :func:`run_images` then,
across all images (failure modes 13-15):

1. builds every image (reproducible: the same commit gives the same digest) and exports it to an
   OCI layout; a release tag that already points at a *different* digest stops everything here;
2. pushes every image by digest (blobs the target has are skipped, blobs another repository of the
   registry has are mounted); with ``--sbom``, attaches each image's SBOM as a referrer;
3. the immutable tags, then 4. the moving tags: a moving tag never moves before every immutable
   one is in place, and never backwards (a newer version there is kept).

A rerun with everything present pushes nothing; a rerun after a failure completes what is missing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlrelease._util.runner import echo
from mlrelease.errors import PublishError
from mlrelease.images.build import auth_file, build_image
from mlrelease.images.layout import push_by_digest
from mlrelease.images.plan import TagAction
from mlrelease.images.sbom import attach_image_sbom

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from mlrelease.images.engines import Engine
    from mlrelease.images.layout import LayoutImage, Target
    from mlrelease.images.plan import ImagePlan, ImagesPlan, ImageSteps, TagStep
    from mlrelease.project import Project

REFUSED_HINT = (
    "the image for this version differs from the published one (changed base image, dist/ or "
    "Dockerfile): release a new version; never overwrite a published one"
)


@dataclass
class ImageOutcome:
    """What happened to one image (``publish images`` reports it, ``--json`` shows it)."""

    plan: ImagePlan
    digest: str | None = None
    size: int | None = None
    digest_state: str = "planned"  # planned | pushed | present
    tags: dict[str, str] = field(default_factory=dict)  # tag -> planned|pushed|present|kept at
    platforms: dict[str, str] = field(default_factory=dict)  # platform -> manifest digest
    sbom: dict[str, Any] = field(default_factory=dict)  # file, digest, state, referrers | note

    @property
    def changed(self) -> bool:
        return (
            self.digest_state == "pushed"
            or "pushed" in self.tags.values()
            or self.sbom.get("state") == "pushed"
        )

    def as_data(self) -> dict[str, Any]:
        return {
            **self.plan.as_data(),
            "digest": self.digest,
            "size": self.size,
            "digest-state": self.digest_state,
            "platform-digests": self.platforms,
            "tags": self.tags,
            "sbom": self.sbom or None,
        }


def planned_outcomes(plan: ImagesPlan) -> list[ImageOutcome]:
    """The plan as ``--dry-run`` shows it: every tag planned, nothing built or sent."""
    return [
        ImageOutcome(steps.image, tags=dict.fromkeys((t.tag for t in steps.tags), "planned"))
        for steps in plan.images
    ]


def check_images(plan: ImagesPlan, targets: Sequence[Target]) -> ImagesPlan:
    """Each target reachable with its credentials, and what each tag points at there now (and, for a
    moving tag, the version of what is there): the plan with every tag's current state."""
    now: list[list[TagStep]] = []
    for steps, target in zip(plan.images, targets, strict=True):
        target.check()
        tags = []
        for step in steps.tags:
            there = target.digest_of(step.tag)
            version = target.version_at(step.tag) if step.moving and there is not None else None
            tags.append(dataclasses.replace(step, there=there, there_version=version))
        now.append(tags)
    return plan.with_tags_now(now)


def refused_tags(plan: ImagesPlan, digests: Sequence[str]) -> list[str]:
    """The release tags pushing ``digests`` (one per image) would move, as a user reads them."""
    found = []
    for steps, digest in zip(plan.images, digests, strict=True):
        for step in steps.tags:
            if step.action(digest, plan.version) is TagAction.REFUSED:
                found.append(
                    f"{steps.image.reference(step.tag)} already points at {step.there}; "
                    f"this build is {digest}"
                )
    return found


def run_images(
    plan: ImagesPlan, targets: Sequence[Target], engine: Engine, *, project: Project
) -> list[ImageOutcome]:
    """Build, push by digest, attach SBOMs, then the immutable tags and the moving ones.

    ``plan`` comes from :func:`check_images` (what each tag points at now); ``targets`` are its
    images' targets, in order; ``engine`` builds them."""
    if not plan.checked:
        raise ValueError("run_images needs a checked plan (check_images)")
    outcomes = [ImageOutcome(steps.image) for steps in plan.images]
    built: list[tuple[LayoutImage, list[Path]]] = []
    for steps, outcome, target in zip(plan.images, outcomes, targets, strict=True):
        user, password = target.pull_credentials()
        requirements: list[Path] = []
        with auth_file(steps.image.registry, user, password) as authfile:
            image = build_image(
                project, steps.image, engine, plan.wheel, authfile, requirements=requirements
            )
        outcome.digest, outcome.size = image.digest, image.size
        built.append((image, requirements))
    conflicts = refused_tags(plan, [image.digest for image, _ in built])
    if conflicts:
        raise PublishError(
            "refusing to move release tags (versions are immutable); nothing was pushed:\n"
            + "\n".join(f"  - {c}" for c in conflicts),
            hint=REFUSED_HINT,
        )
    work = list(zip(plan.images, outcomes, targets, built, strict=True))
    for steps, outcome, target, (image, _) in work:
        _push_digest(outcome, target, image, steps.mount_sources)
    if plan.sbom and plan.dist is not None:
        for steps, outcome, target, (image, requirements) in work:
            outcome.sbom = attach_image_sbom(
                project,
                steps.image,
                target,
                image,
                requirements=requirements,
                dist=plan.dist,
                sources=steps.mount_sources,
                output=steps.sbom_file,
            )
    for moving in (False, True):  # every immutable tag of every image before any moving one
        for steps, outcome, target, (image, _) in work:
            _push_tags(outcome, target, image, steps, moving=moving, version=plan.version)
    return outcomes


def _push_digest(
    outcome: ImageOutcome, target: Target, image: LayoutImage, sources: tuple[str, ...]
) -> None:
    outcome.platforms = {str(c.platform): c.digest for c in image.children}
    if not push_by_digest(target, image, sources):
        outcome.digest_state = "present"
        return
    outcome.digest_state = "pushed"
    echo(f"pushed {target.label}@{image.digest}")


def _push_tags(
    outcome: ImageOutcome,
    target: Target,
    image: LayoutImage,
    steps: ImageSteps,
    *,
    moving: bool,
    version: str,
) -> None:
    for step in steps.tags_in(moving=moving):
        reference = steps.image.reference(step.tag)
        action = step.action(image.digest, version)
        if action is TagAction.PRESENT:
            outcome.tags[step.tag] = "present"
        elif action is TagAction.KEPT:  # a hotfix of an older line never moves latest backwards
            outcome.tags[step.tag] = f"kept at {step.there_version} (newer)"
            echo(f"kept {reference}: it points at {step.there_version}, newer than this release")
        elif action is TagAction.PUSH:
            target.put_manifest(image, step.tag)
            outcome.tags[step.tag] = "pushed"
            echo(f"tagged {reference}")
        else:  # pragma: no cover - refused tags stopped the run before anything was pushed
            raise PublishError(f"refusing to move the release tag {reference}")
