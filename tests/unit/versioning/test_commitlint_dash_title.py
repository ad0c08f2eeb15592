"""Issue 20 item 7: a PR title that begins with '-' gets a verdict, not a usage error.

Before: ``mlrelease lint-commits --title "$TITLE"`` with TITLE="-WIP" (or "--help") stopped in
argparse ("expected one argument", exit 2, or the help text and exit 0) instead of a verdict.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.unit.harness.conftest import make_project
from tests.unit.harness.support import assert_answered, run_cli

ROOT = Path(__file__).resolve().parents[3]


# argparse takes a value with a space for a value; one without ("-WIP") for an unknown option.
@pytest.mark.parametrize("title", ["-WIP", "--help", "--fix:typo", "-fix: x", "-"])
def test_a_title_beginning_with_a_dash_gets_a_verdict(tmp_path: Path, title: str) -> None:
    project = make_project(tmp_path / "p")
    for argv in (
        ["lint-commits", "--title", title, "--project", str(project)],
        ["lint-commits", f"--title={title}", "--project", str(project)],
    ):
        outcome = run_cli(argv, area="cli")
        assert_answered(outcome, (1,))
        assert f"PR title {title!r}" in outcome.out, outcome.show()
        assert "usage:" not in outcome.err


def test_a_good_title_after_the_fix_still_passes(tmp_path: Path) -> None:
    project = make_project(tmp_path / "p")
    outcome = run_cli(["lint-commits", "--title", "feat: x", "--project", str(project)])
    assert_answered(outcome, (0,))


def _lint_step() -> dict[str, object]:
    doc = yaml.safe_load((ROOT / ".github/workflows/python-ci.yml").read_text(encoding="utf-8"))
    [step] = [s for s in doc["jobs"]["commit-lint"]["steps"] if "lint-commits" in str(s.get("run"))]
    return dict(step)


@pytest.mark.parametrize(("title", "code"), [("-WIP", 1), ("--fix:typo", 1), ("fix: fine", 0)])
def test_the_workflow_step_gives_a_verdict_for_a_dash_title(
    tmp_path: Path, title: str, code: int
) -> None:
    """The step's own shell line, run by bash with the title in env, as the runner does."""
    project = make_project(tmp_path / "p")
    env = {
        **os.environ,
        "TITLE": title,
        "RANGE": "",
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    result = subprocess.run(
        ["bash", "-e", "-c", str(_lint_step()["run"])],
        cwd=project, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == code, result.stdout + result.stderr
    assert f"PR title {title!r}" in result.stdout
    assert "usage:" not in result.stderr
