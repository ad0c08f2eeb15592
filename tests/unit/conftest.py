"""Shared by the unit tests (laid out like src/mlrelease: one directory per subpackage).

Unit tests run in seconds, start no server and touch nothing outside ``tmp_path``. Every test
starts from a neutral environment: no CI or GitHub Actions markers and no mlrelease credential or
engine variables from the machine that runs the suite, and no secret registered by an earlier test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlrelease._util import redact

REPO = Path(__file__).resolve().parents[2]
_MACHINE_VARS = ("CI", "GITHUB_ACTIONS", "GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY")


@pytest.fixture(autouse=True)
def neutral_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name in _MACHINE_VARS or name.startswith("MLRELEASE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("MLRELEASE_DEFAULTS", os.devnull)  # no organisation defaults of the machine
    yield
    redact.forget_secrets()


@pytest.fixture
def repo_root() -> Path:
    """This repository's checkout (docs, workflows and the example package live there)."""
    return REPO
