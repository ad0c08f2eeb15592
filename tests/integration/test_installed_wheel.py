"""mlrelease as a user gets it: its wheel, installed the way the setup action installs it, runs the
reusable release workflow with nothing from the dev environment.

The wheel of this checkout is built, then the setup action's own install step (read from
action.yml) puts it into a fresh venv under the runner's temp directory. With only that venv, uv
(as setup-uv provides it), the interpreter (as setup-python provides it) and the system
directories (git, buildah, jq) on PATH, release.yml's `run:` lines (tests/integration/
workflow_runner.py) release a copy of examples/driftwatch that has history and a local bare
remote, build it with nox, publish the wheels to a real pypiserver with authentication and the
image to the embedded OCI layout; a rerun finds both already published.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration import feedservers as fs
from tests.integration import registry_server as rs
from tests.integration.gitrepo import seed_driftwatch_history
from tests.integration.workflow_runner import Runner, load_workflow

# With the other image tests on one pytest-xdist worker (./ci/test: --dist loadgroup).
pytestmark = [pytest.mark.integration, pytest.mark.images, pytest.mark.xdist_group("images")]

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / ".github" / "actions" / "setup" / "action.yml"
RELEASE = ROOT / ".github" / "workflows" / "release.yml"
EXAMPLE = ROOT / "examples" / "driftwatch"
DIST_NAME = "driftwatch-mlrelease-installed"
WHEEL = "driftwatch_mlrelease_installed-{}-py3-none-any.whl"
SDIST = "driftwatch_mlrelease_installed-{}.tar.gz"
REF_NAME = "org.opencontainers.image.ref.name"
SYSTEM_PATH = ("/usr/local/bin", "/usr/bin", "/bin")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Bot",
    "GIT_AUTHOR_EMAIL": "bot@example.invalid",
    "GIT_COMMITTER_NAME": "Release Bot",
    "GIT_COMMITTER_EMAIL": "bot@example.invalid",
}


def _run(argv: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
        **kw,  # type: ignore[call-overload]
    )
    assert proc.returncode == 0, f"{argv}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


def git(cwd: Path, *args: str) -> str:
    return _run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}).stdout.strip()


def _system_path() -> list[str]:
    """System directories only: /usr/local/bin is left out when it holds a python or uv."""
    out = []
    for d in SYSTEM_PATH:
        if d == "/usr/local/bin" and (any(Path(d).glob("python*")) or (Path(d) / "uv").exists()):
            continue
        out.append(d)
    return out


DEV_VARS = ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "UV", "CONDA_PREFIX")


def _machine_env() -> dict[str, str]:
    """The machine's environment (proxies, CA bundles) without the dev venv's traces."""
    return {
        k: v
        for k, v in os.environ.items()
        if k not in DEV_VARS and k != "PATH" and not k.startswith(("GITHUB_", "RUNNER_"))
    }


@dataclass
class Tools:
    bin: Path  # the venv the setup action made: mlrelease and nox
    runner_bin: Path  # what setup-python and setup-uv put on PATH: python, uv
    wheel: Path

    @property
    def path(self) -> str:
        return os.pathsep.join([str(self.bin), str(self.runner_bin), *_system_path()])


@pytest.fixture(scope="module")
def tools(tmp_path_factory: pytest.TempPathFactory, mlrelease_wheel: Path) -> Tools:
    """This checkout's wheel, installed by the setup action's install step into a fresh venv."""
    from mlrelease._util.uvtool import find_uv

    tmp = tmp_path_factory.mktemp("installed")
    uv = find_uv()
    assert uv, "the test needs a working uv (the dev environment installs the uv package)"
    runner_bin = tmp / "runner-bin"
    runner_bin.mkdir()
    (runner_bin / "uv").symlink_to(uv)
    base = getattr(sys, "_base_executable", sys.executable)
    (runner_bin / "python").symlink_to(Path(base).resolve())
    wheel = mlrelease_wheel  # built from a clean copy (tests/integration/conftest.py)

    action = load_workflow(ACTION)
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
    files = {name: tmp / f"github-{name}" for name in ("path", "env", "output")}
    for f in files.values():
        f.write_text("")
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir()
    env = {
        **_machine_env(),
        "PATH": os.pathsep.join([str(runner_bin), *_system_path()]),
        "MLRELEASE_VERSION": str(wheel),
        "NOX_VERSION": action["inputs"]["nox-version"]["default"],
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_PATH": str(files["path"]),
        "GITHUB_ENV": str(files["env"]),
        "GITHUB_OUTPUT": str(files["output"]),
    }
    _run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=tmp,
        env=env,
    )
    bin_dir = Path(files["path"].read_text().strip())
    assert bin_dir.is_relative_to(runner_temp)
    return Tools(bin_dir, runner_bin, wheel)


@dataclass
class Project:
    tmp: Path
    remote: Path
    workspace: Path
    feed: fs.Feed
    runs: int = 0

    def release(self, tools: Tools) -> tuple[Runner, dict[str, str]]:
        self.runs += 1
        runner = Runner(
            workflow=RELEASE,
            workspace=self.workspace,
            artifacts=self.tmp / "artifacts",
            tmp=self.tmp / f"run{self.runs}",
            inputs={
                "mlrelease-version": str(tools.wheel),
                "feed-username": self.feed.username,
                "publish-images": True,
                "deploy-docs": False,
            },
            secrets={"feed-token": self.feed.password},
            github={
                "ref": "refs/heads/main",
                "ref_type": "branch",
                "ref_name": "main",
                "event_name": "push",
                "run_attempt": str(self.runs),
            },
            tool_bin=tools.bin,
        )
        return runner, runner.run()


def make_project(tmp: Path, feed: fs.Feed, dist_name: str) -> Project:
    """examples/driftwatch (published as ``dist_name``) with v0.1.0, then a feat and a fix; a bare
    remote and a clone of it; ``feed`` as the feed; the image goes to the embedded OCI layout."""
    seed = tmp / "seed"
    shutil.copytree(
        EXAMPLE,
        seed,
        ignore=shutil.ignore_patterns(
            ".nox", "dist", "build", "reports", ".mlrelease", "*.egg-info", "__pycache__"
        ),
    )
    pyproject = seed / "pyproject.toml"
    text = pyproject.read_text(encoding="utf-8")
    images = text.split("[[tool.mlrelease.publish.images]]")
    assert len(images) == 2, "the example has one image"
    assert "registry =" not in images[1].split("\n[")[0], "the example's image has no registry"
    # pypiserver would answer for names it lacks from pypi.org (a "driftwatch" exists there).
    text = text.replace('name = "driftwatch"\n', f'name = "{dist_name}"\n', 1)
    text += (
        "\n[tool.mlrelease.publish.feed]\n"
        f'upload-url = "{feed.upload_url}"\nindex-url = "{feed.index_url}"\n'
    )
    pyproject.write_text(text, encoding="utf-8")
    remote, workspace = seed_driftwatch_history(seed, tmp)
    return Project(tmp, remote, workspace, feed)


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fs.Feed]:
    """A real pypiserver that needs the account to upload and to read."""
    with fs.pypiserver(tmp_path_factory.mktemp("feed")) as running:
        yield running


@pytest.fixture
def only_the_installed_tools(tools: Tools, monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner's environment: nothing of the dev venv (PATH, VIRTUAL_ENV, PYTHONPATH)."""
    monkeypatch.setenv("PATH", tools.path)
    for name in DEV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLRELEASE_BASE_IMAGE", rs.local_base_image())
    monkeypatch.setenv("MLRELEASE_CONTAINER_ENGINE", "buildah")
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)


