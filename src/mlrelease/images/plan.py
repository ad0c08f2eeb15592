"""Container images: what will be built and which tags go where, as plain data (no state changes).

For each ``[[tool.mlrelease.publish.images]]`` entry, :func:`plan_image` resolves the target
(a registry repository, or the embedded OCI image layout ``.mlrelease/images/<name>`` when no
registry is configured), renders the tag templates for the release version at HEAD, fills in the
OCI labels and fixes the push order (failure modes 14-15):

1. the image by digest (immutable, content-addressed);
2. the *immutable* tags: any tag naming the exact version or commit (``{version}``, ``{patch}``,
   ``{sha}``, ``{short_sha}``). A release tag that already points at another digest is refused;
3. the *moving* tags (``{major}.{minor}``, ``{major}``, ``latest``, other literals), only after
   every immutable one succeeded, and only for final releases: a prerelease never moves them.

:func:`images_plan` makes the one typed plan of ``publish images`` (:class:`ImagesPlan`): ``mlrelease
plan`` renders it, ``--dry-run`` prints it, preflight fills in what each tag points at now
(:meth:`ImagesPlan.with_tags_now`) and :func:`mlrelease.images.runner.run_images` runs it. A tag's
action follows from what it points at now and the digest the (reproducible) build gives
(:meth:`TagStep.action`): push it, leave it (already there, identical), refuse (a release tag at
another digest: nothing at all is pushed) or keep it (a moving tag at a newer version).
"""

from __future__ import annotations

import dataclasses
import enum
import os
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from packaging.version import InvalidVersion, Version

from mlrelease._util.git import Repo, source_date_epoch
from mlrelease._util.redact import redact, url_without_credentials
from mlrelease.config.model import check_image_ref
from mlrelease.errors import PublishError
from mlrelease.images.mounts import dockerfile_bases, mount_sources
from mlrelease.versioning.versions import release_version_at_head

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mlrelease.config.model import ImageConfig
    from mlrelease.project import Project

LAYOUT_DIR = ".mlrelease/images"
SBOM_DIR = ".mlrelease/sbom"
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
# A template naming one of these identifies exactly one build: it never moves.
IMMUTABLE_PLACEHOLDERS = frozenset({"version", "patch", "sha", "short_sha"})
BASE_IMAGE_ENV = "MLRELEASE_BASE_IMAGE"


TargetKind = Literal["registry", "oci-layout"]


@dataclass(frozen=True)
class ReleaseFacts:
    """What the tags and labels are made of: the release version and the commit."""

    version: str  # PEP 440, normalized
    sha: str
    epoch: int  # SOURCE_DATE_EPOCH: the image's created time
    source: str | None = None  # the repository URL, without credentials
    licenses: str | None = None
    title: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class TagPlan:
    immutable: tuple[str, ...]
    moving: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...] = ()  # (template, reason)


@dataclass(frozen=True)
class ImagePlan:
    """One image: where it goes, how it is built, which tags in which order."""

    name: str
    registry: str | None  # None: the embedded OCI layout
    layout: Path | None
    dockerfile: Path | None  # None: the built-in template
    context: Path
    base_image: str
    build_args: tuple[tuple[str, str], ...]
    platforms: tuple[str, ...]
    tags: TagPlan
    labels: tuple[tuple[str, str], ...]
    epoch: int
    version: str
    build_timeout: int = 60  # minutes, per platform

    @property
    def kind(self) -> TargetKind:
        """Which backend holds the image (``publish.TARGET_BACKENDS``)."""
        return "oci-layout" if self.registry is None else "registry"

    @property
    def target(self) -> str:
        """Human name of the destination: ``host/name`` or the layout directory."""
        if self.registry is None:
            return f"oci:{self.layout}"
        return f"{self.registry}/{self.name}"

    def reference(self, tag: str) -> str:
        return f"{self.target}:{tag}"

    def as_data(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "registry": self.registry,
            "layout": str(self.layout) if self.layout else None,
            "target": self.target,
            "dockerfile": str(self.dockerfile) if self.dockerfile else "built-in template",
            "base-image": self.base_image,
            "platforms": list(self.platforms),
            "build-timeout-minutes": self.build_timeout,
            "immutable-tags": list(self.tags.immutable),
            "moving-tags": list(self.tags.moving),
            "skipped-tags": [{"tag": t, "reason": r} for t, r in self.tags.skipped],
            "labels": dict(self.labels),
            "order": ["image by digest", *self.tags.immutable, *self.tags.moving],
        }


class TagAction(enum.Enum):
    PUSH = "push"
    PRESENT = "present"  # already there, identical: nothing is sent
    REFUSED = "refused"  # a release tag at another digest: nothing at all is pushed
    KEPT = "kept"  # a moving tag at a newer version: a hotfix never moves it backwards


def newer(there: str | None, version: str) -> bool:
    """Whether the version ``there`` is newer than ``version`` (False when not a version)."""
    try:
        return there is not None and Version(there) > Version(version)
    except InvalidVersion:
        return False


