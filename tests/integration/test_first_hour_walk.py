"""A newcomer's first hour, walked literally: every ``sh`` block of docs/tutorial/adopt.md, in order,
as the commands are written there, on a fresh package (src layout, hatchling, numpy, Sphinx docs,
pytest tests), and the README's five-minute adoption, whose commands must be the tutorial's.

The machine is a clean one: this checkout's wheel is what ``pip install mlrelease`` finds on "the
registry" (a local pypiserver holding it, which sends every other name on to the public index, as
an organisation's proxy index would); pip's configuration is off (PIP_CONFIG_FILE=/dev/null, no
PIP_* of this machine) and its index is that registry; the venv is empty and activated; nox comes
from ``pipx install nox`` (real pipx, its own venv) and so runs the noxfile in its script mode,
installing the header's mlrelease from the registry. No uv on PATH. The walk ends with the install
from the embedded feed, which must bring numpy from the registry.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.integration import feedservers as fs
from tests.integration.test_installed_wheel import ROOT, _machine_env, _system_path

pytestmark = pytest.mark.integration

README = ROOT / "README.md"
TUTORIAL = ROOT / "docs" / "tutorial" / "adopt.md"
PACKAGE = "my-ml-package"
IDENTITY = {
    "GIT_AUTHOR_NAME": "New User",
    "GIT_AUTHOR_EMAIL": "new.user@example.invalid",
    "GIT_COMMITTER_NAME": "New User",
    "GIT_COMMITTER_EMAIL": "new.user@example.invalid",
}
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)


def commands(markdown: str) -> list[str]:
    """The commands of the ``sh`` blocks, in order, comments and blank lines left out."""
    found = []
    for block in SH_BLOCK.findall(markdown):
        for line in block.splitlines():
            command = re.sub(r"(^|\s+)#(\s.*)?$", "", line).strip()
            if command:
                found.append(command)
    return found


IMAGE_STEP = re.compile(r"^## \d+\. Build an image.*?(?=^## )", re.M | re.S)


def without_image_step(markdown: str) -> str:
    """The tutorial less its image step: that step edits the table (a ``toml`` block, not a
    command), cuts a second release and needs a container engine with a base image it can pull;
    tests/integration/test_images.py builds into the embedded layout from a local base image."""
    cut = IMAGE_STEP.sub("", markdown)
    assert cut != markdown, "the tutorial's image step moved: update IMAGE_STEP"
    return cut


def readme_adoption() -> list[str]:
    """The commands of the first ``sh`` block of the README's "Adopt it in five minutes"."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Adopt it in five minutes", 1)[1].split("\n## ", 1)[0]
    first = SH_BLOCK.search(section)
    assert first is not None, "the README's adoption section has no sh block"
    return commands(first.group(0))


# --- the fresh package ---------------------------------------------------------------------------

FILES = {
    "pyproject.toml": f"""\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "{PACKAGE}"
version = "0.1.0"
description = "Scores drift between two samples."
readme = "README.md"
requires-python = ">=3.10"
license = "MIT"
dependencies = ["numpy>=1.24"]

[project.optional-dependencies]
test = ["pytest>=8"]
docs = ["sphinx>=7"]
""",
    "README.md": "# my-ml-package\n\nScores drift between two samples.\n",
    "src/my_ml_package/__init__.py": '''\
"""Drift scores."""

import numpy as np


def mean_shift(a: list[float], b: list[float]) -> float:
    """The absolute difference of the means of ``a`` and ``b``."""
    return float(abs(np.mean(a) - np.mean(b)))
''',
    "tests/test_drift.py": """\
from my_ml_package import mean_shift


def test_mean_shift() -> None:
    assert mean_shift([1.0, 2.0], [2.0, 3.0]) == 1.0
""",
    "docs/conf.py": 'project = "my-ml-package"\nextensions = ["sphinx.ext.autodoc"]\n',
    "docs/index.rst": "my-ml-package\n=============\n\n.. automodule:: my_ml_package\n"
    "   :members:\n",
    ".gitignore": "__pycache__/\n",
}


def make_package(root: Path, env: dict[str, str]) -> None:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for argv in (
        ["git", "init", "-q", "-b", "main"],
        ["git", "add", "-A"],
        ["git", "commit", "-q", "-m", "feat: mean shift"],
    ):
        subprocess.run(argv, cwd=root, env=env, check=True, capture_output=True)


# --- the machine ---------------------------------------------------------------------------------


