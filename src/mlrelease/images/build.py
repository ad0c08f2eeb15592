"""Building one image: the released wheel, a wheelhouse made before the build, the engine.

The built-in template (``templates/Dockerfile.ml``) gets a context made here::

    Dockerfile              the template
    wheelhouse/*.whl        the dependencies, for the base image's Python and platform
    wheelhouse/requirements.txt   exact pins of those wheels
    dist/<the wheel>        the released wheel (never rebuilt: the file the feed got)

The wheelhouse is made on the host with pip (``pip download --only-binary :all:`` for the base
image's Python version, ABI and glibc, learned by running python3 inside the base image once), so
the image build needs no network. It is cached under ``.mlrelease/images/.cache`` keyed by the
wheel's dependencies and the target, so a code-only change reuses it, and every file in the context
carries the commit's time so the engine's layer cache and the digest stay the same.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.resources
import importlib.util
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from packaging.metadata import parse_email
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from mlrelease._util.redact import register_secret
from mlrelease._util.runner import echo, run
from mlrelease.errors import PublishError, ToolError
from mlrelease.images.engines import BuildSpec, Engine, PythonInImage
from mlrelease.images.layout import REF_ANNOTATION, LayoutImage, blob_path
from mlrelease.images.plan import LAYOUT_DIR, ImagePlan, tag_fields
from mlrelease.project import Project, dist_files, normalize
from mlrelease.versioning.versions import versions_equal
from mlrelease.wheels.dist import read_metadata

BUILD_REF = "build"
# File times in every layer and the image's created time. Constant, not the commit's time: a layer
# reused from the cache keeps the times it was made with, so a per-commit value would make the digest
# depend on what was built before. The commit's time is in the org.opencontainers.image.created label.
LAYER_TIMESTAMP = 0


def work_dir(project: Project) -> Path:
    return project.root / LAYOUT_DIR / ".build"


def cache_dir(project: Project) -> Path:
    return project.root / LAYOUT_DIR / ".cache"


def release_wheel(project: Project, dist: Path, version: str) -> Path:
    """The one wheel of ``project`` at ``version`` in ``dist`` (the build session made it)."""

    found: list[Path] = []
    others: list[str] = []
    for path in (p for p in dist_files(dist) if p.suffix == ".whl"):
        try:
            name, ver, _, _ = parse_wheel_filename(path.name)
        except InvalidWheelFilename:
            continue
        if normalize(str(name)) != project.normalized_name:
            continue
        if versions_equal(str(ver), version):
            found.append(path)
        else:
            others.append(path.name)
    if not found:
        seen = f" (found {', '.join(others)})" if others else ""
        raise PublishError(
            f"no wheel of {project.name} {version} in {dist}{seen}",
            hint="build it first (`nox -s build`, or python -m build) at the release tag; images "
            "are made from the released wheel, never rebuilt",
        )
    if len(found) > 1:
        raise PublishError(
            f"several wheels of {project.name} {version} in {dist}: "
            + ", ".join(p.name for p in found),
            hint="the built-in template installs one pure or one Linux wheel; keep one in dist/",
        )
    return found[0]


def wheel_requirements(wheel: Path) -> list[str]:
    """The wheel's ``Requires-Dist`` lines (its core metadata, read once by :mod:`wheels.dist`)."""
    raw, _ = parse_email(read_metadata(wheel))
    return list(raw.get("requires_dist", []))


def _pip() -> list[str]:

    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    found = shutil.which("pip3") or shutil.which("pip")
    if found:
        return [found]
    raise ToolError("pip is needed to make the image's wheelhouse", hint="install pip")


def _platform_tags(target: PythonInImage) -> list[str]:
    machine = target.machine
    tags = [f"manylinux2014_{machine}"]
    major, _, minor = target.libc.partition(".")
    if major == "2" and minor.isdigit():
        tags += [f"manylinux_2_{n}_{machine}" for n in range(17, int(minor) + 1)]
    return tags


def make_wheelhouse(project: Project, wheel: Path, target: PythonInImage) -> Path:
    """Dependencies of ``wheel`` as wheels for ``target``, cached by (dependencies, target)."""
    requires = wheel_requirements(wheel)
    key = hashlib.sha256(json.dumps([requires, asdict(target)]).encode()).hexdigest()[:16]
    house = cache_dir(project) / f"wheelhouse-{key}"
    if (house / "requirements.txt").exists():
        echo(f"wheelhouse: reusing {house.relative_to(project.root)} (dependencies unchanged)")
        return house
    partial = house.with_name(house.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    if requires:
        abi = "cp" + target.python.replace(".", "")
        argv = [
            *_pip(), "download", "--quiet", "--disable-pip-version-check", "--dest", str(partial),
            "--only-binary=:all:", "--python-version", target.python, "--implementation", "cp",
            "--abi", abi,
        ]  # fmt: skip
        for tag in _platform_tags(target):
            argv += ["--platform", tag]
        try:
            run([*argv, str(wheel)], timeout=1800)
        except ToolError as exc:
            raise ToolError(
                exc.message,
                hint="every dependency needs a wheel for the base image's Python "
                f"{target.python} ({target.machine}, glibc {target.libc or '?'}); use a base image "
                "with that Python, or a project Dockerfile (dockerfile = ...)",
            ) from None

    pins = []
    for path in sorted(partial.glob("*.whl")):
        name, ver, _, _ = parse_wheel_filename(path.name)
        if normalize(str(name)) == project.normalized_name:
            path.unlink()
            continue
        pins.append(f"{name}=={ver}")
    (partial / "requirements.txt").write_text("".join(f"{p}\n" for p in sorted(pins)))
    shutil.rmtree(house, ignore_errors=True)
    partial.rename(house)
    return house


def probe_base(project: Project, engine: Engine, base: str, authfile: Path | None) -> PythonInImage:
    """Python version and platform inside the base image (cached per base image reference)."""
    key = hashlib.sha256(f"{engine.name}\n{base}".encode()).hexdigest()[:16]
    cached = cache_dir(project) / f"probe-{key}.json"
    if cached.exists():
        return PythonInImage(**json.loads(cached.read_text()))
    found = engine.probe(base, authfile)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(asdict(found)))
    return found