@dataclass(frozen=True)
class TagStep:
    """One tag of one image and what it points at now (once the target was checked)."""

    tag: str
    moving: bool
    there: str | None = None  # the digest it points at now; None: absent (or not checked)
    there_version: str | None = None  # a moving tag: the version label of what is there

    def action(self, digest: str, version: str) -> TagAction:
        """What pushing the image ``digest`` of ``version`` does to this tag."""
        if self.there == digest:
            return TagAction.PRESENT
        if self.there is None:
            return TagAction.PUSH
        if not self.moving:
            return TagAction.REFUSED
        return TagAction.KEPT if newer(self.there_version, version) else TagAction.PUSH


@dataclass(frozen=True)
class ImageSteps:
    """One image: its build inputs and target, its tags in push order, its SBOM, mount sources."""

    image: ImagePlan
    tags: tuple[TagStep, ...]  # the immutable ones first, then the moving ones
    mount_sources: tuple[str, ...] = ()  # repositories of the registry that may hold its blobs
    sbom_file: Path | None = None  # with --sbom: where its SBOM is written (then attached)

    @property
    def kind(self) -> TargetKind:
        """The target backend's kind (``publish.TARGET_BACKENDS``)."""
        return self.image.kind

    @property
    def reference(self) -> str:
        """The target as shown: ``host/name`` or ``oci:<dir>``, any secret masked."""
        return redact(self.image.target)

    def tags_in(self, *, moving: bool) -> tuple[TagStep, ...]:
        return tuple(t for t in self.tags if t.moving == moving)


@dataclass(frozen=True)
class ImagesPlan:
    """Every configured image of one release, in the configured order."""

    version: str
    images: tuple[ImageSteps, ...]
    wheel: Path | None = None  # the released wheel (the built-in template installs it)
    dist: Path | None = None  # the released files (an image's SBOM reads the wheel there)
    sbom: bool = False
    checked: bool = False  # True once each tag's current digest comes from its target

    def with_tags_now(self, now: Sequence[Sequence[TagStep]]) -> ImagesPlan:
        """This plan with each image's tags as its target reported them (``now``, per image)."""
        images = tuple(
            dataclasses.replace(steps, tags=tuple(tags))
            for steps, tags in zip(self.images, now, strict=True)
        )
        return dataclasses.replace(self, images=images, checked=True)


def is_prerelease(version: str) -> bool:

    return bool(Version(version).is_prerelease)


def tag_fields(version: str, sha: str) -> dict[str, str]:
    """The placeholder values for ``version`` (PEP 440) at commit ``sha``."""

    v = Version(version)
    release = (*v.release, 0, 0)
    return {
        "version": str(v),
        "major": str(release[0]),
        "minor": str(release[1]),
        "patch": str(release[2]),
        "sha": sha,
        "short_sha": sha[:7],
    }


def render_tags(templates: tuple[str, ...], version: str, sha: str) -> TagPlan:
    """Render the templates: immutable ones first, moving ones after; none on a prerelease.

    A tag made only of partial version fields (``{major}.{minor}.{patch}`` included) names a final
    release: on a prerelease it would claim the final's tag, so it is skipped with the reason.
    """
    fields = tag_fields(version, sha)
    pre = is_prerelease(version)
    immutable: list[str] = []
    moving: list[str] = []
    skipped: list[tuple[str, str]] = []
    for template in templates:
        names = set(_PLACEHOLDER_RE.findall(template))
        tag = _PLACEHOLDER_RE.sub(lambda m: fields[m.group(1)], template)
        exact = bool(names & {"version", "sha", "short_sha"})
        if pre and not exact:
            skipped.append((template, f"{version} is a prerelease: only exact tags are pushed"))
            continue
        bucket = immutable if names & IMMUTABLE_PLACEHOLDERS else moving
        if tag not in immutable and tag not in moving:
            bucket.append(tag)
    return TagPlan(tuple(immutable), tuple(moving), tuple(skipped))


