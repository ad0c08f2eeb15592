"""The tests stage: pytest with coverage, once per Python of the matrix.

Reports (JUnit XML and coverage XML, one pair per Python) all go under ``build/reports/``; the coverage
floor is ``test.coverage-min`` and markers in ``test.exclude-markers`` are deselected.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

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
                    "a test failed (see FAILED above) or coverage is under "
                    f"tool.mlrelease.test.coverage-min = {_percent(cfg.coverage_min)} "
                    "(see 'Required test coverage' above)"
                    if cfg.coverage_min > 0
                    else "a test failed, or pytest could not collect or run the tests "
                    "(see the output above; the coverage floor is 0, so it is not coverage)"
                ),
                env=(("COVERAGE_FILE", f"{reports}/.coverage.{python}"),),
            ),
        ),
        outputs=(f"{reports}/junit-{python}.xml", f"{reports}/coverage-{python}.xml"),
    )


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
