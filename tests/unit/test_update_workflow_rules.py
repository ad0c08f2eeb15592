"""The update pieces of the reusable workflows: python-ci's opt-in update-check job and update.yml
(the rules every workflow follows are in test_workflow_rules.py; the local run of update.yml is
tests/integration/test_update_workflow.py)."""

from __future__ import annotations

from pathlib import Path

from tests.unit.test_workflow_rules import load

WORKFLOWS = Path(__file__).resolve().parents[2] / ".github" / "workflows"


def test_python_ci_runs_update_check_only_when_asked() -> None:
    doc = load(WORKFLOWS / "python-ci.yml")
    spec = doc["on"]["workflow_call"]["inputs"]["update-check"]
    assert spec["type"] == "boolean"
    assert spec["default"] is False
    job = doc["jobs"]["update-check"]
    assert job["if"] == "inputs.update-check"
    assert job["permissions"] == {"contents": "read"}
    assert [s["run"] for s in job["steps"] if "run" in s] == ["mlrelease update --check"]


def test_update_workflow_pushes_and_opens_a_pull_request_only_after_a_change() -> None:
    doc = load(WORKFLOWS / "update.yml")
    assert list(doc["on"]) == ["workflow_call"]
    inputs = doc["on"]["workflow_call"]["inputs"]
    assert inputs["mlrelease-version"]["default"] == "mlrelease"  # the newest: what to move to
    [job] = doc["jobs"].values()
    assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
    assert job["concurrency"]["cancel-in-progress"] is False
    steps = [s for s in job["steps"] if "run" in s]
    assert steps[0]["run"] == "mlrelease update"
    assert "if" not in steps[0]
    for step in steps[2:]:  # branch, add, commit, push, pull request
        assert step["if"] == "steps.changes.outputs.changed != '0'", step["run"]
    assert steps[-1]["run"].startswith('gh pr view "$BRANCH"')
    assert steps[-1]["env"]["GH_TOKEN"] == "${{ github.token }}"
