"""`mlrelease doctor`: the federated-credential subjects for a known remote, and the workflow checks."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from mlrelease.adopt import callers as workflow_callers
from mlrelease.cli.main import main

REPO = Path(__file__).resolve().parents[3]

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "ml-drift"
version = "0.1.0"
requires-python = ">=3.11"
"""

CALLER = """\
name: ci
on:
  pull_request:
  push:
    branches: [main]
    tags: ["v*"]
permissions: {}
jobs:
  ci:
    uses: platform/mlrelease/.github/workflows/python-ci.yml@v1
    permissions: { contents: read }
    with: { mlrelease-version: "1.0.0" }
  release:
    if: github.event_name == 'push'
    needs: ci
    uses: platform/mlrelease/.github/workflows/release.yml@v1
    permissions: { contents: write, id-token: write, attestations: write }
    with:
      mlrelease-version: "1.0.0"
"""


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/contoso/ml-drift.git",
        "https://github.com/contoso/ml-drift",
        "git@github.com:contoso/ml-drift.git",
        "ssh://git@github.com/contoso/ml-drift.git",
        "https://x-access-token:abc@github.com/contoso/ml-drift.git",
    ],
)
def test_github_repository_from_remote_forms(url: str) -> None:
    assert workflow_callers.github_repository(url) == "contoso/ml-drift"


def test_non_github_remote_has_no_subjects() -> None:
    assert workflow_callers.github_repository("https://dev.azure.com/contoso/ml/_git/drift") is None
    assert workflow_callers.github_repository("/srv/git/drift.git") is None


def _repo(tmp_path: Path, remote: str, caller: str | None = CALLER) -> Path:
    root = tmp_path / "ml-drift"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    if caller is not None:
        (root / ".github" / "workflows").mkdir(parents=True)
        (root / ".github" / "workflows" / "ci.yml").write_text(caller, encoding="utf-8")
    env = {**os.environ, "GIT_AUTHOR_NAME": "a", "GIT_AUTHOR_EMAIL": "a@b.invalid"}
    env.update(GIT_COMMITTER_NAME="a", GIT_COMMITTER_EMAIL="a@b.invalid")
    for args in (
        ["init", "-q", "-b", "main"],
        ["remote", "add", "origin", remote],
        ["add", "-A"],
        ["commit", "-q", "-m", "feat: start"],
    ):
        subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)
    return root


def _doctor_json(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, object]]:
    code = main(["doctor", "--project", str(root), "--json"])
    return code, json.loads(capsys.readouterr().out)


def test_doctor_prints_subjects_for_a_known_remote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(tmp_path, "git@github.com:contoso/ml-drift.git")
    code = main(["doctor", "--project", str(root)])
    out = capsys.readouterr().out
    assert code == 0
    assert "repo:contoso/ml-drift:ref:refs/heads/main" in out
    # tags: Entra has no wildcard subjects; doctor says what to do instead
    assert "repo:contoso/ml-drift:ref:refs/tags/v* is not allowed as a wildcard" in out
    assert "repo:contoso/ml-drift:environment:release" in out
    assert "flexible federated identity credential" in out
    assert "https://token.actions.githubusercontent.com" in out
    assert "api://AzureADTokenExchange" in out
    # the release job runs only on pushes: no pull_request subject is needed
    assert "repo:contoso/ml-drift:pull_request" not in out
    assert "nothing was changed" in out


def test_doctor_json_with_an_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = CALLER + "      environment: release\n"
    root = _repo(tmp_path, "https://github.com/contoso/ml-drift.git", caller)
    code, data = _doctor_json(root, capsys)
    assert code == 0
    assert data["repository"] == "contoso/ml-drift"
    subjects = [s["subject"] for s in data["subjects"]]  # type: ignore[attr-defined]
    assert subjects == ["repo:contoso/ml-drift:environment:release"]


def test_doctor_pull_request_subject_when_azure_runs_on_pull_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = CALLER.replace("    if: github.event_name == 'push'\n", "")
    root = _repo(tmp_path, "https://github.com/contoso/ml-drift.git", caller)
    _, data = _doctor_json(root, capsys)
    subjects = [s["subject"] for s in data["subjects"]]  # type: ignore[attr-defined]
    assert "repo:contoso/ml-drift:pull_request" in subjects


def test_doctor_flags_missing_permissions_and_changes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    caller = CALLER.replace(
        "{ contents: write, id-token: write, attestations: write }",
        "{ contents: write, attestations: write }",
    )
    root = _repo(tmp_path, "https://github.com/contoso/ml-drift.git", caller)
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    code = main(["doctor", "--project", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert "jobs.release (release.yml): lacks permissions { id-token: write }" in out
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before


def test_doctor_without_workflows_suggests_init(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(tmp_path, "https://github.com/contoso/ml-drift.git", caller=None)
    code = main(["doctor", "--project", str(root)])
    out = capsys.readouterr().out
    assert code == 0
    assert "mlrelease init adds .github/workflows/mlrelease.yml" in out
    assert "repo:contoso/ml-drift:ref:refs/heads/main" in out


def test_doctor_reports_a_configuration_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _repo(tmp_path, "https://github.com/contoso/ml-drift.git")
    with (root / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[tool.mlrelease.test]\ncoverage-minimum = 90\n")
    code = main(["doctor", "--project", str(root)])
    out = capsys.readouterr().out
    assert code == 1
    assert "tool.mlrelease.test.coverage-minimum: unknown key" in out


def _job_permissions(path: Path) -> dict[str, str]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    level = {"none": 0, "read": 1, "write": 2}
    wanted: dict[str, str] = {}
    for job in data["jobs"].values():
        for scope, value in (job.get("permissions") or {}).items():
            if level[value] > level.get(wanted.get(scope, "none"), 0):
                wanted[scope] = value
    return wanted


@pytest.mark.parametrize("name", sorted(workflow_callers.REUSABLE_PERMISSIONS))
def test_required_permissions_match_the_reusable_workflows(name: str) -> None:
    path = REPO / ".github" / "workflows" / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: update workflow_callers.REUSABLE_PERMISSIONS")
    actual = _job_permissions(path)
    need = workflow_callers.REUSABLE_PERMISSIONS[name]
    # every permission the jobs ask for must be granted by the caller (pages is optional: docs deploy)
    for scope, value in actual.items():
        if scope in ("pages",):
            continue
        assert need.get(scope) == value, (name, scope, value)
