"""`mlrelease check` measures again what init measured: with ``lint.fail-on = "all"`` the pinned
ruff (from the cache, never downloaded) and the lint session's mypy must find nothing old."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from mlrelease.adopt.remeasure import lint_measurements
from mlrelease.project import load_project
from mlrelease.stages.lint import lint_plan


def make(tmp_path: Path, lint: str, code: str) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "tiny").mkdir(parents=True)
    (root / "src" / "tiny" / "__init__.py").write_text(code, encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[project]\nname = "tiny"\nversion = "1.0.0"\nrequires-python = ">=3.10"\n\n'
        f"[tool.mlrelease.lint]\n{lint}",
        encoding="utf-8",
    )
    (root / "noxfile.py").write_text('"""Sessions."""\n', encoding="utf-8")
    return root


def test_check_warns_when_fail_on_all_meets_old_ruff_findings(tmp_path: Path) -> None:
    root = make(tmp_path, 'mypy = "off"\n', "import os\n")
    ((level, what, hint),) = lint_measurements(load_project(root))
    assert level == "warning"
    assert 'lint.fail-on = "all" but the existing code has 1 ruff finding' in what
    assert "ruff==0.17.5 (the lint session's pin, from uv's cache only)" in what
    assert 'set tool.mlrelease.lint.fail-on = "new"' in hint
    assert "ruff check --fix" in hint


def test_a_ruff_not_in_the_cache_is_said_not_downloaded(
    tmp_path: Path,
) -> None:
    root = make(tmp_path, 'mypy = "off"\n[tool.mlrelease.tools]\nruff = "0.0.1"\n', "import os\n")
    ((level, what, _),) = lint_measurements(load_project(root))
    assert level == "ok"
    assert what.startswith(
        "lint debt not re-measured: ruff==0.0.1 (the lint session's pin, from uv's cache only): "
    )


def test_check_is_quiet_under_fail_on_new_and_ok_when_clean(tmp_path: Path) -> None:
    root = make(tmp_path / "new", 'mypy = "off"\nfail-on = "new"\n', "import os\n")
    assert lint_measurements(load_project(root)) == []
    bare = make(tmp_path / "bare", 'mypy = "off"\n', "import os\n")
    (bare / "noxfile.py").unlink()  # no lint session to fail
    assert lint_measurements(load_project(bare)) == []
    clean = make(tmp_path / "clean", 'mypy = "off"\n', '"""Tiny."""\n\nX = 1\n')
    ((level, what, _),) = lint_measurements(load_project(clean))
    assert level == "ok"
    assert 'ruff finds nothing to fail lint.fail-on = "all"' in what


def test_check_runs_the_lint_sessions_mypy_when_it_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = make(tmp_path, "ruff = false\nformat = false\n", 'def f() -> int:\n    return "x"\n')
    project = load_project(root)
    ((level, what, _),) = lint_measurements(project)
    assert level == "ok"
    assert "mypy not re-measured: the lint session has not run" in what
    # the lint session's environment (.nox/lint) with its install stamp: mypy runs there
    bindir = root / ".nox" / "lint" / "bin"
    bindir.mkdir(parents=True)
    (bindir / "mypy").symlink_to(Path(sys.executable).parent / "mypy")
    (bindir.parent / ".mlrelease-install").write_text(
        lint_plan(project).fingerprint(project), encoding="utf-8"
    )
    monkeypatch.setenv("MYPY_CACHE_DIR", str(tmp_path / "mypy-cache"))
    ((level, what, hint),) = lint_measurements(project)
    assert level == "warning"
    assert 'lint.mypy is on and lint.fail-on = "all", but mypy finds 1 error' in what
    assert 'lint.mypy = "off"' in hint
