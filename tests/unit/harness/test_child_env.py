"""Issue 20 item 1: a child process gets only the secret it needs, when it needs it.

Every credential variable holds a canary; buildah, podman, docker, git, python-semantic-release
and ``twine check`` are spies on PATH (or in place of the command) that record their argv and
environment. None of them may see a canary. Before the fix every child inherited every secret
(the runner passed ``os.environ`` through).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mlrelease._util import redact, runner
from mlrelease._util.git import Repo
from mlrelease.images import engines
from mlrelease.project import load_project
from mlrelease.versioning import semrel
from mlrelease.wheels import dist
from tests.unit.harness.conftest import make_project
from tests.unit.harness.support import canary_hits, spy_calls, spy_tool

CANARY = "childCanary-93be11f0d4"
SECRET_VARS = (
    "MLRELEASE_FEED_TOKEN",
    "MLRELEASE_REGISTRY_PASSWORD",
    "MLRELEASE_ACR_TOKEN",
    "MLRELEASE_SOME_PASSWORD",
    "TWINE_PASSWORD",
    "AZURE_CLIENT_SECRET",
    "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
    "GITHUB_TOKEN",
    "GH_TOKEN",
)
PROBE = json.dumps({"python": "3.12", "machine": "x86_64", "libc": "2.36"}) + "\n"


@pytest.fixture
def spies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Canaries in the environment (and one registered secret under an innocent name); spies on
    PATH. Returns the spy log."""
    for name in SECRET_VARS:
        monkeypatch.setenv(name, f"{CANARY}-{name}")
    monkeypatch.setenv("INNOCENT_LOOKING", f"{CANARY}-registered")
    redact.remember_secret(f"{CANARY}-registered")
    log = tmp_path / "spy.jsonl"
    bindir = tmp_path / "bin"
    for tool in ("buildah", "podman", "docker"):
        spy_tool(bindir, log, tool, stdout=PROBE)
    spy_tool(bindir, log, "git", real=shutil.which("git"))
    spy_tool(bindir, log, "semantic-release", stdout="0.2.0\n")
    spy_tool(bindir, log, "twine", stdout="Checking x.whl: PASSED\n")
    monkeypatch.setenv("PATH", f"{bindir}:{runner.os.environ['PATH']}")
    monkeypatch.setattr(semrel, "command", lambda: [str(bindir / "semantic-release")])
    monkeypatch.setattr(dist, "twine_command", lambda: [str(bindir / "twine"), "check"])
    return log


@pytest.fixture
def root(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")  # before the spies: its own git init is not spied


def test_no_child_sees_a_secret(root: Path, spies: Path, tmp_path: Path) -> None:
    for engine in (engines.Buildah(), engines.Podman(), engines.Docker()):
        engine.probe("python:3.12-slim", None)
    engines.Buildah().build(
        engines.BuildSpec(context=root, dockerfile=root / "Dockerfile", tag="localhost/x:1")
    )
    Repo(root).run("status", "--porcelain")
    runner.run(["git", "rev-parse", "--git-dir"], cwd=root, quiet=True)
    semrel.next_version(load_project(root), branch="main", prerelease=False, token="rc")
    dist.twine_check([tmp_path / "x.whl"])
    tools = {call["tool"] for call in spy_calls(spies)}
    assert tools == {"buildah", "podman", "docker", "git", "semantic-release", "twine"}
    assert canary_hits(CANARY, spy_log=spies) == []
    for call in spy_calls(spies):
        assert "PATH" in call["env"]  # the rest of the environment is kept


def test_a_secret_passed_for_one_call_reaches_only_that_call(spies: Path) -> None:
    runner.run(["git", "--version"], env={"TWINE_PASSWORD": "given-for-this-call"}, quiet=True)
    runner.run(["git", "--version"], secrets=("GITHUB_TOKEN",), quiet=True)
    runner.run(["git", "--version"], quiet=True)
    given, named, plain = (call["env"] for call in spy_calls(spies))
    assert given["TWINE_PASSWORD"] == "given-for-this-call"
    assert named["GITHUB_TOKEN"] == f"{CANARY}-GITHUB_TOKEN"
    assert [k for k, v in named.items() if CANARY in v] == ["GITHUB_TOKEN"]
    assert not [k for k, v in plain.items() if CANARY in v]


def test_child_env_drops_every_known_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SECRET_VARS:
        monkeypatch.setenv(name, "x" * 12)
    monkeypatch.setenv("MLRELEASE_CONTAINER_ENGINE", "buildah")  # not a secret: kept
    env = runner.child_env()
    assert not set(SECRET_VARS) & set(env)
    assert env["MLRELEASE_CONTAINER_ENGINE"] == "buildah"
