"""The security and thinness rules of the reusable workflows, the setup action and the docs' caller
example (failure mode 16, issue 7 point 4), checked on the files themselves.

Each rule is a small function returning the violations it finds, and each is also run on a
deliberately bad workflow so a rule that silently stopped matching would fail here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ACTIONS = sorted((ROOT / ".github" / "actions").glob("*/action.yml"))
CALLER = ROOT / "docs" / "examples" / "caller.yml"
REUSABLE = ("python-ci.yml", "release.yml")
# This repository's own actions and workflows: released together, referenced by tag (see
# .github/zizmor.yml). Everything else is third-party and pinned by commit SHA.
FIRST_PARTY = ("./", "contoso/mlrelease/")
SHA_PIN = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"#\s*v\d+(\.\d+){0,2}\b")

# The run lines that are neither `nox -s ...` nor `mlrelease ...` alone, each with why it is there.
TRIVIAL_RUN = {
    # a step output from an mlrelease command (matrix, the build's outdir, the docs' output dir)
    r'^echo "[\w-]+=\$\(mlrelease [^`;&]*\)" >> "\$GITHUB_OUTPUT"$': "mlrelease into a step output",
    r'^mlrelease plan --json --stage \w+ \| jq -r \'[^\']*\' >> "\$GITHUB_OUTPUT"$': "plan facts",
    # the GitHub release: the GitHub API only, idempotent (view || create; upload --clobber)
    r'^gh release view "\$TAG" > /dev/null 2>&1 \|\| gh release create "\$TAG" [^;&|]*$': "gh",
    r'^gh release upload "\$TAG" "\$DIST"/\* --clobber$': "gh",
    # the notes: this version's section of the Keep a Changelog file
    r"^awk -v v=\"\$VERSION\" '[^']*' \"\$CHANGELOG\" > \"\$NOTES\"$": "changelog section",
}
PUSHING_JOBS = {("release.yml", "release")}
WRITE_JOBS = {("release.yml", "release"), ("release.yml", "github-release")}


def load(path: Path) -> dict[str, Any]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), path
    if True in data:  # YAML 1.1 reads the key `on` as a boolean
        data["on"] = data.pop(True)
    return data


@dataclass(frozen=True)
class Step:
    file: str
    job: str  # "" for an action's steps
    index: int
    data: dict[str, Any]

    @property
    def where(self) -> str:
        return f"{self.file}: {self.job or 'runs'} step {self.index + 1}"


def steps_of(name: str, doc: dict[str, Any]) -> list[Step]:
    if "runs" in doc:
        return [Step(name, "", i, s) for i, s in enumerate(doc["runs"].get("steps", []))]
    out: list[Step] = []
    for job_id, job in doc.get("jobs", {}).items():
        out += [Step(name, job_id, i, s) for i, s in enumerate(job.get("steps", []))]
    return out


def all_files() -> list[Path]:
    return [*WORKFLOWS, *ACTIONS, CALLER]


# --- the rules ------------------------------------------------------------------------------------


def unpinned_uses(path: Path) -> list[str]:
    """Every third-party `uses:` is pinned to a full commit SHA with the version in a comment."""
    bad = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        m = re.match(r"^\s*(?:-\s+)?uses:\s*(\S+)(.*)$", line)
        if not m or m.group(1).startswith(FIRST_PARTY):
            continue
        ref, rest = m.group(1), m.group(2)
        if not SHA_PIN.match(ref) or not VERSION_COMMENT.search(rest):
            bad.append(f"{path.name}:{lineno}: {ref} (pin a full commit SHA, `# vX.Y.Z` after it)")
    return bad


def expressions_in_run(name: str, doc: dict[str, Any]) -> list[str]:
    """No `${{ }}` inside `run:`: inputs and outputs reach the shell only through `env:`."""
    return [
        f"{s.where}: expression in run: pass it through env"
        for s in steps_of(name, doc)
        if "${{" in str(s.data.get("run", ""))
    ]


def permission_problems(name: str, doc: dict[str, Any]) -> list[str]:
    """`permissions: {}` at the top; every job states its own; write scopes only where needed."""
    bad = []
    if doc.get("permissions") != {}:
        bad.append(f"{name}: top-level `permissions: {{}}` missing")
    for job_id, job in doc.get("jobs", {}).items():
        perms = job.get("permissions")
        if not isinstance(perms, dict):
            bad.append(f"{name}: job {job_id} has no explicit permissions")
            continue
        for scope, level in perms.items():
            if level != "write":
                continue
            if scope == "contents" and (name, job_id) not in WRITE_JOBS and "uses" not in job:
                bad.append(f"{name}: job {job_id} asks for contents: write")
            if scope == "id-token" and "uses" not in job:
                actions = " ".join(
                    str(s.data.get("uses", "")) for s in steps_of(name, doc) if s.job == job_id
                )
                if "azure/login@" not in actions and "deploy-pages@" not in actions:
                    bad.append(f"{name}: job {job_id} asks for id-token without azure/login")
    return bad


def checkout_problems(name: str, doc: dict[str, Any]) -> list[str]:
    """`persist-credentials: false` on every checkout, except the job that pushes (explicit true)."""
    bad = []
    for s in steps_of(name, doc):
        if not str(s.data.get("uses", "")).startswith("actions/checkout@"):
            continue
        persist = (s.data.get("with") or {}).get("persist-credentials")
        if (name, s.job) in PUSHING_JOBS:
            if persist is not True:
                bad.append(f"{s.where}: the pushing job says persist-credentials: true explicitly")
        elif persist is not False:
            bad.append(f"{s.where}: checkout without persist-credentials: false")
    return bad


def trigger_and_secret_problems(name: str, doc: dict[str, Any]) -> list[str]:
    bad = []
    triggers = doc.get("on") or {}
    names = [triggers] if isinstance(triggers, str) else list(triggers)
    if "pull_request_target" in names:
        bad.append(f"{name}: pull_request_target runs fork code with secrets")
    for job_id, job in doc.get("jobs", {}).items():
        if job.get("secrets") == "inherit":
            bad.append(f"{name}: job {job_id} uses secrets: inherit (pass each secret explicitly)")
    return bad


def run_line_problems(name: str, doc: dict[str, Any]) -> list[str]:
    """Every `run:` is one `nox -s ...` or `mlrelease ...` command, or a listed trivial line."""
    if "runs" in doc:  # the setup action installs things; its shell is reviewed, not shaped
        return []
    bad = []
    for s in steps_of(name, doc):
        run = s.data.get("run")
        if run is None:
            continue
        lines = [ln for ln in str(run).strip().splitlines() if ln.strip()]
        if len(lines) != 1:
            bad.append(f"{s.where}: {len(lines)} lines (one command per step)")
            continue
        line = lines[0].strip()
        if re.fullmatch(r'nox -s (?:[\w.-]+|"[\w.$-]+")', line):
            continue
        if re.fullmatch(r"mlrelease [\w -]+(?: --\w[\w-]* \"\$\w+\")*", line):
            continue
        if not any(re.fullmatch(p, line) for p in TRIVIAL_RUN):
            bad.append(f"{s.where}: not a nox/mlrelease command: {line}")
    return bad


def artifact_problems(name: str, doc: dict[str, Any]) -> list[str]:
    """Artifact names survive a rerun: the attempt number in the name, and overwrite: true."""
    bad = []
    for s in steps_of(name, doc):
        if str(s.data.get("uses", "")).startswith("actions/upload-artifact@"):
            w = s.data.get("with") or {}
            if "github.run_attempt" not in str(w.get("name")) or w.get("overwrite") is not True:
                bad.append(f"{s.where}: artifact name without run_attempt / overwrite: true")
    return bad


RULES = (
    expressions_in_run,
    permission_problems,
    checkout_problems,
    trigger_and_secret_problems,
    run_line_problems,
    artifact_problems,
)


# --- the files ------------------------------------------------------------------------------------


def test_the_expected_files_exist() -> None:
    assert {p.name for p in WORKFLOWS} >= {"python-ci.yml", "release.yml", "ci.yml"}
    assert [p.parent.name for p in ACTIONS] == ["setup"]
    assert CALLER.is_file()


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_third_party_action_is_pinned_by_sha(path: Path) -> None:
    assert unpinned_uses(path) == []


@pytest.mark.parametrize("path", all_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_rule_holds(path: Path, rule: Any) -> None:
    doc = load(path)
    if "runs" in doc and rule in (permission_problems, trigger_and_secret_problems):
        return  # an action has no triggers, jobs or permissions of its own
    assert rule(path.name, doc) == []


def test_reusable_workflows_are_workflow_call_only() -> None:
    for name in REUSABLE:
        doc = load(ROOT / ".github" / "workflows" / name)
        assert list(doc["on"]) == ["workflow_call"], name


def test_release_job_is_serialised_and_never_cancelled() -> None:
    job = load(ROOT / ".github" / "workflows" / "release.yml")["jobs"]["release"]
    assert job["permissions"] == {"contents": "write"}
    assert job["concurrency"]["cancel-in-progress"] is False
    assert "github.repository" in job["concurrency"]["group"]


def test_publishing_is_keyed_on_the_tag_not_on_a_fresh_release() -> None:
    """failure mode 8: publish jobs run when a release tag is at HEAD, released now or not."""
    jobs = load(ROOT / ".github" / "workflows" / "release.yml")["jobs"]
    outputs = jobs["release"]["outputs"]
    assert "released" not in outputs["tag"]
    for job_id in ("build", "publish-wheels", "publish-images", "github-release"):
        condition = jobs[job_id]["if"]
        assert "needs.release.outputs.tag != ''" in condition, job_id
        assert "released" not in condition, job_id
    runs = [s.get("run") for s in jobs["release"]["steps"]]
    assert "mlrelease release --allow-noop" in runs
    assert "mlrelease release --verify-tag" in runs


def test_publish_jobs_log_in_with_oidc_only() -> None:
    jobs = load(ROOT / ".github" / "workflows" / "release.yml")["jobs"]
    for job_id in ("publish-wheels", "publish-images"):
        job = jobs[job_id]
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        login = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("azure/login@"))
        assert set(login["with"]) == {
            "client-id",
            "tenant-id",
            "subscription-id",
            "allow-no-subscriptions",
        }
        assert "creds" not in login["with"]
        assert "client-secret" not in str(login)


def test_the_caller_example_is_at_most_25_lines_and_calls_both_workflows() -> None:
    text = CALLER.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 25
    doc = load(CALLER)
    assert "pull_request" in doc["on"]
    assert doc["on"]["push"]["branches"] == ["main"]
    uses = [job["uses"] for job in doc["jobs"].values()]
    assert any("/.github/workflows/python-ci.yml@" in u for u in uses)
    assert any("/.github/workflows/release.yml@" in u for u in uses)


def test_own_ci_calls_python_ci_on_this_repository() -> None:
    job = load(ROOT / ".github" / "workflows" / "ci.yml")["jobs"]["python-ci"]
    assert job["uses"] == "./.github/workflows/python-ci.yml"
    assert job["with"]["mlrelease-version"] == "."


# --- the rules catch what they are for ------------------------------------------------------------

BAD = """\
on:
  pull_request_target:
