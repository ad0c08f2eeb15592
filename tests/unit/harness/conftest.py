"""Fixtures of the fuzz-and-canary harness, and its report line.

The harness runs the real configuration, planning and file-writing code in-process. Two slow
outside answers are fixed so thousands of inputs fit in seconds: python-semantic-release's next
version (a subprocess of ~1 s) and the probe of which Python interpreters exist. Neither reads
the configuration being fuzzed.
"""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.unit.harness.support import COUNTS

CANARY = "mlrCanary-5e1d7b93c2a4"
PYPROJECT = '[project]\nname = "demo-pkg"\nversion = "0.1.0"\nrequires-python = ">=3.10"\n'


def make_project(root: Path) -> Path:
    (root / "src" / "demo_pkg").mkdir(parents=True, exist_ok=True)
    (root / "src" / "demo_pkg" / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (root / "tests").mkdir(exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT)
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return root


@pytest.fixture
def fast_outside(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fixed answers from python-semantic-release and the interpreter probe, one CLI parser; a canary secret in
    every credential variable, so any output or child that shows it is caught."""
    from mlrelease import project
    from mlrelease.cli import main
    from mlrelease.versioning import semrel

    # One parser for every example: building it is most of a rejected input's time.
    monkeypatch.setattr(main, "build_parser", functools.cache(main.build_parser))
    monkeypatch.setattr(semrel, "next_version", lambda *a, **k: "0.1.0")
    monkeypatch.setattr(project, "available_pythons", lambda *a, **k: ["3.11", "3.12"])
    for name in (
        "MLRELEASE_FEED_TOKEN",
        "MLRELEASE_REGISTRY_PASSWORD",
        "TWINE_PASSWORD",
        "GITHUB_TOKEN",
        "AZURE_CLIENT_SECRET",
    ):
        monkeypatch.setenv(name, CANARY)


@pytest.fixture(scope="module")
def shared_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One git project per module: hypothesis rewrites its pyproject.toml for each example."""
    return make_project(tmp_path_factory.mktemp("harness"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Under pytest-xdist each worker hands its counts to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["mlrelease-harness"] = dict(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """pytest-xdist (controller): add a finished worker's counts."""
    COUNTS.update(getattr(node, "workeroutput", {}).get("mlrelease-harness", {}))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not COUNTS["inputs"]:
        return
    areas = ", ".join(
        f"{k.split(':', 1)[1]} {v}" for k, v in sorted(COUNTS.items()) if k.startswith("inputs:")
    )
    terminalreporter.write_line(
        f"mlrelease harness: {COUNTS['inputs']} generated inputs ({areas}), "
        f"{COUNTS['tracebacks']} tracebacks, {COUNTS['canary hits']} canary hits"
    )


@pytest.fixture
def tagged_project(project: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The project with one image (its own Dockerfile), committed and tagged v0.1.0."""
    for var in ("AUTHOR", "COMMITTER"):
        monkeypatch.setenv(f"GIT_{var}_NAME", "t")
        monkeypatch.setenv(f"GIT_{var}_EMAIL", "t@example.invalid")
    (project / "pyproject.toml").write_text(
        PYPROJECT + '\n[[tool.mlrelease.publish.images]]\nname = "app"\ndockerfile = "Dockerfile"\n'
    )
    (project / "Dockerfile").write_text("FROM scratch\n")
    git = ["git", "-C", str(project)]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "feat: x"], check=True)
    subprocess.run([*git, "tag", "v0.1.0"], check=True)
    return project
