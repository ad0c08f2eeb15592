"""The tests stage: pytest with coverage, once per Python of the matrix.

Reports (JUnit XML and coverage XML, one pair per Python) all go under ``build/reports/``; the coverage
floor is ``test.coverage-min`` and markers in ``test.exclude-markers`` are deselected.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from mlrelease._util.console import counted
from mlrelease.project import Project, available_pythons, matrix_pythons
from mlrelease.stages.plan import Command, Install, StagePlan, existing, reports_dir


def _percent(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def tests_plan(project: Project, python: str, extra: Sequence[str] = ()) -> StagePlan:  # noqa: PT028
    """pytest for ``python``; ``extra`` (the session's posargs, e.g. ``-m gpu``) goes last among
    the options, so a ``-m`` there replaces the one ``exclude-markers`` makes (pytest keeps the
    last)."""
    cfg = project.config.test
    tools = project.config.tools
    paths = existing(project, list(cfg.paths))
    if not paths:
        return StagePlan(
            stage="tests",
            python=python,
            skip_reason=f"none of the test paths exist: {', '.join(cfg.paths)} "
            "(set tool.mlrelease.test.paths)",
        )
    reports = reports_dir()
    requirements = [tools.requirement("pytest"), tools.requirement("pytest-cov")]
    argv = [
        "pytest",
        f"--cov={project.import_name}",
        "--cov-report=term-missing:skip-covered",
        f"--cov-report=xml:{reports}/coverage-{python}.xml",
        f"--cov-fail-under={_percent(cfg.coverage_min)}",
        f"--junitxml={reports}/junit-{python}.xml",
    ]
    if cfg.exclude_markers:
        argv += ["-m", " and ".join(f"not {m}" for m in cfg.exclude_markers)]
    if cfg.workers:
        requirements.append(tools.requirement("pytest-xdist"))
        argv += ["-n", str(cfg.workers)]
    argv += [*cfg.pytest_args, *extra, *paths]
    return StagePlan(
        stage="tests",
        python=python,
        install=Install(
            requirements=(*requirements, *cfg.requirements),
            project=True,
            extras=cfg.extras,
            groups=cfg.dependency_groups,
        ),
        commands=(
            Command(
                argv=tuple(argv),
                why=f"pytest on Python {python}",
                hint=(
                    "a test of the repository failed (see FAILED above) or coverage is under "
                    f"tool.mlrelease.test.coverage-min = {_percent(cfg.coverage_min)} "
                    "(see 'Required test coverage' above)"
                    if cfg.coverage_min > 0
                    else "a test of the repository failed, or pytest could not collect or run "
                    "its tests (see the output above; the coverage floor is 0, so it is not "
                    "coverage)"
                ),
                env=(("COVERAGE_FILE", f"{reports}/.coverage.{python}"),),
            ),
        ),
        outputs=(f"{reports}/junit-{python}.xml", f"{reports}/coverage-{python}.xml"),
    )


def junit_counts(path: Path) -> tuple[int, int] | None:
    """(tests run, tests failed or in error) from pytest's JUnit XML, None when unreadable."""
    try:
        root = ElementTree.parse(path).getroot()  # noqa: S314 (pytest's own report)
    except (OSError, ElementTree.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    tests = failed = 0
    for suite in suites:
        tests += int(suite.get("tests", 0)) - int(suite.get("skipped", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
    return tests, failed


def failure_diagnosis(project: Project, python: str, since: float) -> str:
    """Whose failure a failed pytest run is, from the JUnit report it wrote (``since``: when
    the run started, so an older report is not read): the repository's own tests, or the
    coverage floor; pytest stopping before writing a report is said as such."""
    path = project.root / reports_dir() / f"junit-{python}.xml"
    counts = junit_counts(path) if path.is_file() and path.stat().st_mtime >= since else None
    if counts is None:
        return (
            "pytest stopped before it wrote a test report (a usage or configuration error, "
            "shown above): check tool.mlrelease.test and the repository's pytest configuration"
        )
    ran, failed = counts
    if failed:
        return (
            f"the repository's own tests failed: {failed} of {counted(ran, 'test')} (FAILED "
            "and ERROR above). mlrelease ran the repository's pytest on its code; reproduce "
            f"with `nox -s tests-{python}` (or its pytest command above)"
        )
    floor = project.config.test.coverage_min
    if floor > 0:
        return (
            f"all {counted(ran, 'test')} of the repository passed: the run failed on the "
            f"coverage floor, tool.mlrelease.test.coverage-min = {_percent(floor)} (test the "
            "lines pytest-cov lists as missing above, or lower coverage-min)"
        )
    return "every test passed and the coverage floor is 0: see pytest's message above"


def plan_tests(project: Project) -> dict[str, Any]:
    pythons = matrix_pythons(project)
    present = set(available_pythons(tuple(pythons)))
    per_python = {}
    summary = []
    for python in pythons:
        data = tests_plan(project, python).as_data()
        if python not in present:
            data["missing-interpreter"] = True
            data["summary"].append(
                f"python{python} is not installed here: reported as skipped locally, an error in CI"
            )
        per_python[python] = data
        summary.append(f"tests-{python}:")
        summary += [f"  {line}" for line in data["summary"]]
    return {"pythons": pythons, "sessions": per_python, "summary": summary}
