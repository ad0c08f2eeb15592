"""./ci/setup-venv with no uv that runs (a pyenv-style shim first on PATH exits 127): it makes
.venv, installs uv inside it, and installs nothing into the interpreter it was given."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHIM = '#!/bin/sh\necho "pyenv: uv: command not found" >&2\nexit 127\n'


def _site_listing(python: str) -> list[str]:
    code = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    purelib = subprocess.run(
        [python, "-c", code], capture_output=True, text=True, check=True
    ).stdout.strip()
    return sorted(p.name for p in Path(purelib).iterdir())


def test_setup_venv_without_a_working_uv_leaves_the_system_python_alone(tmp_path: Path) -> None:
    base = str(Path(getattr(sys, "_base_executable", sys.executable)).resolve())
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, repo / name)
    for name in ("src", "noxsessions", "ci"):
        shutil.copytree(
            ROOT / name, repo / name, ignore=shutil.ignore_patterns("__pycache__", "demo.d")
        )
    shims = tmp_path / "shims"
    shims.mkdir()
    (shims / "uv").write_text(SHIM, encoding="utf-8")
    (shims / "uv").chmod(0o755)
    before = _site_listing(base)
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("VIRTUAL_ENV", "PYTHONPATH", "UV") and not k.startswith("PIP_REQUIRE")
    }
    env.update(PATH=f"{shims}{os.pathsep}/usr/bin{os.pathsep}/bin", PYTHON=base)
    proc = subprocess.run(
        ["bash", str(repo / "ci" / "setup-venv")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert _site_listing(base) == before, "ci/setup-venv installed into the system interpreter"
    venv_bin = repo / ".venv" / "bin"
    uv = subprocess.run([str(venv_bin / "uv"), "--version"], capture_output=True, text=True)
    assert uv.returncode == 0, uv.stderr
    assert uv.stdout.startswith("uv ")
    cli = subprocess.run([str(venv_bin / "mlrelease"), "--version"], capture_output=True, text=True)
    assert cli.stdout.startswith("mlrelease "), cli.stderr
    stamp = (repo / ".venv" / ".mlrelease-stamp").read_text(encoding="utf-8")
    # A second run with the stamp in place does nothing.
    again = subprocess.run(
        ["bash", str(repo / "ci" / "setup-venv")],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert again.returncode == 0
    assert (repo / ".venv" / ".mlrelease-stamp").read_text(encoding="utf-8") == stamp
