"""``mlrelease publish images``: plan and check, then run, then report.

1. :func:`plan_and_check`, before anything is built or sent: the one plan
   (:class:`~mlrelease.images.plan.ImagesPlan`: a release tag at HEAD, the released wheel in dist/),
   the staging directory writable, emulation for each platform, a container engine
   (``engines.get_engine``), each image's target opened by its kind (:data:`TARGET_BACKENDS`),
   reachable with its credentials, and what each tag points at there now;
2. :func:`run_checked`: :func:`mlrelease.images.runner.run_images` builds every image, refuses to
   move a release tag (nothing pushed), pushes by digest, attaches SBOMs, then the immutable tags,
   then the moving ones (failure modes 13-15). ``--dry-run`` stops after the plan;
3. :func:`report`: the summary, ``--json``, and on GitHub Actions the step output ``digests`` (a
   JSON map target -> digest) and the step summary.

A rerun with everything present pushes nothing and says so; a rerun after a failure completes what is
missing. With no registry configured the image goes to ``.mlrelease/images/<name>`` (OCI layout).
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlrelease._util import console
from mlrelease.auth.registry import registry_credential
from mlrelease.errors import PublishError
from mlrelease.images.build import check_emulation, release_wheel
from mlrelease.images.engines import get_engine
from mlrelease.images.layout import LayoutTarget
from mlrelease.images.plan import LAYOUT_DIR, ImagesPlan, images_plan
from mlrelease.images.registry import RegistryTarget
from mlrelease.images.runner import ImageOutcome, check_images, planned_outcomes, run_images
from mlrelease.versioning.versions import release_version_at_head

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlrelease.images.engines import Engine
    from mlrelease.images.layout import Target
    from mlrelease.images.plan import ImagePlan, TargetKind
    from mlrelease.project import Project

NO_TAG_HINT = "run `mlrelease release` first, or check out the release tag"


def _registry_target(plan: ImagePlan) -> Target:
    assert plan.registry is not None  # noqa: S101 - kind "registry" means a registry is set
    cred = registry_credential(plan.registry)
    return RegistryTarget(
        plan.registry,
        plan.name,
        username=cred.username if cred else None,
        password=cred.password if cred else None,
        credential_source=cred.source if cred else "no credentials (anonymous)",
    )


def _layout_target(plan: ImagePlan) -> Target:
    assert plan.layout is not None  # noqa: S101 - set whenever registry is None
    return LayoutTarget(plan.layout)


# The image target backends by kind (``ImagePlan.kind``): a new kind is one module implementing
# :class:`~mlrelease.images.layout.Target` and one entry here.
TARGET_BACKENDS: dict[TargetKind, Callable[[ImagePlan], Target]] = {
    "registry": _registry_target,
    "oci-layout": _layout_target,
}


def open_target(plan: ImagePlan) -> Target:
    return TARGET_BACKENDS[plan.kind](plan)


def check_writable(directory: Path, root: Path) -> None:
    """Refuse before building when the staging directory (``.mlrelease/images``) cannot be
    written: read-only, a file in its place, or outside what this user may write."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".mlrelease-probe-"):
            pass
    except OSError as exc:
        shown = directory.relative_to(root) if directory.is_relative_to(root) else directory
        raise PublishError(
            f"{shown} cannot be written ({exc.strerror or exc}); images are built and staged "
            "there, nothing was built or pushed",
            hint=f"make {shown} writable (or remove it, or the file in its place), then rerun",
        ) from None


def plan_publication(project: Project, *, dist: Path | None, sbom: bool = False) -> ImagesPlan:
    """The plan of ``publish images`` at HEAD: a release tag there, the released wheel in dist/
    (for the built-in template); nothing checked, built or sent."""
    config = project.config
    if not config.publish.images:
        return ImagesPlan("", ())
    version = release_version_at_head(project)
    if version is None:
        raise PublishError("no release tag points at HEAD: nothing to publish", hint=NO_TAG_HINT)
    dist_dir = dist if dist is not None else project.root / config.build.outdir
    plan = images_plan(project, version, dist=dist_dir, sbom=sbom)
    if any(steps.image.dockerfile is None for steps in plan.images):
        plan = dataclasses.replace(plan, wheel=release_wheel(project, dist_dir, version))
    return plan


