"""What `mlrelease init` writes for CI: the caller workflow and the Dependabot file, with what
repo-review expects (workflow_dispatch, concurrency, one required check, Dependabot for actions)
and the workflows repository as a setting. The auditors run on them in
tests/integration/test_workflows.py."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlrelease.adopt.callers import REUSABLE_PERMISSIONS
from mlrelease.adopt.init import DEPENDABOT, caller_workflow, plan_init
from mlrelease.cli.main import main


def _load(text: str) -> dict[str, Any]:
    data = yaml.safe_load(text)
    data["on"] = data.pop(True)
    assert isinstance(data, dict)
    return data


def test_the_tag_trigger_follows_the_tag_format() -> None:
    """Tags like 1.2.3 (tag-format "{version}") and pkg-v1.2.3 trigger the caller too."""
    bare = _load(caller_workflow("master", tag_format="{version}"))
    assert bare["on"]["push"] == {"branches": ["master"], "tags": ["[0-9]*"]}
    prefixed = _load(caller_workflow(tag_format="pkg-v{version}"))
    assert prefixed["on"]["push"]["tags"] == ["pkg-v*"]


def test_the_caller_has_dispatch_concurrency_and_the_branch() -> None:
    doc = _load(caller_workflow("trunk"))
    assert set(doc["on"]) == {"pull_request", "push", "workflow_dispatch"}
    assert doc["on"]["push"] == {"branches": ["trunk"], "tags": ["v*"]}
    assert doc["concurrency"] == {
        "group": "${{ github.workflow }}-${{ github.ref }}",
        "cancel-in-progress": "${{ github.event_name == 'pull_request' }}",
    }
    assert doc["permissions"] == {}
    release = doc["jobs"]["release"]
    assert release["if"] == "github.event_name != 'pull_request'"  # push and Run workflow
    assert release["permissions"] == REUSABLE_PERMISSIONS["release.yml"]
    assert doc["jobs"]["ci"]["permissions"] == REUSABLE_PERMISSIONS["python-ci.yml"]


@pytest.mark.parametrize(
    ("results", "passes"),
    [
        (["success", "success"], True),
        (["success", "skipped"], True),  # a pull request: no release
        (["failure", "skipped"], False),  # ci failed, so release was skipped
        (["success", "cancelled"], False),
        (["success", "failure"], False),
    ],
)
def test_all_green_is_the_one_required_check(results: list[str], passes: bool) -> None:
    """The all-green step's own shell, run on the results GitHub would give it."""
    job = _load(caller_workflow())["jobs"]["all-green"]
    assert job["if"] == "always()"
    assert set(job["needs"]) == set(_load(caller_workflow())["jobs"]) - {"all-green"}
    [step] = job["steps"]
    assert step["env"]["RESULTS"] == "${{ toJSON(needs.*.result) }}"
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={"RESULTS": json.dumps(results), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert (proc.returncode == 0) is passes, proc.stdout + proc.stderr


def test_the_workflows_repository_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLRELEASE_WORKFLOWS_REPO", raising=False)
    default = _load(caller_workflow())["jobs"]
    assert default["ci"]["uses"] == "contoso/mlrelease/.github/workflows/python-ci.yml@v1"
    mirror = _load(caller_workflow(workflows_repo="acme/ml-release@v2.1.0"))["jobs"]
    assert mirror["ci"]["uses"] == "acme/ml-release/.github/workflows/python-ci.yml@v2.1.0"
    assert mirror["release"]["uses"] == "acme/ml-release/.github/workflows/release.yml@v2.1.0"
    monkeypatch.setenv("MLRELEASE_WORKFLOWS_REPO", "platform/mlrelease")
    assert _load(caller_workflow())["jobs"]["release"]["uses"] == (
        "platform/mlrelease/.github/workflows/release.yml@v1"
    )


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n',
        encoding="utf-8",
    )
    return tmp_path


def test_init_adds_dependabot_for_actions_and_keeps_an_existing_one(tmp_path: Path) -> None:
    root = _project(tmp_path)
    plan = plan_init(root, workflows_repo="acme/ml-release")
    by_path = {c.path: c for c in plan.pending}
    assert by_path[".github/dependabot.yml"].new == DEPENDABOT
    assert yaml.safe_load(DEPENDABOT)["updates"][0]["package-ecosystem"] == "github-actions"
    assert "acme/ml-release/.github/workflows/release.yml@v1" in (
        by_path[".github/workflows/mlrelease.yml"].new
    )
    theirs = "version: 2\nupdates:\n  - package-ecosystem: pip\n    directory: /\n"
    (root / ".github").mkdir()
    (root / ".github" / "dependabot.yml").write_text(theirs, encoding="utf-8")
    again = plan_init(root, force=True)
    assert ".github/dependabot.yml" not in {c.path for c in again.pending}
    assert any("has no github-actions entry" in note for note in again.skipped)


def test_a_bad_workflows_repo_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    before = sorted(p.name for p in root.iterdir())
    assert main(["init", str(root), "--workflows-repo", "not a repo"]) == 2
    err = capsys.readouterr().err
    assert "--workflows-repo: 'not a repo' is not OWNER/REPO or OWNER/REPO@REF" in err
    assert sorted(p.name for p in root.iterdir()) == before  # nothing written


def test_doctor_sees_no_pull_request_subject_in_the_caller(tmp_path: Path) -> None:
    """The release job runs on push and Run workflow (`!= 'pull_request'`): no PR subject."""
    from mlrelease.adopt.callers import caller_jobs, derive_subjects

    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    text = caller_workflow().replace("environment: release #", "# environment: release #")
    (workflows / "mlrelease.yml").write_text(text, encoding="utf-8")
    subjects, _ = derive_subjects("acme/ml", caller_jobs(tmp_path), ("main",))
    assert [s.subject for s in subjects] == ["repo:acme/ml:ref:refs/heads/main"]