@dataclass
class Machine:
    home: Path
    env: dict[str, str]
    log: list[str] = field(default_factory=list)

    def sh(self, command: str, cwd: Path, *, ok: bool = True) -> str:
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-c", command],
            cwd=cwd, env=self.env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            stdin=subprocess.DEVNULL, check=False, timeout=900,
        )  # fmt: skip
        self.log.append(f"$ {command}  (in {cwd}, exit {proc.returncode})\n{proc.stdout[-4000:]}")
        assert (proc.returncode == 0) == ok, "\n\n".join(self.log[-3:])
        return proc.stdout


@pytest.fixture(scope="module")
def wheel(mlrelease_wheel: Path) -> Path:
    """This checkout's wheel, built from a clean copy (tests/integration/conftest.py)."""
    return mlrelease_wheel


@pytest.fixture(scope="module")
def registry(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The organisation's index: mlrelease's wheel, every other name sent on to the public index
    (pypiserver's fallback redirect). No account needed to read."""
    workdir = tmp_path_factory.mktemp("registry")
    packages = workdir / "packages"
    packages.mkdir()
    shutil.copy2(wheel, packages / wheel.name)
    port = fs.free_port()
    log = workdir / "pypiserver.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                str(fs.server_venv() / "bin" / "pypi-server"), "run", "-i", "127.0.0.1",
                "-p", str(port), "-P", ".", "-a", ".", str(packages),
            ],
            stdout=fh, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )  # fmt: skip
    try:
        fs.wait_http(f"http://127.0.0.1:{port}/", proc, log)
        yield f"http://127.0.0.1:{port}/simple/"
    finally:
        proc.terminate()
        proc.wait(10)


@pytest.fixture
def machine(registry: str, tmp_path: Path) -> Machine:
    return new_machine(tmp_path, registry)


def new_machine(tmp_path: Path, index: str | None) -> Machine:
    """A clean user's machine: an empty HOME, pipx (a tool of the system, in its own venv), pip
    configured as it comes with ``index`` as its index (None: pip's default, the public one), no
    uv and no dev venv on PATH."""
    home = tmp_path / "home"
    home.mkdir()
    base = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    system_bin = tmp_path / "system-bin"  # what the distribution provides: python3, pipx
    system_bin.mkdir()
    (system_bin / "python3").symlink_to(base)
    (system_bin / "python").symlink_to(base)
    env = {
        k: v
        for k, v in _machine_env().items()
        if not k.startswith(("PIP_", "UV_", "NOX", "MLRELEASE_", "PIPX_")) and k != "CI"
    }
    env.update(
        IDENTITY,
        HOME=str(home),
        XDG_CACHE_HOME=str(fs.CACHE / "first-hour-walk-cache"),  # downloads only: reruns are faster
        PIP_CONFIG_FILE=os.devnull,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIPX_HOME=str(home / ".local" / "pipx"),
        PIPX_BIN_DIR=str(home / ".local" / "bin"),
        PIPX_MAN_DIR=str(home / ".local" / "share" / "man"),
        NO_COLOR="1",
        PATH=os.pathsep.join([str(home / ".local" / "bin"), str(system_bin), *_system_path()]),
    )
    if index is not None:
        env["PIP_INDEX_URL"] = index  # the organisation's index; PyPI on a laptop
    tools = tmp_path / "pipx-venv"
    subprocess.run([str(base), "-m", "venv", str(tools)], check=True, env=env)
    subprocess.run(
        [str(tools / "bin" / "python"), "-m", "pip", "install", "-q", "pipx"],
        check=True, env=env, capture_output=True,
    )  # fmt: skip
    (system_bin / "pipx").symlink_to(tools / "bin" / "pipx")
    return Machine(home, env)


def test_the_readme_adoption_is_walked_by_the_tutorial() -> None:
    """Each command of the README's five-minute adoption is a tutorial command, in that order,
    so walking the tutorial walks the README."""
    tutorial = commands(TUTORIAL.read_text(encoding="utf-8"))
    readme = readme_adoption()
    assert readme[0] == "pip install mlrelease"
    position = 0
    for command in readme:
        assert command in tutorial[position:], f"README: {command!r} is not walked by the tutorial"
        position = tutorial.index(command, position) + 1


