"""The reusable workflows, unchanged, at a monorepo root (the example featurestore-mono with
history on a local bare remote), run by the local workflow runner: a pull request tests only the
changed member, a push to main runs every job for every member, and release.yml releases and
publishes every member in dependency order to a real feed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gitrepo import git

pytestmark = pytest.mark.integration


def _ci_runner(
    tmp_path: Path,
    python: str,
    *,
    pull_request: bool,
    workflow: str = "python-ci.yml",
    table: str = "",
) -> object:
    """The example monorepo with history on a local bare remote, a runner workspace, and a
    python-ci.yml runner for a pull request touching only the model (or the push of main)."""
    import shutil
    import sys

    from tests.integration.workflow_runner import Runner

    root = Path(__file__).resolve().parents[2]
    seed = tmp_path / "seed"
    shutil.copytree(
        root / "examples" / "featurestore-mono",
        seed,
        ignore=shutil.ignore_patterns(".nox", "dist", "build", ".mlrelease", "__pycache__"),
    )
    pyproject = seed / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('python = ["3.12"]', f'python = ["{python}"]') + table
    )
    (seed / ".gitignore").write_text("dist/\nbuild/\n.nox/\n.mlrelease/\n__pycache__/\n")
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "feat: features and a model")
    if workflow == "release.yml":  # released once, then a feat in the feature package
        git(seed, "tag", "-a", "featurestore-features-v0.1.0", "-m", "x")
        git(seed, "tag", "-a", "featurestore-model-v0.1.0", "-m", "x")
        features = seed / "packages" / "features" / "src" / "fs_features" / "__init__.py"
        features.write_text(features.read_text() + "\nEPSILON = 1e-9\n")
        git(seed, "commit", "-qam", "feat(features): an epsilon")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(seed, "remote", "add", "origin", str(remote))
    git(seed, "push", "-q", "origin", "main", "--tags")
    branch = "main"
    if pull_request:
        branch = "topic"
        git(seed, "checkout", "-q", "-b", "topic")
        model = seed / "packages" / "model" / "src" / "fs_model" / "__init__.py"
        model.write_text(model.read_text() + "\nTHRESHOLD = 0.5\n")
        git(seed, "commit", "-qam", "feat(model): a threshold")
        git(seed, "push", "-q", "origin", "topic")
    workspace = tmp_path / "workspace"
    git(tmp_path, "clone", "-q", str(remote), workspace.name)
    github: dict[str, object] = {
        "ref": f"refs/heads/{branch}",
        "ref_type": "branch",
        "ref_name": branch,
        "event_name": "pull_request" if pull_request else "push",
        "event": {"pull_request": {"title": "feat(model): a threshold"}} if pull_request else {},
        "sha": git(remote, "rev-parse", branch),
    }
    if pull_request:
        github["base_ref"] = "main"
    return Runner(
        workflow=root / ".github" / "workflows" / workflow,
        workspace=workspace,
        artifacts=tmp_path / "artifacts",
        tmp=tmp_path / "run",
        inputs={"mlrelease-version": "."},
        github=github,
        tool_bin=Path(sys.executable).parent,
        only={"plan", "tests"} if pull_request else None,
    )


def test_python_ci_on_a_monorepo_pull_request_tests_only_the_changed_member(
    tmp_path: Path,
) -> None:
    """The reusable python-ci.yml, unchanged inputs, on a pull request of the example monorepo that
    touches only the model: the plan's matrix names the model alone and the tests job runs it."""
    from tests.integration.test_workflows import one_python

    python = one_python()
    runner: Any = _ci_runner(tmp_path, python, pull_request=True)
    runner.run()
    log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
    assert runner.results["tests"]["result"] == "success", log
    matrix = json.loads(runner.results["plan"]["outputs"]["matrix"])
    assert [e["session"] for e in matrix["include"]] == [f"tests-featurestore-model-{python}"]
    reports = tmp_path / "artifacts" / f"reports-featurestore-model-{python}-1"
    assert any(reports.rglob(f"junit-{python}.xml")), "the member's reports are uploaded"