def _stamp(root: Path, epoch: int) -> None:
    """Every file and directory of the context gets the commit's time (stable layer cache keys)."""
    for path in [root, *root.rglob("*")]:
        os.utime(path, (epoch, epoch), follow_symlinks=False)


def template_context(plan: ImagePlan, wheel: Path, wheelhouse: Path, dest: Path) -> Path:
    """The context of the built-in template; returns the Dockerfile."""
    shutil.rmtree(dest, ignore_errors=True)
    (dest / "dist").mkdir(parents=True)
    shutil.copytree(wheelhouse, dest / "wheelhouse")
    shutil.copyfile(wheel, dest / "dist" / wheel.name)
    dockerfile = dest / "Dockerfile"
    template = importlib.resources.files("mlrelease").joinpath("templates/Dockerfile.ml")
    # One LABEL instruction (one build step) instead of one per --label flag.
    labels = " ".join(f"{k}={json.dumps(v)}" for k, v in plan.labels)
    text = template.read_text(encoding="utf-8") + (f"LABEL {labels}\n" if labels else "")
    dockerfile.write_text(text)
    _stamp(dest, LAYER_TIMESTAMP)
    return dockerfile


def _existing_auths() -> dict[str, object]:
    """Logins the user already has (``buildah login`` / ``docker login``), for the base image."""
    candidates = [os.environ.get("REGISTRY_AUTH_FILE", "")]
    if os.environ.get("XDG_RUNTIME_DIR"):
        candidates.append(f"{os.environ['XDG_RUNTIME_DIR']}/containers/auth.json")
    candidates.append(str(Path.home() / ".docker" / "config.json"))
    for candidate in filter(None, candidates):
        try:
            auths = json.loads(Path(candidate).read_text()).get("auths", {})
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(auths, dict):
            return dict(auths)
    return {}


@contextlib.contextmanager
def auth_file(
    host: str | None, username: str | None, password: str | None
) -> Iterator[Path | None]:
    """A temporary containers auth file (mode 0600, always deleted) for the engine: the logins the
    user already has, plus the target registry's credentials. None when there is nothing to add
    (the engine then reads the user's own auth file)."""
    if not (host and username and password):
        yield None
        return

    token = base64.b64encode(f"{username}:{password}".encode()).decode()
    register_secret(token)
    tmp = Path(tempfile.mkdtemp(prefix="mlrelease-auth-"))
    try:
        path = tmp / "auth.json"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({"auths": {**_existing_auths(), host: {"auth": token}}}, fh)
        yield path
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_image(
    project: Project,
    plan: ImagePlan,
    engine: Engine,
    wheel: Path | None,
    authfile: Path | None,
) -> LayoutImage:
    """Build ``plan`` with ``engine`` and export it to an OCI layout; the image to push."""

    work = work_dir(project) / plan.name.replace("/", "_")
    if plan.dockerfile is None:
        if wheel is None:  # pragma: no cover - the caller found it during preflight
            raise PublishError("the built-in template needs the released wheel")
        target = probe_base(project, engine, plan.base_image, authfile)
        wheelhouse = make_wheelhouse(project, wheel, target)
        context = work / "context"
        dockerfile = template_context(plan, wheel, wheelhouse, context)
        args = (
            ("BASE_IMAGE", plan.base_image),
            ("IMPORT_NAME", project.import_name),
            *plan.build_args,
        )
    else:
        context, dockerfile = plan.context, plan.dockerfile
        if not dockerfile.is_file():
            raise PublishError(
                f"{dockerfile} does not exist (tool.mlrelease.publish.images dockerfile)"
            )
        args = (("SOURCE_DATE_EPOCH", str(plan.epoch)), ("VERSION", plan.version), *plan.build_args)
    local = f"localhost/mlrelease/{plan.name}:{tag_fields(plan.version, '0')['version']}"
    spec = BuildSpec(
        context=context,
        dockerfile=dockerfile,
        tag=local,
        build_args=args,
        labels=() if plan.dockerfile is None else plan.labels,  # the template has them
        annotations=plan.labels,
        platform=plan.platforms[0],
        epoch=LAYER_TIMESTAMP,
        authfile=authfile,
    )
    # The staging layout is kept between runs: the engine skips compressing layers it already
    # holds (the base and dependency layers), and blobs no longer referenced are removed after.
    layout = work / "oci"
    engine.build(spec)
    engine.export(local, layout, BUILD_REF)
    image = LayoutImage.read(layout, BUILD_REF)
    prune_layout(layout, image)
    return image


def prune_layout(layout: Path, keep: LayoutImage) -> None:
    """Leave only ``keep`` in the staging layout (index and blobs)."""

    index_path = layout / "index.json"
    index = json.loads(index_path.read_text())
    index["manifests"] = [
        e for e in index["manifests"] if e.get("annotations", {}).get(REF_ANNOTATION) == BUILD_REF
    ]
    index_path.write_text(json.dumps(index))
    wanted = {blob_path(layout, b.digest) for b in keep.blobs} | {blob_path(layout, keep.digest)}
    for path in (layout / "blobs").rglob("*"):
        if path.is_file() and path not in wanted:
            path.unlink()