def test_the_tutorial_works_verbatim_on_a_fresh_package(machine: Machine, tmp_path: Path) -> None:
    steps = commands(without_image_step(TUTORIAL.read_text(encoding="utf-8")))
    assert steps[:2] == ["pip install mlrelease", "pipx install nox"], steps[:2]
    work = tmp_path / "work"
    make_package(work / "my-ml-repo", machine.env)
    user_venv = machine.home / "venv"  # the user's empty venv, activated
    subprocess.run(["python3", "-m", "venv", str(user_venv)], check=True, env=machine.env)
    machine.env["VIRTUAL_ENV"] = str(user_venv)
    machine.env["PATH"] = f"{user_venv / 'bin'}{os.pathsep}{machine.env['PATH']}"
    assert shutil.which("uv", path=machine.env["PATH"]) is None

    cwd = work
    outputs: dict[str, str] = {}
    for command in steps:
        if command.startswith("cd "):
            cwd = (cwd / command.removeprefix("cd ").strip()).resolve()
            assert cwd.is_dir(), command
            continue
        outputs[command] = machine.sh(command, cwd)
    log = "\n\n".join(machine.log)

    repo = work / "my-ml-repo"
    # nox is pipx's, and it ran the sessions with the header's mlrelease from the registry.
    nox = Path(machine.home / ".local" / "bin" / "nox")
    assert nox.exists()
    script_env = repo / ".nox" / "_nox_script_mode"
    assert list(script_env.glob("lib/python*/site-packages/mlrelease-0.1.0.dist-info")), log
    noxfile = (repo / "noxfile.py").read_text(encoding="utf-8")
    assert '"mlrelease>=0.1.0,<0.2"' in noxfile
    check = outputs["nox -t check"]
    for session in ("lint", "docs", "build"):
        assert f"Session {session} was successful" in check, check[-3000:]
    assert re.search(r"Session tests-3\.\d+ was successful", check), check[-3000:]
    # No placeholder: the caller names the workflows repository the tutorial gave.
    caller = (repo / ".github" / "workflows" / "mlrelease.yml").read_text(encoding="utf-8")
    assert "uses: my-org/mlrelease/.github/workflows/release.yml@v1" in caller
    assert "placeholder" not in outputs["mlrelease check"]
    # The release is tagged and pushed; the feed holds it; the install line the docs give is the
    # one publish printed, and it brought numpy from the registry.
    tag = subprocess.run(
        ["git", "describe", "--tags", "--exact-match", "main"],
        cwd=work / "my-ml-repo.git", capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    version = tag.removeprefix("v")
    published = outputs["mlrelease publish wheels"]
    assert f"uploaded  {PACKAGE.replace('-', '_')}-{version}-py3-none-any.whl" in published
    feed = repo / ".mlrelease" / "feed" / "simple" / PACKAGE
    assert f"install: pip install --find-links {feed} {PACKAGE}=={version}" in published
    ran = subprocess.run(
        [str(user_venv / "bin" / "python"), "-c",
         "import importlib.metadata as m, my_ml_package; "
         "print(m.version('my-ml-package'), m.version('numpy') > '1.24')"],
        capture_output=True, text=True, env=machine.env, check=True,
    )  # fmt: skip
    assert ran.stdout.split() == [version, "True"]


def test_before_mlrelease_is_on_the_index_the_documented_inject_makes_nox_work(
    wheel: Path, tmp_path: Path
) -> None:
    """The first publication: mlrelease is only a wheel file and pip's index is the public one,
    which lacks it. nox from pipx cannot install the header's mlrelease; the tutorial's
    ``pipx inject nox <the wheel>`` gives it the CLI's own, and nox runs the noxfile in place."""
    machine = new_machine(tmp_path, None)
    repo = tmp_path / "my-ml-repo"
    make_package(repo, machine.env)
    user_venv = machine.home / "venv"
    subprocess.run(["python3", "-m", "venv", str(user_venv)], check=True, env=machine.env)
    machine.env["PATH"] = f"{user_venv / 'bin'}{os.pathsep}{machine.env['PATH']}"
    machine.sh(f"pip install {wheel}", repo)
    machine.sh("pipx install nox", repo)
    machine.sh("mlrelease init --workflows-repo my-org/mlrelease@v1", repo)
    failed = machine.sh("nox -l", repo, ok=False)  # the header's mlrelease is on no index
    assert "mlrelease" in failed

    inject = re.search(r"`(pipx inject nox \./(mlrelease-[^`]+\.whl))`", TUTORIAL.read_text())
    assert inject is not None, "the tutorial no longer says how to give pipx's nox the wheel"
    assert inject.group(2) == wheel.name  # the documented file is the release's wheel
    shutil.rmtree(repo / ".nox")
    shutil.copy2(wheel, repo / wheel.name)
    machine.sh(inject.group(1), repo)
    listed = machine.sh("nox -l", repo)
    assert re.search(r"(?m)^[*-] lint\b", listed), listed
    assert re.search(r"(?m)^[*-] tests-3\.\d+", listed), listed
    assert not (repo / ".nox" / "_nox_script_mode").exists()  # ran in place: nothing installed
