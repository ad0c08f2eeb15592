"""The check stages' plans (lint, tests, docs, build): pure data from a project's configuration."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from mlrelease.project import load_project
from mlrelease.stages import test as tests_stage
from mlrelease.stages.build import build_plan, expand
from mlrelease.stages.docs import docs_plan, plan_docs
from mlrelease.stages.lint import changed_lines, lint_plan, new_findings, plan_lint
from mlrelease.stages.plan import DIST_FILES, WHEEL_FILES, StagePlan

EXAMPLE = Path(__file__).resolve().parents[3] / "examples" / "driftwatch"


def make_project(tmp_path: Path, table: str = "", *, docs: bool = True, tests: bool = True) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"
            [project]
            name = "Tiny-Pkg"
            version = "1.0.0"
            dependencies = ["numpy"]
            """
        )
        + textwrap.dedent(table),
        encoding="utf-8",
    )
    pkg = tmp_path / "src" / "tiny_pkg"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    if tests:
        (tmp_path / "tests").mkdir()
    if docs:
        (tmp_path / "docs").mkdir()
        (tmp_path / "docs" / "conf.py").write_text("", encoding="utf-8")
    return tmp_path


def argvs(plan: StagePlan) -> list[list[str]]:
    return [list(c.argv) for c in plan.commands]


def test_lint_default_runs_ruff_format_and_mypy_on_source(tmp_path: Path) -> None:
    project = load_project(make_project(tmp_path))
    plan = lint_plan(project)
    assert argvs(plan) == [
        ["ruff", "check", "src", "tests"],
        ["ruff", "format", "--check", "--diff", "src", "tests"],
        ["mypy", "src"],
    ]
    assert plan.install.requirements == ("ruff==0.17.5", "mypy==2.4.1")
    # mypy must see numpy: the project (with its dependencies) is installed
    assert plan.install.project


def test_lint_respects_pinned_tools_and_strict_mypy(tmp_path: Path) -> None:
    table = """
    [tool.mlrelease.lint]
    mypy = "strict"
    format = false
    paths = ["scripts"]
    [tool.mlrelease.tools]
    ruff = ">=0.17,<0.18"
    """
    root = make_project(tmp_path, table)
    (root / "scripts").mkdir()
    plan = lint_plan(load_project(root))
    assert argvs(plan) == [
        ["ruff", "check", "src", "tests", "scripts"],
        ["mypy", "--strict", "src"],
    ]
    assert plan.install.requirements[0] == "ruff>=0.17,<0.18"


def test_lint_leaves_mypy_targets_to_the_repository_config(tmp_path: Path) -> None:
    root = make_project(tmp_path, '[tool.mypy]\nfiles = ["src"]\n')
    assert argvs(lint_plan(load_project(root)))[-1] == ["mypy"]


def test_lint_fail_on_new_goes_through_the_core_filter(tmp_path: Path) -> None:
    table = """
    [tool.mlrelease.lint]
    fail-on = "new"
    base = "origin/develop"
    mypy = "off"
    """
    plan = lint_plan(load_project(make_project(tmp_path, table)))
    (command,) = plan.commands
    assert command.core
    assert list(command.argv) == [
        "python",
        "-m",
        "mlrelease.stages.lint_new",
        "--base",
        "origin/develop",
        "--format",
        "src",
        "tests",
    ]
    assert not plan.install.project  # no mypy: the package itself is not needed


def test_changed_lines_parses_unified_zero_context_diff() -> None:
    diff = textwrap.dedent(
        """\
        diff --git a/src/a.py b/src/a.py
        --- a/src/a.py
        +++ b/src/a.py
        @@ -3 +3 @@ def f():
        -    x = 1
        +    x = 2
        @@ -10,0 +11,3 @@
        +a
        +b
        +c
        @@ -20,2 +23,0 @@
        diff --git a/old.py b/old.py
        --- a/old.py
        +++ /dev/null
        @@ -1,2 +0,0 @@
        """
    )
    assert changed_lines(diff) == {"src/a.py": {3, 11, 12, 13}}


def test_new_findings_keeps_only_changed_lines(tmp_path: Path) -> None:
    findings = [
        {
            "filename": str(tmp_path / "src/a.py"),
            "location": {"row": 3, "column": 1},
            "code": "F401",
        },
        {
            "filename": str(tmp_path / "src/a.py"),
            "location": {"row": 4, "column": 1},
            "code": "E711",
        },
        {
            "filename": str(tmp_path / "src/b.py"),
            "location": {"row": 1, "column": 1},
            "code": "F401",
        },
        {"filename": str(tmp_path / "new.py"), "location": {"row": 9, "column": 1}, "code": "B006"},
    ]
    changed: dict[str, set[int] | None] = {"src/a.py": {3}, "new.py": None}
    kept = new_findings(findings, tmp_path, changed)
    assert [(f["filename"].rsplit("/", 1)[-1], f["code"]) for f in kept] == [
        ("a.py", "F401"),
        ("new.py", "B006"),
    ]


