"""`mlrelease check` on a machine where python3.X is a pyenv shim for a version not selected."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SHIM = """#!/bin/sh
echo "pyenv: $(basename "$0"): command not found" >&2
exit 127
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "proj"
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0"\n')
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    return root


def _fake_pyenv(tmp_path: Path, *, installed: list[str]) -> Path:
    root = tmp_path / "pyenv"
    (root / "shims").mkdir(parents=True)
    shim = root / "shims" / "python3.9"
    shim.write_text(SHIM)
    shim.chmod(0o755)
    for version in installed:
        exe = root / "versions" / version / "bin" / "python3.9"
        exe.parent.mkdir(parents=True)
        exe.write_text("")
    other = root / "versions" / "3.11.7" / "bin" / "python3.11"  # the selected one
    other.parent.mkdir(parents=True)
    other.write_text("")
    return root


def _check(project: Path, pyenv: Path) -> str:
    git_dir = Path(shutil.which("git") or "/usr/bin/git").parent
    env = {
        **os.environ,
        "PATH": os.pathsep.join(
            [str(pyenv / "shims"), str(Path(sys.executable).parent), str(git_dir)]
        ),
        "PYENV_VERSION": "3.11.7",
        "CI": "",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "mlrelease", "check", "--python", "3.9", "-C", str(project)],
        capture_output=True, text=True, check=False, env=env,
    )  # fmt: skip
    return proc.stdout + proc.stderr


def test_an_inactive_shim_is_named_with_the_command_that_selects_it(
    tmp_path: Path, project: Path
) -> None:
    out = _check(project, _fake_pyenv(tmp_path, installed=["3.9.18"]))
    assert "python3.9 (test matrix) is not on PATH" not in out
    assert (
        "python3.9 (test matrix) on PATH is a pyenv shim for a version that is not selected" in out
    )
    assert "installed: 3.9.18" in out
    assert "pyenv local 3.11.7 3.9.18" in out
    assert "PYENV_VERSION=3.11.7:3.9.18" in out


def test_a_shim_no_version_provides_says_to_install_it(tmp_path: Path, project: Path) -> None:
    out = _check(project, _fake_pyenv(tmp_path, installed=[]))
    assert "no version installs it" in out
    assert "pyenv install 3.9" in out


def test_without_pyenv_it_is_not_on_path(tmp_path: Path, project: Path) -> None:
    empty = tmp_path / "nothing"
    (empty / "shims").mkdir(parents=True)
    assert "python3.9 (test matrix) is not on PATH" in _check(project, empty)