permissions:
  contents: write
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: some/action@main
      - run: echo "${{ github.event.pull_request.title }}"
      - run: |
          pip install -e .
          pytest
      - uses: actions/upload-artifact@ea165f8d65b6e75b540449e92b4886f43607fa02 # v4.6.2
        with: { name: dist, path: dist }
  call:
    uses: org/repo/.github/workflows/x.yml@0123456789abcdef0123456789abcdef01234567
    secrets: inherit
"""


def test_the_rules_catch_a_bad_workflow(tmp_path: Path) -> None:
    path = tmp_path / "bad.yml"
    path.write_text(BAD, encoding="utf-8")
    doc = load(path)
    found = {rule.__name__: rule("bad.yml", doc) for rule in RULES}
    assert len(unpinned_uses(path)) == 3  # a tag, a branch, a SHA without its version comment
    assert len(found["expressions_in_run"]) == 1
    perms = found["permission_problems"]
    assert any("top-level" in p for p in perms)
    assert any("job build has no explicit permissions" in p for p in perms)
    assert len(found["checkout_problems"]) == 1
    assert len(found["trigger_and_secret_problems"]) == 2
    assert len(found["run_line_problems"]) == 2  # the echo of an expression, the two-line step
    assert len(found["artifact_problems"]) == 1


# --- the python-versions input reaches mlrelease as --python ---------------------------------------


def test_matrix_override_from_the_python_versions_input(capsys: pytest.CaptureFixture[str]) -> None:
    from mlrelease.cli.main import main

    assert main(["-C", str(ROOT), "matrix", "--json", "--python", "3.11, 3.12"]) == 0
    assert capsys.readouterr().out.strip() == '{"python":["3.11","3.12"]}'
    # A blank input (the workflow's default) means: the configured matrix.
    assert main(["-C", str(ROOT), "matrix", "--json", "--python", ""]) == 0
    assert capsys.readouterr().out.strip() == '{"python":["3.10","3.11","3.12","3.13"]}'


def test_a_bad_python_versions_input_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    from mlrelease.cli.main import main

    with pytest.raises(SystemExit) as exc:
        main(["matrix", "--python", "3.12 python3"])
    assert exc.value.code == 2
    assert "not a Python version: python3 (expected e.g. '3.11 3.12')" in capsys.readouterr().err
