"""`mlrelease new` with only flags, no terminal: the repository it makes passes `mlrelease check`
and the real `nox -t check` (lint, tests with the coverage floor, docs, build), releases (stamp,
changelog, tag, push to a local bare remote) and publishes its wheel to the embedded directory
feed, with no hand edit. Then `mlrelease update` finds it current. The same from the wheel installed
as the setup action installs it (the `tools` fixture of test_installed_wheel.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration import test_installed_wheel as installed
from tests.integration.test_init import _env, git, mlrelease, nox
from tests.integration.test_installed_wheel import GIT_ENV, Tools, _machine_env

pytestmark = pytest.mark.integration
installed_wheel = installed.tools  # a fixture: this wheel in the setup action's venv


@pytest.mark.slow
def test_new_checks_releases_and_publishes_with_no_hand_edit(tmp_path: Path) -> None:
    if shutil.which("python3.11") is None:
        pytest.fail("python3.11 is needed on PATH (./ci/test sets PYENV_VERSION)")
    made = mlrelease(tmp_path, "new", "demo-model", "--python", ">=3.11,<3.12",
                     "--description", "Scores for the demo")  # fmt: skip
    assert made.returncode == 0, made.stderr
    root = tmp_path / "demo-model"
    git(tmp_path, "init", "-q", "--bare", "demo-model.git")
    git(root, "remote", "add", "origin", str(tmp_path / "demo-model.git"))
    git(root, "push", "-q", "-u", "origin", "main")

    check = mlrelease(root, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    proc = nox(root, "-t", "check")
    assert proc.returncode == 0, proc.stdout[-6000:]
    for session in ("lint", "tests-3.11", "docs", "build"):
        assert f"* {session}: success" in proc.stdout
    assert git(root, "status", "--porcelain") == ""  # the sessions write only ignored files

    release = mlrelease(root, "release")
    assert release.returncode == 0, release.stdout + release.stderr
    assert "released 0.1.0: tag v0.1.0" in release.stdout
    remote_tag = git(tmp_path / "demo-model.git", "rev-parse", "v0.1.0^{commit}").strip()
    assert remote_tag == git(root, "rev-parse", "HEAD").strip()

    shutil.rmtree(root / "dist")
    build = nox(root, "-s", "build")
    assert build.returncode == 0, build.stdout[-3000:]
    publish = mlrelease(root, "publish", "wheels")
    assert publish.returncode == 0, publish.stdout + publish.stderr
    feed = root / ".mlrelease" / "feed" / "simple" / "demo-model"
    assert sorted(p.name for p in feed.glob("demo_model-*")) == [
        "demo_model-0.1.0-py3-none-any.whl",
        "demo_model-0.1.0.tar.gz",
    ]
    update = mlrelease(root, "update", "--check")
    assert update.returncode == 0, update.stdout + update.stderr


def test_new_without_a_terminal_never_asks(tmp_path: Path) -> None:
    """stdin is not a terminal (CI): the built-in defaults, no question (input() would fail)."""
    proc = subprocess.run(
        [sys.executable, "-m", "mlrelease", "new", "quiet-model"],
        cwd=tmp_path,
        env={**_env(), "XDG_CONFIG_HOME": str(tmp_path / "config")},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "description [" not in proc.stdout
    assert (tmp_path / "quiet-model" / ".github" / "mlrelease.lock.json").is_file()


@pytest.mark.slow
def test_new_releases_and_publishes_with_the_wheel_installed_as_the_setup_action_does(
    tmp_path: Path, installed_wheel: Tools
) -> None:
    """Only what a user has: this checkout's wheel in the setup action's venv (templates
    included), the runner's python and uv, the system's git; no dev environment."""
    env = {
        **_machine_env(),
        **GIT_ENV,
        "PATH": installed_wheel.path,
        "XDG_CONFIG_HOME": str(tmp_path),
    }

    def run(cwd: Path, *argv: str) -> str:
        proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                              stdin=subprocess.DEVNULL, check=False, timeout=600)  # fmt: skip
        assert proc.returncode == 0, f"{argv}:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
        return proc.stdout

    run(tmp_path, "mlrelease", "new", "wheel-model", "--python", ">=3.11,<3.12",
        "--workflows-repo", "my-org/mlrelease@v1")  # fmt: skip
    root = tmp_path / "wheel-model"
    run(tmp_path, "git", "init", "-q", "--bare", "wheel-model.git")
    run(root, "git", "remote", "add", "origin", str(tmp_path / "wheel-model.git"))
    run(root, "git", "push", "-q", "-u", "origin", "main")
    assert "ok: configuration [tool.mlrelease] is valid" in run(root, "mlrelease", "check")
    assert "released 0.1.0: tag v0.1.0" in run(root, "mlrelease", "release")
    run(root, "nox", "-s", "build")
    out = run(root, "mlrelease", "publish", "wheels")
    assert "uploaded  wheel_model-0.1.0-py3-none-any.whl" in out
    assert "current" in run(root, "mlrelease", "update", "--check")
