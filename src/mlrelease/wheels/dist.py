"""The built files a publish sends: found in dist/, hashed once, checked before the first byte goes out.

Preflight (failure modes 4, 5, 10, 11), for every file, before any upload: the filename is a
valid wheel or sdist name of this project; its version equals the release version (the tag at
HEAD, compared through PEP 440); it is not a local version; it is under the feed's size limit; and
``twine check --strict`` passes. Any failure means nothing is uploaded.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import shutil
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from mlrelease._util.runner import echo, run
from mlrelease.errors import PublishError, ToolError
from mlrelease.project import DIST_SUFFIXES, dist_files
from mlrelease.versioning.versions import versions_equal

MiB = 1024 * 1024


@dataclass(frozen=True)
class DistFile:
    path: Path
    name: str  # canonical project name from the filename
    version: str
    filetype: str  # "bdist_wheel" | "sdist"
    pyversion: str  # wheel python tag(s), or "source"
    size: int
    sha256: str
    md5: str
    blake2_256: str

    @property
    def filename(self) -> str:
        return self.path.name


def is_dist_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(DIST_SUFFIXES) and not path.name.startswith(".")


def find_dist_files(dist: Path) -> list[Path]:
    """The wheels and sdists in ``dist`` (sorted: sdist and wheels in a stable order)."""
    if not dist.is_dir():
        raise PublishError(
            f"{dist} does not exist: there is nothing to publish",
            hint="build first (`nox -s build`), or pass --dist DIR",
        )
    files = dist_files(dist)
    if not files:
        raise PublishError(
            f"{dist} holds no wheel or sdist",
            hint="build first (`nox -s build`), or pass --dist DIR",
        )
    return files


def file_digests(path: Path) -> tuple[str, str, str]:
    """sha256, md5 and blake2b-256 of a file, in one read."""
    sha, md5 = hashlib.sha256(), hashlib.md5(usedforsecurity=False)
    blake = hashlib.blake2b(digest_size=32)
    with path.open("rb") as fh:
        while chunk := fh.read(MiB):
            sha.update(chunk)
            md5.update(chunk)
            blake.update(chunk)
    return sha.hexdigest(), md5.hexdigest(), blake.hexdigest()


def sha256_of(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(MiB):
            sha.update(chunk)
    return sha.hexdigest()


def parse_dist_name(filename: str) -> tuple[str, str, str, str]:
    """``(canonical name, version, filetype, pyversion)`` from a wheel or sdist filename.

    Raises ValueError with a readable reason.
    """
    if filename.endswith(".whl"):
        try:
            name, version, _build, tags = parse_wheel_filename(filename)
        except InvalidWheelFilename as exc:
            raise ValueError(f"not a valid wheel filename ({exc})") from None
        pythons = sorted({t.interpreter for t in tags})
        return str(name), str(version), "bdist_wheel", ".".join(pythons)
    try:
        name, version = parse_sdist_filename(filename)
    except InvalidSdistFilename as exc:
        raise ValueError(f"not a valid sdist filename ({exc})") from None
    return str(name), str(version), "sdist", "source"


def describe(path: Path, *, digests: bool = True) -> DistFile:
    """Facts about one built file; raises ValueError for a name that is not a distribution."""
    name, version, filetype, pyversion = parse_dist_name(path.name)
    sha, md5, blake = file_digests(path) if digests else ("", "", "")
    return DistFile(
        path=path,
        name=name,
        version=version,
        filetype=filetype,
        pyversion=pyversion,
        size=path.stat().st_size,
        sha256=sha,
        md5=md5,
        blake2_256=blake,
    )


def with_digests(dist: DistFile) -> DistFile:
    sha, md5, blake = file_digests(dist.path)
    return dataclasses.replace(dist, sha256=sha, md5=md5, blake2_256=blake)


def read_metadata(path: Path) -> str:
    """The core metadata text (METADATA of a wheel, PKG-INFO of an sdist)."""
    if path.name.endswith(".whl"):
        with zipfile.ZipFile(path) as zf:
            names = [n for n in zf.namelist() if n.count("/") == 1]
            meta = [n for n in names if n.endswith(".dist-info/METADATA")]
            if not meta:
                raise ValueError("the wheel has no .dist-info/METADATA")
            return zf.read(meta[0]).decode("utf-8")
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as zf:
            meta = [n for n in zf.namelist() if n.count("/") == 1 and n.endswith("/PKG-INFO")]
            if not meta:
                raise ValueError("the sdist has no PKG-INFO")
            return zf.read(meta[0]).decode("utf-8")
    with tarfile.open(path, "r:gz") as tf:
        for member in tf:
            if (
                member.isfile()
                and member.name.count("/") == 1
                and member.name.endswith("/PKG-INFO")
            ):
                fh = tf.extractfile(member)
                if fh is not None:
                    return fh.read().decode("utf-8")
    raise ValueError("the sdist has no PKG-INFO")


# --- preflight ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    filename: str
    reason: str


def check_file(
    dist: DistFile, *, project_name: str, release_version: str, max_bytes: int
) -> list[Refusal]:
    """The cheap checks (name, version, local version, size) of one file."""

    refusals: list[Refusal] = []
    if dist.name != canonicalize_name(project_name):
        refusals.append(
            Refusal(
                dist.filename,
                f"belongs to project {dist.name!r}, not {canonicalize_name(project_name)!r}: "
                "remove it from the dist directory",
            )
        )
    if Version(dist.version).local is not None:
        refusals.append(
            Refusal(
                dist.filename,
                f"has a local version ({dist.version}); feeds refuse local versions: "
                "build from the release tag, without a +local suffix",
            )
        )
    elif not versions_equal(dist.version, release_version):
        refusals.append(
            Refusal(
                dist.filename,
                f"is version {dist.version} but the release tag at HEAD is {release_version}: "
                "rebuild from the tag, and remove stale files from the dist directory",
            )
        )
    if dist.size > max_bytes:
        refusals.append(
            Refusal(
                dist.filename,
                f"is {dist.size / MiB:.1f} MiB, over the feed's limit of {max_bytes / MiB:.0f} MiB "
                "per file: make the file smaller (e.g. move data or CUDA libraries out of the "
                "wheel), or raise publish.feed.max-file-size-mib if your feed allows more",
            )
        )
    return refusals


# `twine check --strict`, called as a function: the same check without twine's CLI start-up
# (about 0.2 s), with its log lines on stdout so each one follows its file's "Checking" line.
_TWINE_CHECK = (
    "import logging, sys\n"
    "logging.basicConfig(stream=sys.stdout, format='%(levelname)-8s %(message)s')\n"
    "from twine.commands.check import check\n"
    "sys.exit(1 if check(sys.argv[1:], strict=True) else 0)\n"
)


def twine_command() -> list[str]:
    """How to run ``twine check --strict``: in this interpreter, else twine on PATH."""
    if importlib.util.find_spec("twine") is not None:
        return [sys.executable, "-c", _TWINE_CHECK]
    exe = shutil.which("twine")
    if exe is None:
        raise ToolError(
            "twine is not installed (publish runs `twine check --strict` on every file; "
            "mlrelease depends on twine, this environment lacks it)",
            hint="reinstall mlrelease into this environment (pip install --force-reinstall "
            "mlrelease), which installs twine with it",
        )
    return [exe, "check", "--strict"]


def twine_check(paths: list[Path]) -> list[Refusal]:
    """``twine check --strict`` on all ``paths`` at once; one refusal per failing file."""

    if not paths:
        return []
    echo(f"+ twine check --strict {' '.join(p.name for p in paths)}")
    result = run(
        [*twine_command(), *[str(p.absolute()) for p in paths]],  # never read as options
        check=False,
        quiet=True,
        # No secret for a tool that needs none; one line per file (rich wraps at 80 columns).
        env={"MLRELEASE_FEED_TOKEN": "", "TWINE_PASSWORD": "", "NO_COLOR": "1", "COLUMNS": "10000"},
    )
    if result.returncode == 0:
        return []
    return _twine_failures(result.stdout + result.stderr, paths)


def _twine_failures(output: str, paths: list[Path]) -> list[Refusal]:
    """Split ``twine check`` output into per-file reasons (its lines start with 'Checking X:')."""
    refusals: list[Refusal] = []
    current: str | None = None
    lines: dict[str, list[str]] = {}
    status: dict[str, str] = {}
    names = {p.name for p in paths}
    for raw in output.splitlines():
        line = raw.strip()
        if line.startswith("Checking "):
            rest = line.removeprefix("Checking ")
            current = next((n for n in names if rest.startswith(n) or n in rest), None)
            if current is not None:
                status[current] = rest.rsplit(":", 1)[-1].strip()
                lines.setdefault(current, [])
            continue
        if current is not None and line:
            lines[current].append(line)
    for name in sorted(names):
        state = status.get(name, "")
        if state.startswith("PASSED") and not state.startswith("PASSED with warnings"):
            continue
        detail = "; ".join(lines.get(name, [])) or output.strip()[-500:]
        refusals.append(Refusal(name, f"fails `twine check --strict`: {detail}"))
    return refusals