def layout_tags(layout: Path) -> set[str]:
    index = json.loads((layout / "index.json").read_text(encoding="utf-8"))
    names = (m.get("annotations", {}).get(REF_NAME) for m in index["manifests"])
    return {n for n in names if n}


def _log(runner: Runner) -> str:
    return "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)


def _output(runner: Runner, job: str, prefix: str) -> str:
    return next(r.output for r in runner.log if r.job == job and r.line.startswith(prefix))


@pytest.mark.usefixtures("only_the_installed_tools")
def test_release_workflow_publishes_and_reruns_with_only_the_installed_wheel(
    tools: Tools, feed: fs.Feed, tmp_path: Path
) -> None:
    project = make_project(tmp_path, feed, DIST_NAME)
    # Nothing of the dev environment is reachable: the tools are the installed wheel's.
    for name in ("mlrelease", "nox"):
        found = shutil.which(name)
        assert found is not None, f"{name} is not on PATH"
        assert Path(found).parent == tools.bin
    for absent in ("semantic-release", "twine", "pytest"):
        assert shutil.which(absent) in (None, str(tools.bin / absent)), absent
    proc = _run(["mlrelease", "version"], cwd=project.workspace)
    assert proc.stdout.startswith("next version: 0.2.0 (tag v0.2.0"), proc.stdout + proc.stderr
    check = subprocess.run(
        ["mlrelease", "check"], cwd=project.workspace, capture_output=True, text=True, check=False
    )
    assert "ok: twine" in check.stdout, check.stdout + check.stderr
    # the version needs no tool: python-semantic-release's rules are built in, PSR not installed
    assert "python-semantic-release" not in check.stdout + check.stderr
    assert shutil.which("semantic-release", path=str(tools.bin)) is None

    first, outputs = project.release(tools)
    log = _log(first)
    assert (outputs["tag"], outputs["version"]) == ("v0.2.0", "0.2.0"), log
    for job in ("release", "build", "publish-wheels", "publish-images", "github-release"):
        assert first.results[job]["result"] == "success", f"{job}\n{log}"
    failed = [j for j, r in first.results.items() if r["result"] == "failure"]
    assert not failed, f"{failed}\n{log}"
    assert git(project.remote, "describe", "--tags", "--exact-match", "main") == "v0.2.0"
    assert feed.listing(DIST_NAME) == [WHEEL.format("0.2.0"), SDIST.format("0.2.0")]
    layout = project.workspace / ".mlrelease" / "images" / "driftwatch"
    assert {"0.2.0", "0.2", "latest"} <= layout_tags(layout)
    leaks = [
        line
        for r in first.log
        for line in r.output.splitlines()
        if feed.password in line and not line.startswith("::add-mask::")
    ]
    assert not leaks, leaks

    rerun, outputs = project.release(tools)
    log = _log(rerun)
    assert (outputs["tag"], outputs["version"]) == ("v0.2.0", "0.2.0"), log
    for job in ("release", "build", "publish-wheels", "publish-images"):
        assert rerun.results[job]["result"] == "success", f"{job}\n{log}"
    failed = [j for j, r in rerun.results.items() if r["result"] == "failure"]
    assert not failed, f"{failed}\n{log}"
    assert "already published" in _output(rerun, "publish-wheels", "mlrelease publish wheels")
    assert "already published" in _output(rerun, "publish-images", "mlrelease publish images")
    assert feed.listing(DIST_NAME) == [WHEEL.format("0.2.0"), SDIST.format("0.2.0")]