def test_python_ci_on_main_runs_every_job_for_every_member(tmp_path: Path) -> None:
    """A push to main: every member is tested; lint, docs and build run each member's session
    and the build uploads one artifact with both members' files."""
    from tests.integration.test_workflows import one_python

    python = one_python()
    runner: Any = _ci_runner(tmp_path, python, pull_request=False)
    runner.run()
    log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
    failed = {j: r for j, r in runner.results.items() if r["result"] not in ("success", "skipped")}
    assert not failed, log
    matrix = json.loads(runner.results["plan"]["outputs"]["matrix"])
    assert [e["session"] for e in matrix["include"]] == [
        f"tests-featurestore-features-{python}",
        f"tests-featurestore-model-{python}",
    ]
    files = sorted(p.name for p in (tmp_path / "artifacts" / "dist-1").iterdir())
    assert files == [
        "featurestore_features-0.1.0-py3-none-any.whl",
        "featurestore_features-0.1.0.tar.gz",
        "featurestore_model-0.1.0-py3-none-any.whl",
        "featurestore_model-0.1.0.tar.gz",
    ]


def test_the_release_workflow_releases_and_publishes_every_member_in_order(tmp_path: Path) -> None:
    """release.yml, no monorepo input: one release job cuts featurestore-features 0.2.0 and
    featurestore-model 0.1.1, the build at the tag makes both, publish-wheels sends both to the
    team's feed (a real pypiserver) in dependency order; a rerun publishes nothing."""
    from tests.integration import feedservers as fs
    from tests.integration.test_workflows import one_python

    python = one_python()
    with fs.pypiserver(tmp_path / "feed") as feed:
        table = (
            "\n[tool.mlrelease.publish.feed]\n"
            f'upload-url = "{feed.upload_url}"\nindex-url = "{feed.index_url}"\n'
        )
        runner: Any = _ci_runner(
            tmp_path, python, pull_request=False, workflow="release.yml", table=table
        )
        runner.inputs.update(
            {
                "feed-username": feed.username,
                "publish-images": False,
                "github-release": False,
            }
        )
        runner.secrets = {"feed-token": feed.password}
        outputs = runner.run()
        log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
        assert runner.results["publish-wheels"]["result"] == "success", log
        assert outputs["tag"] == "featurestore-features-v0.2.0"
        # attestations (the default): provenance of every member's files, one SBOM per wheel
        assert runner.results["attest"]["result"] == "success", log
        [attested] = runner.attested
        assert len(attested["subjects"]) == 4, attested
        sboms = tmp_path / "artifacts" / f"sbom-{outputs['tag']}-1"
        assert sorted(p.name for p in sboms.iterdir()) == [
            "featurestore-features-0.2.0.cdx.json",
            "featurestore-model-0.1.1.cdx.json",
        ], log
        publish = next(r for r in runner.log if r.job == "publish-wheels" and "publish" in r.line)
        uploaded = [ln for ln in publish.output.splitlines() if ": uploaded" in ln]
        assert [ln.split(":")[0] for ln in uploaded] == [
            "featurestore-features",
            "featurestore-features",
            "featurestore-model",
            "featurestore-model",
        ]
        assert sorted(p.name for p in Path(feed.packages or "").iterdir()) == [
            "featurestore_features-0.2.0-py3-none-any.whl",
            "featurestore_features-0.2.0.tar.gz",
            "featurestore_model-0.1.1-py3-none-any.whl",
            "featurestore_model-0.1.1.tar.gz",
        ]
        # A rerun of the workflow: nothing to release, the tags at HEAD are published again,
        # and every file is already there.
        runner.github["run_attempt"] = "2"
        runner.results, runner.log = {}, []
        again = runner.run()
        log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
        assert runner.results["publish-wheels"]["result"] == "success", log
        assert again["released"] == "false"
        rerun = next(r for r in runner.log if r.job == "publish-wheels" and "publish" in r.line)
        assert ": uploaded" not in rerun.output
        assert rerun.output.count("already published") == 4
