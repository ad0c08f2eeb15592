"""mypy under ``lint.fail-on = "new"``: only errors in lines changed against the base fail."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlrelease.project import load_project
from mlrelease.stages.lint import lint_plan
from mlrelease.stages.mypy_new import check_new_mypy, parse_mypy
from tests.unit.stages.test_plans import make_project

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )


def test_mypy_under_fail_on_new_goes_through_the_core_filter(tmp_path: Path) -> None:
    table = """
    [tool.mlrelease.lint]
    fail-on = "new"
    base = "origin/develop"
    mypy = "strict"
    """
    plan = lint_plan(load_project(make_project(tmp_path, table)))
    _ruff, mypy = plan.commands
    assert mypy.core
    assert list(mypy.argv) == [
        "python", "-m", "mlrelease.stages.mypy_new", "--base", "origin/develop",
        "--", "mypy", "--strict", "src",
    ]  # fmt: skip
    assert mypy.why == "mypy: only errors in lines changed against origin/develop fail"
    assert plan.install.project  # mypy sees the package's dependencies
    (tmp_path / "all").mkdir()
    all_plan = lint_plan(load_project(make_project(tmp_path / "all", "")))
    assert list(all_plan.commands[-1].argv) == ["mypy", "src"]  # fail-on = "all": mypy itself


def test_parse_mypy_keeps_each_error_with_its_notes_and_context() -> None:
    output = (
        "src/a.py:3: error: Incompatible return value  [return-value]\n"
        "src/a.py:3:12: note: see https://mypy.rtfd.io\n"
        "        return 'x'\n"
        "               ^\n"
        'src/b.py:10:5:10:9: error: Name "y" is not defined  [name-defined]\n'
        "Found 2 errors in 2 files (checked 2 source files)\n"
    )
    first, second = parse_mypy(output)
    assert (first.file, first.line, len(first.lines)) == ("src/a.py", 3, 4)
    assert (second.file, second.line) == ("src/b.py", 10)
    assert second.lines == [output.splitlines()[4]]


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A clone whose main has one old type error; a new error is added in the working tree."""
    root = tmp_path / "repo"
    (root / "pkg").mkdir(parents=True)
    (root / "pkg" / "__init__.py").write_text(
        "def old() -> int:\n    return 'old'\n", encoding="utf-8"
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first")
    return root


def mypy_argv(tmp_path: Path) -> list[str]:
    return [sys.executable, "-m", "mypy", "--cache-dir", str(tmp_path / "cache"), "pkg"]


def test_old_mypy_errors_do_not_fail_new_ones_do(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(repo)
    assert check_new_mypy(repo, "main", mypy_argv(tmp_path)) == 0
    out = capsys.readouterr()
    assert "mypy: 0 errors in lines changed against main; 1 older error" in out.out + out.err

    module = repo / "pkg" / "__init__.py"
    module.write_text(
        module.read_text(encoding="utf-8") + "\n\ndef new() -> str:\n    return 1\n",
        encoding="utf-8",
    )
    assert check_new_mypy(repo, "main", mypy_argv(tmp_path)) == 1
    out = capsys.readouterr()
    text = out.out + out.err
    assert "pkg/__init__.py:6: error: Incompatible return value" in text
    assert "pkg/__init__.py:2:" not in text  # the old error is not listed
    assert "mypy: 1 error in lines changed against main; 1 older error" in text


def test_mypy_itself_failing_fails_the_run(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*mypy_argv(tmp_path)[:-1], "no_such_dir"]
    assert check_new_mypy(repo, "main", argv) == 2
    out = capsys.readouterr()
    assert "mypy itself failed (exit status 2)" in out.out + out.err
