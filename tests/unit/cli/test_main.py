"""The `mlrelease` command as a user meets it: exit codes, messages, JSON, annotations."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlrelease.cli.main import main

PYPROJECT = """\
[project]
name = "demo-pkg"
version = "0.1.0"
requires-python = ">=3.10"
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "src" / "demo_pkg").mkdir(parents=True)
    (tmp_path / "src" / "demo_pkg" / "__init__.py").write_text("")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def test_check_on_a_valid_project_exits_0(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["check", "--project", str(project)]) == 0
    out = capsys.readouterr().out
    assert "ok: configuration [tool.mlrelease] is valid" in out
    assert "ok: git repository" in out


def test_check_outside_git_exits_1(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    subprocess.run(["rm", "-rf", str(project / ".git")], check=True)
    assert main(["check", "--project", str(project)]) == 1
    out = capsys.readouterr().out
    assert "is not a git repository" in out
    assert "git init" in out


def test_check_typo_exits_2_and_suggests(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (project / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.mlrelease.test]\ncoverage-minimum = 80\n")
    assert main(["check", "--project", str(project)]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: tool.mlrelease.test.coverage-minimum: unknown key" in err
    assert "did you mean 'coverage-min'?" in err
    assert "Traceback" not in err


def test_github_actions_annotations(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with (project / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.mlrelease.test]\ncoverage-min = 150\n")
    assert main(["check", "--project", str(project)]) == 2
    out = capsys.readouterr().out
    assert "::error file=pyproject.toml,title=tool.mlrelease.test.coverage-min::" in out
    assert "must be between 0 and 100, got 150" in out


def test_plan_json_is_valid_and_marks_defaults(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with (project / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.mlrelease.test]\ncoverage-min = 90\n")
    assert main(["plan", "--json", "--project", str(project), "--stage", "lint"]) == 0
    plan = json.loads(capsys.readouterr().out)
    assert plan["plan-version"] == 1
    assert plan["project"]["name"] == "demo-pkg"
    assert plan["project"]["layout"] == "src"
    assert plan["config"]["test"]["coverage-min"] == 90
    assert "test.coverage-min" not in plan["defaults"]
    assert "lint.mypy" in plan["defaults"]
    assert set(plan["stages"]) == {"lint"}


def test_plan_text_marks_defaults(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", "--project", str(project), "--stage", "lint"]) == 0
    out = capsys.readouterr().out
    assert "test.coverage-min = 80  (default)" in out
    assert "project demo-pkg (src layout" in out


def test_matrix_json_feeds_from_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with (project / "pyproject.toml").open("a") as fh:
        fh.write('\n[tool.mlrelease]\npython = ["3.10", "3.12"]\n')
    assert main(["matrix", "--json", "--project", str(project)]) == 0
    assert json.loads(capsys.readouterr().out) == {"python": ["3.10", "3.12"]}


def test_matrix_default_is_requires_python_and_present_interpreters(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["matrix", "--json", "--project", str(project)]) == 0
    versions = json.loads(capsys.readouterr().out)["python"]
    assert versions
    assert all(v >= "3.10" for v in versions)
    assert f"{sys.version_info.major}.{sys.version_info.minor}" in versions


def test_version_and_help() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "mlrelease", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.startswith("mlrelease ")
    helped = subprocess.run(
        [sys.executable, "-m", "mlrelease", "--help"], capture_output=True, text=True, check=True
    )
    for command in ("check", "plan", "matrix", "version", "release", "publish", "init", "doctor"):
        assert command in helped.stdout


def test_help_imports_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from mlrelease.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('tomllib', 'tomli', 'packaging', 'urllib.request', 'http.client',"
        " 'azure', 'requests', 'json', 'subprocess', 'mlrelease.config.model') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_unknown_command_is_a_usage_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlrelease", "frobnicate"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "invalid choice" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_missing_pyproject_is_a_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["plan", "--project", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "pyproject.toml: file not found" in err
