"""``mlrelease publish images``: preflight, build, push by digest, immutable tags, moving tags.

Order across all configured images (failure modes 13-15):

1. preflight, before anything is built or sent: a release tag at HEAD, the released wheel in dist/,
   a container engine, each target reachable with its credentials, and what each tag points at now;
2. build every image (reproducible: the same commit gives the same digest) and export it to an OCI
   layout; a release tag that already points at a *different* digest stops everything here;
3. push every image by digest (blobs the target already has are skipped, blobs another repository
   of the registry has are mounted); a multi-platform image is an OCI index: each platform's
   manifest goes first, then the index; with ``--sbom``, each image's SBOM is attached as a referrer;
4. the immutable tags (``{version}``, ``sha-...``), then 5. the moving tags (``{major}.{minor}``,
   ``latest``): a moving tag never moves before every immutable one is in place.

A rerun with everything present pushes nothing and says so; a rerun after a failure completes what is
missing. With no registry configured the image goes to ``.mlrelease/images/<name>`` (OCI layout).
On GitHub Actions the step output ``digests`` (a JSON map target -> digest) is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.version import InvalidVersion, Version

from mlrelease._util import console
from mlrelease._util.runner import echo
from mlrelease.auth.registry import registry_credential
from mlrelease.errors import PublishError
from mlrelease.images.build import auth_file, build_image, check_emulation, release_wheel
from mlrelease.images.engines import get_engine
from mlrelease.images.layout import LayoutTarget, push_by_digest
from mlrelease.images.plan import LAYOUT_DIR, plan_all
from mlrelease.images.registry import RegistryTarget
from mlrelease.images.sbom import attach_image_sbom
from mlrelease.versioning.versions import release_version_at_head

if TYPE_CHECKING:
    from collections.abc import Callable

    from mlrelease.images.layout import LayoutImage, Target
    from mlrelease.images.plan import ImagePlan, TargetKind
    from mlrelease.project import Project

NO_TAG_HINT = "run `mlrelease release` first, or check out the release tag"


@dataclass
class ImageOutcome:
    plan: ImagePlan
    digest: str | None = None
    size: int | None = None
    digest_state: str = "planned"  # planned | pushed | present
    tags: dict[str, str] = field(default_factory=dict)  # tag -> planned|pushed|present
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


def _push_digest(
    outcome: ImageOutcome, target: Target, image: LayoutImage, sources: tuple[str, ...] = ()
) -> None:
    outcome.platforms = {str(c.platform): c.digest for c in image.children}
    if not push_by_digest(target, image, sources):
        outcome.digest_state = "present"
        return
    outcome.digest_state = "pushed"
    echo(f"pushed {target.label}@{image.digest}")


def repository_of(reference: str) -> tuple[str, str] | None:
    """``(registry host, repository)`` of an image reference that names its registry."""
    name = reference.split("@", 1)[0]
    host, sep, rest = name.partition("/")
    if not sep or not ("." in host or ":" in host or host == "localhost"):
        return None  # Docker Hub shorthand or a local name
    last = rest.rsplit("/", 1)
    if ":" in last[-1]:
        rest = rest[: rest.rindex(":")]
    return host, rest


def dockerfile_bases(plan: ImagePlan) -> list[str]:
    """Images a build starts from: the template's base, or the FROM lines of a project Dockerfile
    (build arguments left unexpanded are skipped)."""
    if plan.dockerfile is None:
        return [plan.base_image]
    try:
        text = plan.dockerfile.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 2 and words[0].upper() == "FROM":
            image = next((w for w in words[1:] if not w.startswith("--")), "")
            if image and "$" not in image:
                found.append(image)
    return found


def mount_sources(plan: ImagePlan, earlier: list[ImagePlan]) -> tuple[str, ...]:
    """Repositories of the same registry that may hold this image's blobs: images pushed before it
    in this run, then its base images. A blob found there is mounted instead of uploaded."""
    if plan.registry is None:
        return ()
    repos = [p.name for p in earlier if p.registry == plan.registry and p.name != plan.name]
    for base in dockerfile_bases(plan):
        found = repository_of(base)
        if found and found[0] == plan.registry and found[1] != plan.name:
            repos.append(found[1])
    return tuple(dict.fromkeys(repos))


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


def publish(
    project: Project, *, dist: Path | None, dry_run: bool, sbom: bool = False
) -> list[ImageOutcome]:

    config = project.config
    if not config.publish.images:
        return []
    version = release_version_at_head(project)
    if version is None:
        raise PublishError("no release tag points at HEAD: nothing to publish", hint=NO_TAG_HINT)
    plans = plan_all(project, version)
    outcomes = [ImageOutcome(plan) for plan in plans]
    wheel = None
    dist_dir = dist if dist is not None else project.root / config.build.outdir
    if any(plan.dockerfile is None for plan in plans):
        wheel = release_wheel(project, dist_dir, version)
    if dry_run:
        for outcome in outcomes:
            outcome.tags = dict.fromkeys(
                (*outcome.plan.tags.immutable, *outcome.plan.tags.moving), "planned"
            )
        return outcomes
    check_writable(project.root / LAYOUT_DIR, project.root)
    for plan in plans:
        check_emulation(plan)
    engine = get_engine(config.publish.container_engine)
    targets = [open_target(plan) for plan in plans]
    current: list[dict[str, str | None]] = []
    for plan, target in zip(plans, targets, strict=True):
        target.check()
        current.append({t: target.digest_of(t) for t in (*plan.tags.immutable, *plan.tags.moving)})
    images: list[LayoutImage] = []
    pins: list[list[Path]] = []
    for outcome, target in zip(outcomes, targets, strict=True):
        user, password = target.pull_credentials()
        requirements: list[Path] = []
        with auth_file(outcome.plan.registry, user, password) as authfile:
            image = build_image(
                project, outcome.plan, engine, wheel, authfile, requirements=requirements
            )
        outcome.digest, outcome.size = image.digest, image.size
        images.append(image)
        pins.append(requirements)
    _refuse_conflicts(outcomes, current)
    work = list(zip(outcomes, targets, images, current, strict=True))
    for n, (outcome, target, image, _) in enumerate(work):
        _push_digest(outcome, target, image, mount_sources(outcome.plan, plans[:n]))
    if sbom:
        _attach_sboms(project, work, pins, dist_dir)
    for outcome, target, image, now in work:
        _push_tags(outcome, target, image, outcome.plan.tags.immutable, now)
    for outcome, target, image, now in work:
        _push_tags(outcome, target, image, outcome.plan.tags.moving, now, moving=True)
    return outcomes


def _attach_sboms(
    project: Project,
    work: list[tuple[ImageOutcome, Target, LayoutImage, dict[str, str | None]]],
    pins: list[list[Path]],
    dist: Path,
) -> None:
    """Each image's CycloneDX SBOM: written to a file and attached to the image's digest (an OCI
    referrer in a registry, an index entry in the embedded layout). Before any tag moves."""

    plans = [outcome.plan for outcome, *_ in work]
    for n, ((outcome, target, image, _), reqs) in enumerate(zip(work, pins, strict=True)):
        outcome.sbom = attach_image_sbom(
            project,
            outcome.plan,
            target,
            image,
            requirements=reqs,
            dist=dist,
            sources=mount_sources(outcome.plan, plans[:n]),
        )


def preflight(project: Project, *, dist: Path | None) -> None:
    """Everything ``publish`` checks before building or sending, without building or sending.

    ``mlrelease publish all`` runs it before the first wheel is uploaded (failure mode 15).
    """

    outcomes = publish(project, dist=dist, dry_run=True)  # release tag, wheel, platforms
    if not outcomes:
        return

    for outcome in outcomes:
        check_emulation(outcome.plan)
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
            for platform, digest in o.platforms.items():
                lines.append(f"  platform {platform} {digest}")
            lines.append(f"  size    {human_size(o.size)} (compressed layers + config)")
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
        f"{human_size(o.size)} |"
        for o in outcomes
    ]
    console.step_summary(
        "### Container images\n\n| image | digest | tags | size |\n| --- | --- | --- | --- |\n"
        + "\n".join(rows)
    )
