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

import contextlib
import hashlib
import importlib.resources
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

from packaging.metadata import parse_email
from packaging.utils import InvalidWheelFilename, parse_wheel_filename

from mlrelease._util.http import basic_token
from mlrelease._util.runner import echo, run
from mlrelease.errors import PublishError, ToolError
from mlrelease.images.engines import BuildSpec, Engine, PythonInImage, consumed_build_args
from mlrelease.images.layout import (
    REF_ANNOTATION,
    LayoutImage,
    blob_path,
    normalize_platform,
    set_created,
)
from mlrelease.images.plan import LAYOUT_DIR, ImagePlan, iso_time, tag_fields
from mlrelease.project import Project, dist_files, normalize
from mlrelease.versioning.versions import versions_equal
from mlrelease.wheels.dist import read_metadata

BUILD_REF = "build"
# File times in every layer. Constant, not the commit's time: a layer reused from the cache keeps the
# times it was made with, so a per-commit value would make the digest depend on what was built
# before. The image config's created time is then set to the commit's (layout.set_created), as the
# org.opencontainers.image.created label says.
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


def pip_argv() -> list[str]:
    """The pip to run: this interpreter's, else one on PATH (the wheelhouse, the SBOM)."""
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


def _sibling_links(project: Project) -> list[str]:
    """A monorepo member's sibling wheels come from the shared embedded feed (published before
    it, in dependency order): ``--find-links`` for each of its project directories."""
    if project.workspace_root is None or project.config.publish.feed is not None:
        return []
    simple = project.workspace_root / ".mlrelease" / "feed" / "simple"
    if not simple.is_dir():
        return []
    links: list[str] = []
    for directory in sorted(p for p in simple.iterdir() if p.is_dir()):
        links += ["--find-links", str(directory)]
    return links


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
            *pip_argv(), "download", "--quiet", "--disable-pip-version-check", "--dest", str(partial),
            "--only-binary=:all:", "--python-version", target.python, "--implementation", "cp",
            "--abi", abi,
        ]  # fmt: skip
        for tag in _platform_tags(target):
            argv += ["--platform", tag]
        argv += _sibling_links(project)
        try:
            run([*argv, str(wheel.absolute())], timeout=1800)  # never read as an option
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


def probe_base(
    project: Project,
    engine: Engine,
    base: str,
    authfile: Path | None,
    platform: str | None = None,
) -> PythonInImage:
    """Python version and platform inside the base image (cached per base image and platform)."""
    key_text = f"{engine.name}\n{base}" + (f"\n{platform}" if platform else "")
    key = hashlib.sha256(key_text.encode()).hexdigest()[:16]
    cached = cache_dir(project) / f"probe-{key}.json"
    if cached.exists():
        return PythonInImage(**json.loads(cached.read_text()))
    found = engine.probe(base, authfile, platform) if platform else engine.probe(base, authfile)
    cached.parent.mkdir(parents=True, exist_ok=True)
    cached.write_text(json.dumps(asdict(found)))
    return found


# Architectures (OCI names) and the machine names binfmt_misc's qemu handlers use.
_QEMU_NAMES = {"arm64": "aarch64", "arm": "arm", "ppc64le": "ppc64le", "s390x": "s390x",
               "riscv64": "riscv64", "386": "i386", "amd64": "x86_64"}  # fmt: skip


def host_architecture() -> str:

    machine = platform.machine().lower()
    return {"x86_64": "amd64", "aarch64": "arm64", "i686": "386"}.get(machine, machine)


def can_run(platform: str, binfmt: Path = Path("/proc/sys/fs/binfmt_misc")) -> bool:
    """Whether RUN steps for ``platform`` can run here: the host's own architecture, or a qemu
    handler registered in binfmt_misc (qemu-user-static / tonistiigi/binfmt)."""
    arch = platform.split("/")[1] if platform.count("/") >= 1 else platform
    if arch == host_architecture():
        return True
    qemu = _QEMU_NAMES.get(arch, arch)
    return (binfmt / f"qemu-{qemu}").exists()