@dataclass(frozen=True)
class CheckedImages:
    """A plan checked against its targets, with the backends it runs on (``engine`` None: a dry
    run, nothing checked)."""

    project: Project
    plan: ImagesPlan
    targets: tuple[Target, ...] = ()
    engine: Engine | None = None


def plan_and_check(
    project: Project, *, dist: Path | None, sbom: bool = False, dry_run: bool = False
) -> CheckedImages:
    """Everything ``publish images`` checks before building or sending: the plan (release tag,
    wheel), then, unless ``dry_run``, the staging directory, emulation for each platform, a
    container engine, and each target reachable with its credentials and what its tags point at.

    ``mlrelease publish all`` calls it before the first wheel is uploaded (failure mode 15), then
    :func:`run_checked` after the wheels."""
    plan = plan_publication(project, dist=dist, sbom=sbom)
    if dry_run or not plan.images:
        return CheckedImages(project, plan)
    check_writable(project.root / LAYOUT_DIR, project.root)
    for steps in plan.images:
        check_emulation(steps.image)
    engine = get_engine(project.config.publish.container_engine)
    targets = tuple(TARGET_BACKENDS[steps.kind](steps.image) for steps in plan.images)
    return CheckedImages(project, check_images(plan, targets), targets, engine)


def run_checked(checked: CheckedImages) -> list[ImageOutcome]:
    """Run a plan from :func:`plan_and_check` (a dry run: the planned outcomes)."""
    if checked.engine is None:
        return planned_outcomes(checked.plan)
    return run_images(checked.plan, checked.targets, checked.engine, project=checked.project)


def publish(
    project: Project, *, dist: Path | None, dry_run: bool, sbom: bool = False
) -> list[ImageOutcome]:
    """Plan, check and run at once (``mlrelease publish images``)."""
    return run_checked(plan_and_check(project, dist=dist, sbom=sbom, dry_run=dry_run))


def preflight(project: Project, *, dist: Path | None) -> CheckedImages:
    """Everything ``publish`` checks before building or sending, without building or sending."""
    return plan_and_check(project, dist=dist)


def summary_lines(outcomes: list[ImageOutcome], *, dry_run: bool) -> list[str]:
    lines: list[str] = []
    for o in outcomes:
        lines.append(f"image {o.plan.target}")
        if o.digest:
            lines.append(f"  digest  {o.digest} ({o.digest_state})")
            for platform, digest in o.platforms.items():
                lines.append(f"  platform {platform} {digest}")
            lines.append(f"  size    {console.human_size(o.size)} (compressed layers + config)")
        for tag, state in o.tags.items():
            lines.append(f"  tag     {tag} ({state})")
        for template, reason in o.plan.tags.skipped:
            lines.append(f"  skipped {template}: {reason}")
        if o.sbom.get("note"):
            lines.append(f"  sbom    {o.sbom['note']}")
        elif o.sbom:
            lines.append(f"  sbom    {o.sbom['file']} -> {o.sbom['digest']} ({o.sbom['state']})")
            lines.append(f"  referrer of {o.digest}: {o.sbom['referrers']}")
    if outcomes and not dry_run and not any(o.changed for o in outcomes):
        lines.append("already published: every image and tag is in place, nothing was pushed")
    return lines


def digests(outcomes: list[ImageOutcome]) -> dict[str, str]:
    """Each image's target (``host/name``, or ``oci:<dir>``) -> its digest (index or manifest)."""
    return {o.plan.target: o.digest for o in outcomes if o.digest}


def write_github_output(name: str, value: str) -> None:
    """``name=value`` into ``$GITHUB_OUTPUT`` on GitHub Actions (:func:`console.step_outputs`)."""
    if os.environ.get("GITHUB_ACTIONS") == "true":
        console.step_outputs({name: value})


def report(outcomes: list[ImageOutcome], *, as_json: bool, dry_run: bool) -> None:
    if not dry_run:
        write_github_output("digests", json.dumps(digests(outcomes), separators=(",", ":")))
    if as_json:
        data = {"dry-run": dry_run, "digests": digests(outcomes)}
        console.out(json.dumps({**data, "images": [o.as_data() for o in outcomes]}, indent=2))
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
        f"{console.human_size(o.size)} |"
        for o in outcomes
    ]
    console.step_summary(
        "### Container images\n\n| image | digest | tags | size |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows)
    )
