"""Container engines (docker buildx, podman, buildah) behind one small interface.

An engine does two things: build an image from a context (:meth:`Engine.build`) and write it to an
OCI image layout directory (:meth:`Engine.export`); :mod:`mlrelease.images.registry` pushes from that layout,
so every engine pushes the same bytes the same way (by digest, then tags). :meth:`Engine.probe`
runs Python inside the base image to learn which wheels it needs.

Chosen by ``MLRELEASE_CONTAINER_ENGINE``, else ``[tool.mlrelease.publish] container-engine``, else
the first that works here (docker only with a reachable daemon). buildah runs daemonless with
``--isolation chroot`` (``BUILDAH_ISOLATION`` wins) and its configured storage driver
(``STORAGE_DRIVER`` / storage.conf; set ``STORAGE_DRIVER=vfs`` where overlay is unavailable).

Registry credentials for pulling a private base image reach the engine only through a temporary
auth file (``--authfile``; ``DOCKER_CONFIG`` for docker) that the caller deletes afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from mlrelease._util.runner import run, run_streamed
from mlrelease.errors import ToolError

ENGINES = ("docker", "podman", "buildah")
ENGINE_ENV = "MLRELEASE_CONTAINER_ENGINE"
_PROBE = (
    "import json, platform, sys; "
    "print(json.dumps({'python': '%d.%d' % sys.version_info[:2], 'machine': platform.machine(), "
    "'libc': platform.libc_ver()[1], 'implementation': sys.implementation.name}))"
)


def _docker_daemon_reachable() -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    if host:
        return True
    return Path("/var/run/docker.sock").exists()


def detect_engine_name(preference: str = "auto") -> str | None:
    """The engine to use: ``MLRELEASE_CONTAINER_ENGINE``, else the configured one, else the first
    that works here (docker only with a reachable daemon)."""
    wanted = os.environ.get(ENGINE_ENV) or preference
    if wanted != "auto":
        return wanted if shutil.which(wanted) else None
    for name in ENGINES:
        if shutil.which(name) and (name != "docker" or _docker_daemon_reachable()):
            return name
    return None


@dataclass(frozen=True)
class BuildSpec:
    """Everything a build needs; the same for every engine."""

    context: Path
    dockerfile: Path
    tag: str  # local name, e.g. localhost/mlrelease/driftwatch:1.2.0
    build_args: tuple[tuple[str, str], ...] = ()
    labels: tuple[tuple[str, str], ...] = ()  # image config labels
    annotations: tuple[tuple[str, str], ...] = ()  # manifest annotations
    platform: str = "linux/amd64"
    epoch: int = 0  # created time and file times (reproducible builds)
    authfile: Path | None = None
    timeout: float = 3600.0  # seconds; the build is stopped after it
    title: str = ""  # what the build log group is called, e.g. "build ml/app linux/arm64"


@dataclass(frozen=True)
class PythonInImage:
    python: str  # "3.11"
    machine: str  # "x86_64"
    libc: str  # glibc version, "" for musl
    implementation: str = "cpython"


class Engine(Protocol):
    name: str

    def build(self, spec: BuildSpec) -> None: ...

    def export(self, image: str, layout: Path, ref: str) -> None: ...

    def probe(
        self, image: str, authfile: Path | None, platform: str | None = None
    ) -> PythonInImage: ...


def _parse_probe(output: str, image: str) -> PythonInImage:
    for line in reversed(output.strip().splitlines()):
        try:
            data = json.loads(line)
        except ValueError:
            continue
        return PythonInImage(
            data["python"], data["machine"], data["libc"], data.get("implementation", "cpython")
        )
    raise ToolError(
        f"could not run python3 inside the base image {image}",
        hint="the built-in template needs a base image with python3 (and its venv module)",
    )


# Build arguments every Dockerfile consumes without declaring them (Docker's predefined ARGs).
_PROXY_ARGS = ("HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY")
PREDEFINED_BUILD_ARGS = frozenset(_PROXY_ARGS) | {n.lower() for n in _PROXY_ARGS}
_ARG_LINE = re.compile(r"^\s*ARG\s+(.+)$", re.IGNORECASE | re.MULTILINE)


def declared_build_args(dockerfile: str) -> set[str]:
    """The names a Dockerfile declares with ``ARG NAME[=default]`` (several per line allowed)."""
    names: set[str] = set()
    for m in _ARG_LINE.finditer(dockerfile):
        for word in m.group(1).split():
            name = word.split("=", 1)[0]
            if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
                names.add(name)
    return names


def consumed_build_args(
    dockerfile: str, args: Sequence[tuple[str, str]]
) -> tuple[tuple[tuple[str, str], ...], tuple[str, ...]]:
    """(the build arguments ``dockerfile`` declares, the names of the others).

    Passing an undeclared one makes buildah warn "build args were not consumed"; it would be
    ignored anyway.
    """
    known = declared_build_args(dockerfile) | PREDEFINED_BUILD_ARGS
    used = tuple((k, v) for k, v in args if k in known)
    return used, tuple(k for k, _ in args if k not in known)


def _flag_pairs(flag: str, pairs: Sequence[tuple[str, str]]) -> list[str]:
    out: list[str] = []
    for key, value in pairs:
        out += [flag, f"{key}={value}"]
    return out


def _oci_build_argv(command: list[str], spec: BuildSpec) -> list[str]:
    """The build command line buildah and podman share (they take the same flags)."""
    argv = [
        *command, "--layers", "--format", "oci", "--timestamp", str(spec.epoch),
        "--platform", spec.platform, "-f", str(spec.dockerfile), "-t", spec.tag,
    ]  # fmt: skip
    argv += _flag_pairs("--build-arg", spec.build_args)
    argv += _flag_pairs("--label", spec.labels)
    argv += _flag_pairs("--annotation", spec.annotations)
    if spec.authfile:
        argv += ["--authfile", str(spec.authfile)]
    return [*argv, "--", str(spec.context)]


@dataclass
class Buildah:
    """buildah: daemonless, rootless-capable; what the tests use."""

    name: str = "buildah"
    isolation: str = field(default_factory=lambda: os.environ.get("BUILDAH_ISOLATION", "chroot"))

    def build(self, spec: BuildSpec) -> None:
        run_streamed(
            _oci_build_argv(["buildah", "bud", "--isolation", self.isolation], spec),
            timeout=spec.timeout,
            title=spec.title or f"build {spec.tag} {spec.platform}",
        )

    def export(self, image: str, layout: Path, ref: str) -> None:
        run(["buildah", "push", "--quiet", "--", image, f"oci:{layout}:{ref}"])

    def probe(
        self, image: str, authfile: Path | None, platform: str | None = None
    ) -> PythonInImage:
        auth = ["--authfile", str(authfile)] if authfile else []
        plat = ["--platform", platform] if platform else []
        ctr = run(
            ["buildah", "from", "--quiet", "--pull-never", *plat, "--", image],
            check=False,
            quiet=True,
        )
        if ctr.returncode != 0:
            ctr = run(["buildah", "from", "--quiet", *plat, *auth, "--", image])
        name = ctr.stdout.strip().splitlines()[-1]
        try:
            res = run(
                [
                    "buildah",
                    "run",
                    "--isolation",
                    self.isolation,
                    name,
                    "--",
                    "python3",
                    "-c",
                    _PROBE,
                ],
                quiet=True,
            )
        finally:
            run(["buildah", "rm", name], check=False, quiet=True)
        return _parse_probe(res.stdout, image)


@dataclass
class Podman:
    name: str = "podman"

    def build(self, spec: BuildSpec) -> None:
        run_streamed(
            _oci_build_argv(["podman", "build"], spec),
            timeout=spec.timeout,
            title=spec.title or f"build {spec.tag} {spec.platform}",
        )

    def export(self, image: str, layout: Path, ref: str) -> None:
        run(["podman", "push", "--quiet", "--", image, f"oci:{layout}:{ref}"])

    def probe(
        self, image: str, authfile: Path | None, platform: str | None = None
    ) -> PythonInImage:
        auth = ["--authfile", str(authfile)] if authfile else []
        plat = ["--platform", platform] if platform else []
        res = run(
            ["podman", "run", "--rm", *plat, *auth, "--", image, "python3", "-c", _PROBE],
            quiet=True,
        )
        return _parse_probe(res.stdout, image)


@dataclass
class Docker:
    """docker buildx (BuildKit). The OCI exporter writes the layout directly; timestamps are
    rewritten to SOURCE_DATE_EPOCH so two builds of one commit give the same digest."""

    name: str = "docker"
    _pending: BuildSpec | None = None  # buildx builds and exports in one command (see export)

    def _env(self, spec_auth: Path | None) -> dict[str, str] | None:
        # docker reads credentials from $DOCKER_CONFIG/config.json: a temporary directory.
        return {"DOCKER_CONFIG": str(spec_auth.parent)} if spec_auth else None

    def build(self, spec: BuildSpec) -> None:
        self._pending = spec

    def export(self, image: str, layout: Path, ref: str) -> None:
        spec = self._pending
        if spec is None:
            raise ToolError("docker: export called before build")
        if spec.authfile:
            shutil.copyfile(spec.authfile, spec.authfile.parent / "config.json")
        argv = [
            "docker", "buildx", "build", "--platform", spec.platform, "-f", str(spec.dockerfile),
            "--build-arg", f"SOURCE_DATE_EPOCH={spec.epoch}", "--provenance=false",
            "--output", f"type=oci,dest={layout},tar=false,rewrite-timestamp=true,name={ref}",
        ]  # fmt: skip
        argv += _flag_pairs("--build-arg", spec.build_args)
        argv += _flag_pairs("--label", spec.labels)
        argv += _flag_pairs("--annotation", spec.annotations)
        run_streamed(
            [*argv, "--", str(spec.context)],
            env=self._env(spec.authfile),
            timeout=spec.timeout,
            title=spec.title or f"build {spec.tag} {spec.platform}",
        )

    def probe(
        self, image: str, authfile: Path | None, platform: str | None = None
    ) -> PythonInImage:
        if authfile:
            shutil.copyfile(authfile, authfile.parent / "config.json")
        plat = ["--platform", platform] if platform else []
        res = run(
            ["docker", "run", "--rm", *plat, "--", image, "python3", "-c", _PROBE],
            env=self._env(authfile),
            quiet=True,
        )
        return _parse_probe(res.stdout, image)


def get_engine(preference: str = "auto") -> Engine:
    """The engine object, or a :class:`ToolError` that says how to get one."""
    name = detect_engine_name(preference)
    wanted = os.environ.get(ENGINE_ENV) or preference
    if name is None:
        if wanted != "auto":
            raise ToolError(
                f"container engine {wanted!r} is not installed or not on PATH",
                hint=f"install {wanted}, or set {ENGINE_ENV}=auto to use any of "
                + ", ".join(ENGINES),
            )
        raise ToolError(
            "no container engine found (docker with a running daemon, podman or buildah)",
            hint="install buildah (apt-get install buildah) or docker, or set "
            f"{ENGINE_ENV} to the one you have",
        )
    if name not in ENGINES:
        raise ToolError(
            f"{ENGINE_ENV}={name!r} is not a supported engine",
            hint="use one of " + ", ".join(ENGINES),
        )
    engines: dict[str, type[Buildah] | type[Podman] | type[Docker]] = {
        "buildah": Buildah,
        "podman": Podman,
        "docker": Docker,
    }
    return engines[name]()
