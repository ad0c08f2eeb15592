"""CLI conventions a user relies on: usage errors exit 2, -q/-v anywhere, JSON on every path."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlrelease.cli.main import DOCS_URL, PLAN_STAGES, build_parser, main
from mlrelease.config.reader import tomllib
from mlrelease.preview import STAGES

ROOT = Path(__file__).resolve().parents[3]
PYPROJECT = """\
[project]
name = "demo-pkg"
version = "0.1.0"
requires-python = ">=3.10"
"""


def mlrelease(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlrelease", *args],
        capture_output=True,
        text=True,
        check=False,
        cwd=cwd,
    )


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    (tmp_path / "src" / "demo_pkg").mkdir(parents=True)
    (tmp_path / "src" / "demo_pkg" / "__init__.py").write_text("")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    return tmp_path


def _break_config(project: Path) -> None:
    with (project / "pyproject.toml").open("a") as fh:
        fh.write("\n[tool.mlrelease.test]\ncoverage-min = 150\n")


# --- usage errors exit 2 ------------------------------------------------------------------------


def test_bare_mlrelease_prints_help_on_stderr_and_exits_2() -> None:
    proc = mlrelease()
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "usage: mlrelease" in proc.stderr
    assert "COMMAND" in proc.stderr


def test_unknown_stage_is_a_usage_error_listing_the_stages(project: Path) -> None:
    proc = mlrelease("plan", "--stage", "bogus", "-C", str(project))
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert "unknown stage 'bogus'" in proc.stderr
    assert "lint, tests, docs, build, release, wheels, images" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_stage_takes_a_comma_list_and_repeats(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["plan", "--json", "-C", str(project), "--stage", "lint,docs", "--stage", "build"]
    assert main(argv) == 0
    assert set(json.loads(capsys.readouterr().out)["stages"]) == {"lint", "docs", "build"}


def test_the_parser_knows_every_stage_plan_has() -> None:
    assert tuple(name for name, _ in STAGES) == PLAN_STAGES


def test_release_as_banana_is_a_usage_error(project: Path) -> None:
    proc = mlrelease("release", "--as", "banana", "-C", str(project))
    assert proc.returncode == 2
    assert "argument --as: 'banana' is not a valid version" in proc.stderr
    assert "--as 1.4.0" in proc.stderr
    assert "Traceback" not in proc.stderr


# --- -q / -v after the subcommand ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "quiet", "verbose"),
    [
        (["check", "-q"], True, 0),
        (["-q", "check"], True, 0),
        (["plan", "--verbose"], False, 1),
        (["-v", "plan"], False, 1),
        (["publish", "wheels", "-vv"], False, 2),
        (["check"], False, 0),
    ],
)
def test_quiet_and_verbose_are_accepted_before_and_after_the_command(
    argv: list[str], quiet: bool, verbose: int
) -> None:
    args = build_parser().parse_args(argv)
    assert (args.quiet, args.verbose) == (quiet, verbose)


def test_check_dash_q_runs(project: Path) -> None:
    proc = mlrelease("check", "-q", "-C", str(project))
    assert "unrecognized arguments" not in proc.stderr
    assert proc.returncode in (0, 1), proc.stderr  # 1 only if a tool of this machine is missing


# --- --json -------------------------------------------------------------------------------------


def test_check_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--json", "-C", str(project)])
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is (code == 0)
    assert {"level": "ok", "what": "git repository", "hint": ""} in data["findings"]
    assert any(f["what"].startswith("configuration") for f in data["findings"])


def test_init_dry_run_json_shows_the_diffs_and_writes_nothing(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = sorted(p.relative_to(project) for p in project.rglob("*") if ".git" not in p.parts)
    assert main(["init", "--dry-run", "--json", str(project)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["dry-run"] is True
    assert data["written"] is False
    paths = {c["path"] for c in data["changes"]}
    assert "noxfile.py" in paths
    assert all(c["diff"].startswith("---") for c in data["changes"])
    after = sorted(p.relative_to(project) for p in project.rglob("*") if ".git" not in p.parts)
    assert after == before


def test_init_json_writes_and_keeps_stdout_for_the_json(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["init", "--json", str(project)]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)
    assert data["written"] is True
    assert (project / "noxfile.py").is_file()
    assert "created noxfile.py" in captured.err


@pytest.mark.parametrize(
    "command", [["plan"], ["matrix"], ["check"], ["version"], ["publish", "wheels"]]
)
def test_json_config_error_is_a_json_object_on_stdout(project: Path, command: list[str]) -> None:
    _break_config(project)
    proc = mlrelease(*command, "--json", "-C", str(project))
    assert proc.returncode == 2, proc.stderr
    data = json.loads(proc.stdout)
    assert data["ok"] is False
    assert data["exit-code"] == 2
    [error] = data["errors"]
    assert error["file"] == "pyproject.toml"
    assert error["key"] == "tool.mlrelease.test.coverage-min"
    assert "must be between 0 and 100, got 150" in error["message"]
    assert "coverage-min" in proc.stderr  # the human message is still on stderr


def test_json_error_for_a_failure_that_is_not_a_key(tmp_path: Path) -> None:
    proc = mlrelease("plan", "--json", "-C", str(tmp_path))
    assert proc.returncode == 2
    [error] = json.loads(proc.stdout)["errors"]
    assert error["message"] == "file not found"
    assert error["hint"]


def test_without_json_a_config_error_leaves_stdout_empty(project: Path) -> None:
    _break_config(project)
    proc = mlrelease("plan", "-C", str(project))
    assert proc.returncode == 2
    assert proc.stdout == ""


# --- --help -------------------------------------------------------------------------------------


def test_help_points_at_the_published_docs() -> None:
    urls = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Documentation"] == DOCS_URL
    proc = mlrelease("--help")
    assert proc.returncode == 0
    assert DOCS_URL in " ".join(proc.stdout.split())
    assert "docs/index.md" not in proc.stdout