def iso_time(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def oci_labels(facts: ReleaseFacts, base_image: str | None) -> tuple[tuple[str, str], ...]:
    """``org.opencontainers.image.*`` labels (also written as manifest annotations)."""
    prefix = "org.opencontainers.image."
    values: list[tuple[str, str | None]] = [
        ("title", facts.title),
        ("description", facts.description),
        ("version", facts.version),
        ("revision", facts.sha),
        ("created", iso_time(facts.epoch)),
        ("source", facts.source),
        ("licenses", facts.licenses),
        ("base.name", base_image),
    ]
    return tuple((prefix + k, v) for k, v in values if v)


def https_source(url: str | None) -> str | None:
    """A browsable repository URL from a git remote (``git@host:o/r.git`` -> https), no userinfo."""

    if not url:
        return None
    m = re.fullmatch(r"(?:ssh://)?git@([^:/]+)[:/](.+?)(?:\.git)?/?", url)
    if m:
        return f"https://{m.group(1)}/{m.group(2)}"
    if url.startswith(("https://", "http://")):
        return re.sub(r"\.git/?$", "", url_without_credentials(url))
    return None  # a local path says nothing to someone pulling the image


def project_source(project: Project) -> str | None:

    urls = project.pyproject.get("project", {}).get("urls", {})
    if isinstance(urls, dict):
        for key in ("Source", "Repository", "source", "repository", "Homepage"):
            found = https_source(urls.get(key)) if isinstance(urls.get(key), str) else None
            if found:
                return found
    return https_source(Repo(project.root).remote_url())


def project_licenses(project: Project) -> str | None:
    lic = project.pyproject.get("project", {}).get("license")
    if isinstance(lic, str):
        return lic
    if isinstance(lic, dict) and isinstance(lic.get("text"), str) and len(lic["text"]) < 64:
        return str(lic["text"])
    return None


def release_facts(project: Project, version: str) -> ReleaseFacts:

    table = project.pyproject.get("project", {})
    description = table.get("description") if isinstance(table, dict) else None
    return ReleaseFacts(
        version=version,
        sha=Repo(project.root).head_sha() or "0" * 40,
        epoch=source_date_epoch(project.root) or 0,
        source=project_source(project),
        licenses=project_licenses(project),
        title=project.name,
        description=description if isinstance(description, str) else None,
    )


def plan_image(project: Project, image: ImageConfig, facts: ReleaseFacts) -> ImagePlan:
    builtin = image.dockerfile is None
    # MLRELEASE_BASE_IMAGE: a mirror or locally made base for the built-in template (air-gapped CI).
    base = (os.environ.get(BASE_IMAGE_ENV) or image.base_image) if builtin else image.base_image
    bad = check_image_ref(base)
    if bad:  # the environment's value: the configured one was checked with the configuration
        raise PublishError(f"{BASE_IMAGE_ENV}: {bad[0]}", hint=bad[1])
    return ImagePlan(
        name=image.name,
        registry=image.registry,
        layout=None if image.registry else project.output_root / LAYOUT_DIR / image.name,
        dockerfile=None if builtin else project.root / str(image.dockerfile),
        context=project.root / image.context,
        base_image=base,
        build_args=tuple(sorted(image.build_args.items())),
        platforms=image.platforms,
        tags=render_tags(image.tags, facts.version, facts.sha),
        labels=oci_labels(facts, base if builtin else None),
        epoch=facts.epoch,
        version=facts.version,
        build_timeout=image.build_timeout,
    )


def sbom_path(root: Path, name: str) -> Path:
    """Where ``publish images --sbom`` writes the SBOM of the image ``name``."""
    return root / SBOM_DIR / f"{name.replace('/', '_')}.cdx.json"


def plan_all(project: Project, version: str) -> list[ImagePlan]:
    facts = release_facts(project, version)
    return [plan_image(project, image, facts) for image in project.config.publish.images]


def images_plan(
    project: Project,
    version: str,
    *,
    wheel: Path | None = None,
    dist: Path | None = None,
    sbom: bool = False,
) -> ImagesPlan:
    """The plan of every configured image for ``version`` (nothing checked, built or sent)."""
    plans = plan_all(project, version)
    steps = []
    for n, plan in enumerate(plans):
        tags = (
            *(TagStep(t, moving=False) for t in plan.tags.immutable),
            *(TagStep(t, moving=True) for t in plan.tags.moving),
        )
        bases = dockerfile_bases(plan.dockerfile, plan.base_image)
        mounts = mount_sources(
            plan.registry, plan.name, bases, [(p.registry, p.name) for p in plans[:n]]
        )
        sbom_file = sbom_path(project.root, plan.name) if sbom else None
        steps.append(ImageSteps(plan, tags, mounts, sbom_file))
    return ImagesPlan(version, tuple(steps), wheel=wheel, dist=dist, sbom=sbom)


def plan_images(project: Project) -> dict[str, Any]:
    """``mlrelease plan``: each image, its destination and its tags in push order."""

    images = project.config.publish.images
    data: dict[str, Any] = {"images": [], "summary": []}
    summary: list[str] = data["summary"]
    if not images:
        summary.append("no images configured ([[tool.mlrelease.publish.images]])")
        return data
    version = release_version_at_head(project)
    data["version"] = version
    if version is None:
        shown = project.static_version or "0.0.0"
        summary.append(
            f"no release tag at HEAD: nothing would be pushed (tags below are for {shown})"
        )
        version = shown
    for steps in images_plan(project, version).images:
        plan = steps.image
        data["images"].append(plan.as_data())
        summary.append(
            f"{steps.reference} (from {plan.as_data()['dockerfile']}, {plan.base_image})"
        )
        if len(plan.platforms) > 1:
            summary.append(
                f"  1. image by digest: an OCI index of {', '.join(plan.platforms)} (each "
                "platform's manifest first)"
            )
        else:
            summary.append("  1. image by digest")
        for n, step in enumerate(steps.tags, start=2):
            kind = "moving" if step.moving else "immutable"
            summary.append(f"  {n}. {plan.reference(step.tag)} ({kind})")
        for template, reason in plan.tags.skipped:
            summary.append(f"  - {template}: skipped ({reason})")
    return data