def check_emulation(plan: ImagePlan) -> None:
    """The built-in template runs RUN steps: a foreign platform needs emulation (refused before
    anything is built, with the ways out)."""
    if plan.dockerfile is not None:
        return
    missing = [p for p in plan.platforms if not can_run(p)]
    if missing:
        raise PublishError(
            f"image {plan.name}: building {', '.join(missing)} runs the template's RUN steps, and "
            f"this {host_architecture()} machine cannot run them (no qemu handler in "
            "/proc/sys/fs/binfmt_misc)",
            hint="install qemu-user-static (apt-get install qemu-user-static binfmt-support; on "
            "Actions: docker/setup-qemu-action), build on a runner of that architecture, or use a "
            "project Dockerfile (dockerfile = ...) with no RUN step for that platform",
        )


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

    token = basic_token(username, password)
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
    *,
    requirements: list[Path] | None = None,
) -> LayoutImage:
    """Build ``plan`` with ``engine`` for each platform and export it to an OCI layout; the image
    to push: one image manifest, or an OCI image index of one manifest per platform."""
    several = len(plan.platforms) > 1
    work = work_dir(project) / plan.name.replace("/", "_")
    # The staging layouts (one per platform) are kept between runs: the engine skips compressing
    # layers it already holds (the base and dependency layers), and blobs no longer referenced are
    # removed after. One layout per platform: an engine may rewrite a layout's index.json.
    work.mkdir(parents=True, exist_ok=True)
    built = [
        _build_platform(
            project,
            plan,
            engine,
            wheel=wheel,
            authfile=authfile,
            platform=platform,
            layout=work / (f"oci-{platform.replace('/', '-')}" if several else "oci"),
            several=several,
            requirements=requirements,
        )
        for platform in plan.platforms
    ]
    if not several:
        prune_layout(built[0].layout, built[0])
        return built[0]
    # The index (and later the SBOM artifact) lives in the first platform's layout.
    index = LayoutImage.index_of(built[0].layout, built, dict(plan.labels))
    for child in built:
        prune_layout(child.layout, child, keep_also=(index.digest,) if child is built[0] else ())
    return index


def _build_platform(
    project: Project,
    plan: ImagePlan,
    engine: Engine,
    *,
    wheel: Path | None,
    authfile: Path | None,
    platform: str,
    layout: Path,
    several: bool,
    requirements: list[Path] | None = None,
) -> LayoutImage:

    work = work_dir(project) / plan.name.replace("/", "_")
    suffix = f"-{platform.replace('/', '-')}" if several else ""
    if plan.dockerfile is None:
        if wheel is None:  # pragma: no cover - the caller found it during preflight
            raise PublishError("the built-in template needs the released wheel")
        target = probe_base(
            project, engine, plan.base_image, authfile, platform if several else None
        )
        wheelhouse = make_wheelhouse(project, wheel, target)
        if requirements is not None:  # the image's Python packages, for its SBOM
            requirements.append(wheelhouse / "requirements.txt")
        context = work / f"context{suffix}"
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
    # Only what the Dockerfile declares (buildah warns about the rest, which it ignores anyway).
    args, unused = consumed_build_args(dockerfile.read_text(encoding="utf-8"), args)
    for name in sorted(set(unused) & {k for k, _ in plan.build_args}):
        echo(
            f"note: build-arg {name} is not declared in {dockerfile.name} (ARG {name}): not passed"
        )
    local = f"localhost/mlrelease/{plan.name}:{tag_fields(plan.version, '0')['version']}{suffix}"
    spec = BuildSpec(
        context=context,
        dockerfile=dockerfile,
        tag=local,
        build_args=args,
        labels=() if plan.dockerfile is None else plan.labels,  # the template has them
        annotations=plan.labels,
        platform=platform,
        epoch=LAYER_TIMESTAMP,
        authfile=authfile,
        timeout=plan.build_timeout * 60.0,
        title=f"build {plan.target} {platform}",
    )
    ref = BUILD_REF
    try:
        engine.build(spec)
        engine.export(local, layout, ref)
    except ToolError as exc:
        if can_run(platform) or "exec format error" not in (exc.output or exc.message):
            raise
        raise ToolError(
            f"{exc.message}\n(building {platform} ran a program of that architecture, and this "
            f"{host_architecture()} machine has no emulation for it)",
            returncode=exc.returncode,
            hint="install qemu-user-static (on Actions: docker/setup-qemu-action), or keep RUN "
            "steps out of that platform's stages",
        ) from None
    # Layers keep the constant file times; the image says when its commit was made.
    set_created(layout, ref, iso_time(plan.epoch), replacing=iso_time(LAYER_TIMESTAMP))
    image = LayoutImage.read(layout, ref)
    if several and normalize_platform(image.platform or "") != normalize_platform(platform):
        raise PublishError(
            f"image {plan.name}: the build for {platform} produced an image for {image.platform}",
            hint="check the FROM lines: the base image needs a variant for every platform",
        )
    return image


def prune_layout(layout: Path, keep: LayoutImage, keep_also: tuple[str, ...] = ()) -> None:
    """Leave only ``keep`` (and ``keep_also`` blobs) in the staging layout (index and blobs)."""

    index_path = layout / "index.json"
    index = json.loads(index_path.read_text())
    images = [*keep.children] or [keep]
    digests = {i.digest for i in images}
    index["manifests"] = [
        e
        for e in index["manifests"]
        if e.get("digest") in digests and e.get("annotations", {}).get(REF_ANNOTATION) == BUILD_REF
    ]
    index_path.write_text(json.dumps(index))
    wanted = {blob_path(layout, d) for d in (*keep_also, *digests)}
    wanted |= {blob_path(layout, b.digest) for b in keep.blobs}
    for path in (layout / "blobs").rglob("*"):
        if path.is_file() and path not in wanted:
            path.unlink()
