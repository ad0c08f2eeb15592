"""The reusable update workflow (.github/workflows/update.yml), its `run:` lines run by the local
runner (tests/integration/workflow_runner.py) against a repository adopted with an older render
(golden 0.0.9) and edited by hand: `mlrelease update` merges, the branch is pushed to the local bare
remote with one commit, the `gh pr` line is recorded; a second run on a current repository pushes
nothing and opens nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from mlrelease import __version__
from mlrelease.adopt import record as rec
from mlrelease.adopt.init import WORKFLOW_PATH
from tests.integration.workflow_runner import Runner
from tests.unit.adopt.test_update import adopted, hand_edit

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
UPDATE = ROOT / ".github" / "workflows" / "update.yml"
BIN = Path(sys.executable).parent
ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=ENV, capture_output=True, text=True, check=True
    )
    return proc.stdout


def runner(tmp_path: Path, workspace: Path, n: int) -> Runner:
    sha = git(workspace, "rev-parse", "HEAD").strip()
    return Runner(
        workflow=UPDATE,
        workspace=workspace,
        artifacts=tmp_path / "artifacts",
        tmp=tmp_path / f"run{n}",
        inputs={"mlrelease-version": "."},
        github={"ref": "refs/heads/main", "ref_name": "main", "event_name": "schedule", "sha": sha},
        tool_bin=BIN,
    )


def test_the_update_workflow_pushes_a_branch_and_opens_one_pull_request(tmp_path: Path) -> None:
    root = adopted(tmp_path)
    hand_edit(root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: adopted by mlrelease 0.0.9, edited since")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "push", "-q", str(remote), "main")
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(remote), str(workspace))

    first = runner(tmp_path, workspace, 1)
    first.run()
    log = "\n".join(f"{r.line}\n{r.output}" for r in first.log)
    assert first.results["update"]["result"] == "success", log
    [pr] = [r for r in first.log if r.line.startswith("gh ")]
    assert not pr.ran  # recorded: the GitHub API has no local stand-in
    assert "gh pr create --head" in pr.line
    branch = "mlrelease/update"
    subject = git(remote, "log", "-1", "--format=%s", branch).strip()
    assert subject == "chore: keep the files mlrelease owns current (mlrelease update)"
    assert git(remote, "rev-parse", f"{branch}~1") == git(remote, "rev-parse", "main")
    caller = git(remote, "show", f"{branch}:{WORKFLOW_PATH}")
    assert f'mlrelease-version: "{__version__}"' in caller
    assert "# Team fraud-ml: ask #ml-platform first." in caller  # the edits are kept
    assert f'"mlrelease": "{__version__}"' in git(remote, "show", f"{branch}:{rec.RECORD_PATH}")

    # The team merges the pull request; the next scheduled run finds nothing to do.
    git(remote, "update-ref", "refs/heads/main", f"refs/heads/{branch}")
    second = runner(tmp_path, workspace, 2)
    second.run()
    assert second.results["update"]["result"] == "success"
    lines = [r.line for r in second.log]
    assert "mlrelease update" in lines
    assert not any(line.startswith(("git push", "gh ")) for line in lines), lines


def test_a_conflict_fails_the_job_and_pushes_nothing(tmp_path: Path) -> None:
    root = adopted(tmp_path)
    text = (root / WORKFLOW_PATH).read_text(encoding="utf-8")
    clash = 'with: { mlrelease-version: "0.0.9", python-versions: "3.12" }'
    (root / WORKFLOW_PATH).write_text(
        text.replace('with: { mlrelease-version: "0.0.9" }', clash), encoding="utf-8"
    )
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: adopted, python-versions set on the pin's line")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "push", "-q", str(remote), "main")
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(remote), str(workspace))

    run = runner(tmp_path, workspace, 1)
    run.run()
    assert run.results["update"]["result"] == "failure"
    [step] = [r for r in run.log if r.line == "mlrelease update"]
    assert f"conflicts in {WORKFLOW_PATH} (1 conflict)" in step.output
    assert [r.line for r in run.log] == ["mlrelease update"]  # no branch, no push, no PR
    assert git(remote, "for-each-ref", "--format=%(refname)", "refs/heads").split() == [
        "refs/heads/main"
    ]
