"""./ci/test runs pytest with ``--dist loadgroup``: the tests of one ``xdist_group`` (a module whose
slow fixture is one release pipeline, one set of nox environments, one devpi-server) run on one
worker, so the fixture is built once. tests/conftest.py makes the marks take effect under pytest 9.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

SUITE = """\
import os

import pytest


@pytest.mark.xdist_group("shared")
@pytest.mark.parametrize("i", range(6))
def test_grouped(i: int) -> None:
    with open("grouped.txt", "a", encoding="utf-8") as fh:
        fh.write(os.environ["PYTEST_XDIST_WORKER"] + "\\n")


@pytest.mark.parametrize("i", range(6))
def test_free(i: int) -> None:
    pass
"""


def test_a_group_runs_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        "from tests.conftest import *  # noqa: F403  (the hooks of the suite)\n"
    )
    (tmp_path / "test_suite.py").write_text(textwrap.dedent(SUITE))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:cacheprovider",
            "-n",
            "2",
            "--dist",
            "loadgroup",
        ],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "12 passed" in proc.stdout
    grouped = (tmp_path / "grouped.txt").read_text(encoding="utf-8").split()
    assert len(grouped) == 6
    assert len(set(grouped)) == 1, grouped