# --- the README's way: `pip install mlrelease` into an empty venv, not activated -------------------


@pytest.fixture(scope="module")
def pip_venv(tools: Tools, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m venv`` + ``pip install <the wheel>``: nothing else (no uv, no nox)."""
    venv = tmp_path_factory.mktemp("pip") / "venv"
    env = {**_machine_env(), "PATH": os.pathsep.join(_system_path())}
    _run([str(tools.runner_bin / "python"), "-m", "venv", str(venv)], env=env)
    _run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", str(tools.wheel)], env=env)
    return venv / "bin"


def test_pip_install_alone_versions_releases_and_publishes(
    pip_venv: Path, feed: fs.Feed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README's adoption path, the venv not activated (its commands called by path)."""
    project = make_project(tmp_path, feed, "driftwatch-mlrelease-pip")
    monkeypatch.setenv("PATH", os.pathsep.join(_system_path()))
    for name in DEV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MLRELEASE_BASE_IMAGE", rs.local_base_image())
    monkeypatch.setenv("MLRELEASE_CONTAINER_ENGINE", "buildah")
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    root = project.workspace

    def mlrelease(*args: str, **env: str) -> str:
        proc = subprocess.run(
            [str(pip_venv / "mlrelease"), *args],
            cwd=root,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
            stdin=subprocess.DEVNULL,
        )
        assert proc.returncode == 0, f"mlrelease {' '.join(args)}:\n{proc.stdout}\n{proc.stderr}"
        assert feed.password not in proc.stdout + proc.stderr
        return proc.stdout + proc.stderr

    assert mlrelease("version").startswith("next version: 0.2.0 (tag v0.2.0")
    mlrelease("release")
    assert git(project.remote, "describe", "--tags", "--exact-match", "main") == "v0.2.0"
    _run([str(pip_venv / "python"), "-m", "build", "--outdir", "dist", "."], cwd=root)
    creds = {"MLRELEASE_FEED_USERNAME": feed.username, "MLRELEASE_FEED_TOKEN": feed.password}
    mlrelease("publish", "wheels", **creds)
    wheel, sdist = (
        "driftwatch_mlrelease_pip-0.2.0-py3-none-any.whl",
        "driftwatch_mlrelease_pip-0.2.0.tar.gz",
    )
    assert feed.listing("driftwatch-mlrelease-pip") == [wheel, sdist]
    mlrelease("publish", "images")
    assert {"0.2.0", "0.2", "latest"} <= layout_tags(root / ".mlrelease" / "images" / "driftwatch")
    # A rerun finds the wheels in place (the image rerun is the workflow test's: ~50 s each).
    assert "already published" in mlrelease("publish", "wheels", **creds)
