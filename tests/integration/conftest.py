"""Fixtures the integration modules share across one test run, every pytest-xdist worker included.

This checkout's wheel is built once per run, not once per module and worker: the tests that install
mlrelease as a user gets it (test_init_adoption, test_first_hour_walk, test_installed_wheel) all
take it from here.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOT_SHIPPED = (
    ".venv", ".git", "node_modules", ".nox", "_build", "dist", "build", "__pycache__",
    ".mlrelease", "*_cache", "examples", "benchmarks", "tests",
)  # fmt: skip


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory of this run that every worker sees (the workers' temp dirs are its children)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@pytest.fixture(scope="session")
def mlrelease_wheel(run_dir: Path) -> Path:
    """This checkout's wheel, built from a clean copy (no .venv, no build leftovers) by the first
    worker that asks; the others wait for it and take the same file."""
    from mlrelease._util.uvtool import find_uv

    where = run_dir / "mlrelease-wheel"
    with _locked(run_dir / "mlrelease-wheel.lock"):
        built = sorted((where / "dist").glob("mlrelease-*.whl"))
        if built:
            return built[0]
        uv = find_uv()
        assert uv, "building the wheel needs a working uv (the dev environment installs it)"
        shutil.rmtree(where, ignore_errors=True)
        source = where / "source"
        shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_SHIPPED))
        subprocess.run(
            [uv, "build", "--wheel", "--out-dir", str(where / "dist"), str(source)],
            check=True,
            capture_output=True,
        )
        (wheel,) = (where / "dist").glob("mlrelease-*.whl")
        return wheel