def test_tests_plan_sets_floor_markers_and_reports(tmp_path: Path) -> None:
    table = """
    [tool.mlrelease.test]
    coverage-min = 87.5
    exclude-markers = ["gpu", "slow"]
    extras = ["test"]
    workers = "auto"
    pytest-args = ["-q"]
    """
    project = load_project(make_project(tmp_path, table))
    plan = tests_stage.tests_plan(project, "3.12")
    (command,) = plan.commands
    assert list(command.argv) == [
        "pytest",
        "--cov=tiny_pkg",
        "--cov-report=term-missing:skip-covered",
        "--cov-report=xml:build/reports/coverage-3.12.xml",
        "--cov-fail-under=87.5",
        "--junitxml=build/reports/junit-3.12.xml",
        "-m",
        "not gpu and not slow",
        "-n",
        "auto",
        "-q",
        "tests",
    ]
    assert dict(command.env) == {"COVERAGE_FILE": "build/reports/.coverage.3.12"}
    assert plan.install.project_spec() == ".[test]"
    assert "pytest-xdist==3.8.0" in plan.install.requirements
    assert plan.outputs == ("build/reports/junit-3.12.xml", "build/reports/coverage-3.12.xml")


def test_tests_plan_without_test_directory_is_skipped_with_the_key(tmp_path: Path) -> None:
    project = load_project(make_project(tmp_path, tests=False))
    plan = tests_stage.tests_plan(project, "3.12")
    assert plan.skip_reason is not None
    assert "tool.mlrelease.test.paths" in plan.skip_reason


def test_docs_plan_warnings_as_errors_into_known_dir(tmp_path: Path) -> None:
    table = """
    [tool.mlrelease.docs]
    define = { language = "en" }
    extras = ["docs"]
    """
    root = make_project(tmp_path, table)
    (root / "docs" / "requirements.txt").write_text("furo\n", encoding="utf-8")
    plan = docs_plan(load_project(root))
    assert argvs(plan) == [
        [
            "sphinx-build",
            "-b",
            "html",
            "-W",
            "--keep-going",
            "-D",
            "language=en",
            "docs",
            "build/docs/html",
        ]
    ]
    assert plan.install.requirement_files == ("docs/requirements.txt",)
    assert plan.install.install_args() == [
        ["sphinx==8.2.3", "-r", "docs/requirements.txt", "-e", ".[docs]"]
    ]
    link = docs_plan(load_project(root), builder="linkcheck")
    assert link.stage == "docs-linkcheck"
    assert argvs(link)[0][-1] == "build/docs/linkcheck"


def test_docs_plan_without_sources_says_where_it_looked(tmp_path: Path) -> None:
    data = plan_docs(load_project(make_project(tmp_path, docs=False)))
    assert data["skipped"] is not None
    assert "docs/" in data["skipped"]
    assert "tool.mlrelease.docs.source" in data["skipped"]


def test_build_plan_reproducible_outside_git_says_so(tmp_path: Path) -> None:
    project = load_project(make_project(tmp_path))
    plan = build_plan(project, use_uv=True)
    assert argvs(plan) == [
        ["python", "-m", "build", "--outdir", "dist", "--installer", "uv", "."],
        ["twine", "check", "--strict", DIST_FILES],
        ["check-wheel-contents", WHEEL_FILES],
    ]
    assert plan.commands[0].env == ()
    assert any("not reproducible" in n for n in plan.notes)


def test_build_plan_wheel_only_into_custom_outdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")  # twine then gets --no-color (test_twine_colour.py)
    table = """
    [tool.mlrelease.build]
    sdist = false
    outdir = "out/dist"
    """
    project = load_project(make_project(tmp_path, table))
    plan = build_plan(project)
    assert argvs(plan)[0] == ["python", "-m", "build", "--outdir", "out/dist", "--wheel", "."]
    out = tmp_path / "out" / "dist"
    out.mkdir(parents=True)
    for name in ("tiny_pkg-1.0.0-py3-none-any.whl", "tiny_pkg-1.0.0.tar.gz", "notes.txt"):
        (out / name).write_text("x", encoding="utf-8")
    assert expand(plan.commands[1].argv, project) == [
        "twine",
        "--no-color",
        "check",
        "--strict",
        "out/dist/tiny_pkg-1.0.0-py3-none-any.whl",
        "out/dist/tiny_pkg-1.0.0.tar.gz",
    ]
    assert expand(plan.commands[2].argv, project) == [
        "check-wheel-contents",
        "out/dist/tiny_pkg-1.0.0-py3-none-any.whl",
    ]


def test_fingerprint_changes_with_a_pin_not_with_source(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    before = lint_plan(load_project(root)).fingerprint(load_project(root))
    (root / "src" / "tiny_pkg" / "__init__.py").write_text("x = 1\n", encoding="utf-8")
    assert lint_plan(load_project(root)).fingerprint(load_project(root)) == before
    with (root / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write('[tool.mlrelease.tools]\nmypy = "2.4.0"\n')
    assert lint_plan(load_project(root)).fingerprint(load_project(root)) != before


@pytest.mark.parametrize(
    ("name", "fn"), [("lint", plan_lint), ("docs", plan_docs)], ids=["lint", "docs"]
)
def test_stage_data_is_json_with_summary(name: str, fn: object) -> None:
    project = load_project(EXAMPLE)
    data = fn(project)  # type: ignore[operator]
    json.dumps(data)
    assert data["stage"] == name
    assert data["summary"]
    assert all(isinstance(line, str) for line in data["summary"])


def test_plan_command_shows_every_check_stage() -> None:
    from mlrelease.preview import preview as whole_plan

    plan = whole_plan(load_project(EXAMPLE), stages=("lint", "tests", "docs", "build"))
    stages = plan["stages"]
    json.dumps(plan)
    assert "run: mypy src" in stages["lint"]["summary"]
    assert stages["tests"]["pythons"] == ["3.11", "3.12"]
    assert any("--cov-fail-under=90" in line for line in stages["tests"]["summary"])
    assert any("build/docs/html" in line for line in stages["docs"]["summary"])
    assert any("twine check --strict" in line for line in stages["build"]["summary"])
