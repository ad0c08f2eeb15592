"""A failed tests session says whose failure it is: the repository's own tests, the coverage
floor, or pytest stopping early, read from the JUnit report the run wrote (issue 18, item 8)."""

from __future__ import annotations

import time
from pathlib import Path

from mlrelease.project import load_project
from mlrelease.stages.test import failure_diagnosis
from tests.unit.stages.test_plans import make_project

JUNIT = (
    '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="pytest" errors="{e}" '
    'failures="{f}" skipped="1" tests="{t}" time="0.1"></testsuite></testsuites>'
)


def report(root: Path, *, tests: int, failures: int, errors: int = 0) -> None:
    path = root / "build" / "reports" / "junit-3.11.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(JUNIT.format(t=tests, f=failures, e=errors), encoding="utf-8")


def test_failed_tests_are_the_repositorys_own_whatever_the_floor(tmp_path: Path) -> None:
    root = make_project(tmp_path, "[tool.mlrelease.test]\ncoverage-min = 0\n")
    project = load_project(root)
    started = time.time() - 1
    report(root, tests=5, failures=1, errors=1)
    text = failure_diagnosis(project, "3.11", started)
    assert text.startswith("the repository's own tests failed: 2 of 4 tests")
    assert "coverage" not in text  # a floor of 0 is never blamed


def test_all_passed_names_the_coverage_floor(tmp_path: Path) -> None:
    root = make_project(tmp_path, "[tool.mlrelease.test]\ncoverage-min = 90\n")
    started = time.time() - 1
    report(root, tests=4, failures=0)
    text = failure_diagnosis(load_project(root), "3.11", started)
    assert text == (
        "all 3 tests of the repository passed: the run failed on the coverage floor, "
        "tool.mlrelease.test.coverage-min = 90 (test the lines pytest-cov lists as missing "
        "above, or lower coverage-min)"
    )


def test_a_report_older_than_the_run_is_not_read(tmp_path: Path) -> None:
    root = make_project(tmp_path)
    report(root, tests=4, failures=2)
    text = failure_diagnosis(load_project(root), "3.11", time.time() + 5)
    assert text.startswith("pytest stopped before it wrote a test report")
