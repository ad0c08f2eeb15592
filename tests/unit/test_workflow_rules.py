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
REUSABLE = ("python-ci.yml", "release.yml", "update.yml")
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
    r'^gh release upload "\$TAG" "\$(DIST|SBOM)"/\* --clobber$': "gh",
    # the wheel's SBOM: one wheel per build, its name expanded by the shell
    r'^mlrelease sbom --wheel "\$DIST"/\*\.whl --output-dir "\$SBOM_DIR"$': "wheel SBOMs",
    # the attest-images matrix from the digests mlrelease publish images wrote
    r"^echo \"images=\$\(jq -nc --argjson d \"\$\{DIGESTS:-null\}\" '[^']*'\)\" >> \"\$GITHUB_OUTPUT\"$": (
        "image subjects"
    ),
    # docker credentials for attest-build-provenance's push-to-registry (ACR via OIDC, or a password)
    r'^az acr login --name "\$REGISTRY"$': "registry login",
    r'^printf \'%s\' "\$PASSWORD" \| docker login "\$REGISTRY" --username "\$USERNAME" '
    r"--password-stdin$": "registry login",
    # the callers' all-green job: every needed job succeeded or was skipped
    r"^jq -e 'all\(\.\[\]; \. == \"success\" or \. == \"skipped\"\)' <<< \"\$RESULTS\"$": "all-green",
    # the notes: this version's section of the Keep a Changelog file
    r"^awk -v v=\"\$VERSION\" '[^']*' \"\$CHANGELOG\" > \"\$NOTES\"$": "changelog section",
    # update.yml: whether `mlrelease update` changed anything, then its branch, commit and PR
    r'^echo "changed=\$\(git status --porcelain \| wc -l\)" >> "\$GITHUB_OUTPUT"$': "update",
    r'^git switch -C "\$BRANCH"$': "update branch",
    r"^git add -A$": "update commit",
    r'^git commit -m "\$TITLE"$': "update commit",
    r'^git push --force origin "\$BRANCH"$': "update branch",
    r'^gh pr view "\$BRANCH" > /dev/null 2>&1 \|\| gh pr create --head "\$BRANCH" '
    r'--title "\$TITLE" --body "\$BODY"$': "update pull request",
}
PUSHING_JOBS = {("release.yml", "release"), ("update.yml", "update")}
WRITE_JOBS = {
    ("release.yml", "release"),
    ("release.yml", "github-release"),
    ("update.yml", "update"),
}


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
            actions = " ".join(
                str(s.data.get("uses", "")) for s in steps_of(name, doc) if s.job == job_id
            )
            if scope == "id-token" and "uses" not in job:
                signers = ("azure/login@", "deploy-pages@", "attest-build-provenance@")
                if not any(a in actions for a in signers):
                    bad.append(f"{name}: job {job_id} asks for id-token without azure/login")
            if (
                scope == "attestations"
                and "uses" not in job
                and "attest-build-provenance@" not in actions
            ):
                bad.append(f"{name}: job {job_id} asks for attestations without attesting")
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
        if re.fullmatch(
            r'nox -s (?:[\w.-]+|"[\w.$-]+")(?: -- [^;&|`$]*(?:"\$\w+"[^;&|`$]*)*)?', line
        ):
            continue
        # --opt="$VAR" keeps a value that begins with '-' (a PR title) a value
        if re.fullmatch(r"mlrelease [\w -]+(?: --\w[\w-]*[ =]\"\$\w+\")*", line):
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
    # The branch release is pinned to the commit CI tested (a moved tip is refused).
    release = next(s for s in jobs["release"]["steps"] if s.get("id") == "release")
    assert release["env"]["MLRELEASE_EXPECT_SHA"] == "${{ github.sha }}"


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


def test_the_caller_example_is_at_most_35_lines_and_calls_both_workflows() -> None:
    """Short enough to read at a glance, with what repo-review expects (concurrency, dispatch,
    one required check)."""
    text = CALLER.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 35
    doc = load(CALLER)
    assert "pull_request" in doc["on"]
    assert doc["on"]["push"]["branches"] == ["main"]
    uses = [job["uses"] for job in doc["jobs"].values() if "uses" in job]
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


# --- provenance and SBOM, runners, outputs, commit lint (issue: what platform teams expect) -------

ATTEST = "actions/attest-build-provenance@"


def _jobs(name: str) -> dict[str, Any]:
    jobs: dict[str, Any] = load(ROOT / ".github" / "workflows" / name)["jobs"]
    return jobs


def _uses(job: dict[str, Any]) -> list[str]:
    return [str(s.get("uses", "")) for s in job.get("steps", [])]


def test_attestations_write_only_on_the_attesting_jobs_and_gated_by_the_input() -> None:
    for name in REUSABLE:
        for job_id, job in _jobs(name).items():
            attests = any(u.startswith(ATTEST) for u in _uses(job))
            perms = job["permissions"]
            assert (perms.get("attestations") == "write") == attests, (name, job_id)
            if attests:
                assert perms == {"contents": "read", "id-token": "write", "attestations": "write"}
                assert "inputs.attestations" in job["if"], (name, job_id)
    jobs = _jobs("release.yml")
    assert {j for j, job in jobs.items() if any(u.startswith(ATTEST) for u in _uses(job))} == {
        "attest",
        "attest-images",
    }
    # The dist files: the artifact the build uploaded, by path.
    [dist] = [s for s in jobs["attest"]["steps"] if str(s.get("uses", "")).startswith(ATTEST)]
    assert dist["with"] == {"subject-path": "${{ runner.temp }}/dist/*"}
    download = next(s for s in jobs["attest"]["steps"] if "download-artifact" in str(s.get("uses")))
    assert download["with"]["name"] == "${{ needs.build.outputs.dist-artifact }}"
    # Each image: by name and digest from publish-images, pushed to the registry as a referrer.
    [image] = [
        s for s in jobs["attest-images"]["steps"] if str(s.get("uses", "")).startswith(ATTEST)
    ]
    assert image["with"] == {
        "subject-name": "${{ matrix.image.name }}",
        "subject-digest": "${{ matrix.image.digest }}",
        "push-to-registry": True,
    }
    matrix = jobs["attest-images"]["strategy"]["matrix"]["image"]
    assert matrix == "${{ fromJSON(needs.publish-images.outputs.images) }}"
    publish = jobs["publish-images"]
    assert publish["outputs"]["digests"] == (
        "${{ steps.images.outputs.digests || steps.images-sbom.outputs.digests }}"
    )
    # With attestations, each image's SBOM too: an OCI referrer, and a file for the GitHub release.
    runs = {s.get("id"): (s.get("if"), s.get("run")) for s in publish["steps"] if "run" in s}
    assert runs["images"] == (
        "${{ !inputs.attestations }}",
        'mlrelease publish images --dist "$DIST"',
    )
    assert runs["images-sbom"] == (
        "inputs.attestations",
        'mlrelease publish images --sbom --dist "$DIST"',
    )
    images_sbom = next(
        s for s in jobs["github-release"]["steps"] if "pattern" in (s.get("with") or {})
    )
    assert images_sbom["with"]["pattern"] == "${{ needs.publish-images.outputs.sbom-artifact }}"
    assert images_sbom["if"].startswith("inputs.attestations")
    # The SBOM: made in the attest job, attached to the GitHub release only when asked for.
    steps = [s.get("run") for s in jobs["attest"]["steps"]]
    assert 'mlrelease sbom --wheel "$DIST"/*.whl --output-dir "$SBOM_DIR"' in steps
    upload = [s for s in jobs["github-release"]["steps"] if '"$SBOM"/*' in str(s.get("run"))]
    assert [s["if"] for s in upload] == ["inputs.attestations"]
    assert {"attest", "attest-images"} <= set(jobs["github-release"]["needs"])
    # Attesting never runs with write access to the contents, and never before the build.
    assert jobs["attest"]["needs"] == ["release", "build"]


def test_every_job_runs_on_the_runs_on_input_and_tests_on_their_own() -> None:
    for name in REUSABLE:
        doc = load(ROOT / ".github" / "workflows" / name)
        spec = doc["on"]["workflow_call"]["inputs"]["runs-on"]
        assert spec["type"] == "string"
        assert spec["default"] == '"ubuntu-latest"'  # JSON: a label, a list or a group
        for job_id, job in doc["jobs"].items():
            want = "${{ fromJSON(inputs.runs-on) }}"
            if (name, job_id) == ("python-ci.yml", "tests"):
                want = "${{ fromJSON(inputs.tests-runs-on || inputs.runs-on) }}"
            assert job["runs-on"] == want, (name, job_id)


def test_tests_markers_reach_pytest_last(tmp_path: Path) -> None:
    """`nox -s tests-X -- -m gpu` (the tests-markers input): the session's arguments follow the
    configured options, so pytest's last -m (the input's) wins over exclude-markers."""
    from mlrelease.project import load_project
    from mlrelease.stages.test import tests_plan

    (tmp_path / "tests").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\n\n'
        '[tool.mlrelease.test]\nexclude-markers = ["gpu"]\n',
        encoding="utf-8",
    )
    project = load_project(tmp_path)
    argv = list(tests_plan(project, "3.12", ["-m", "gpu", "--cov-fail-under=0"]).commands[0].argv)
    assert argv[argv.index("-m") + 1] == "not gpu"
    assert argv[-4:] == ["-m", "gpu", "--cov-fail-under=0", "tests"]
    assert "gpu" not in tests_plan(project, "3.12").commands[0].argv[-1]
    steps = _jobs("python-ci.yml")["tests"]["steps"]
    runs = {s.get("if"): s.get("run") for s in steps if "run" in s}
    assert runs["inputs.tests-markers == ''"] == 'nox -s "$SESSION"'
    assert runs["inputs.tests-markers != ''"].startswith('nox -s "$SESSION" -- -m "$MARKERS"')
    # the session: a monorepo matrix entry names it (tests-<member>-<python>), else tests-<python>
    sessions = {s["env"]["SESSION"] for s in steps if "run" in s and "SESSION" in s.get("env", {})}
    assert sessions == {"${{ matrix.session || format('tests-{0}', matrix.python) }}"}


def test_release_outputs_released_prerelease_and_image_digests() -> None:
    doc = load(ROOT / ".github" / "workflows" / "release.yml")
    outputs = doc["on"]["workflow_call"]["outputs"]
    assert outputs["released"]["value"] == "${{ jobs.release.outputs.released }}"
    assert outputs["prerelease"]["value"] == "${{ jobs.release.outputs.prerelease }}"
    assert outputs["image-digests"]["value"] == "${{ jobs.publish-images.outputs.digests }}"
    job = doc["jobs"]["release"]["outputs"]
    for key in ("released", "prerelease"):
        assert f"steps.release.outputs.{key}" in job[key]
        assert f"steps.verify.outputs.{key}" in job[key]
    create = next(
        s
        for s in doc["jobs"]["github-release"]["steps"]
        if "gh release create" in str(s.get("run"))
    )
    assert '--prerelease="$PRERELEASE"' in create["run"]
    assert create["env"]["PRERELEASE"] == "${{ needs.release.outputs.prerelease }}"


def test_release_writes_released_and_prerelease_on_every_path() -> None:
    """The release job's outputs come from what `mlrelease release` writes to $GITHUB_OUTPUT."""
    text = (ROOT / "src" / "mlrelease" / "cli" / "release.py").read_text(encoding="utf-8")
    for fn in ("def _verify_tag", "def _nothing_to_release", "def _report_release"):
        body = text.split(fn, 1)[1].split("\ndef ", 1)[0]
        assert '"released":' in body, fn
        assert '"prerelease":' in body, fn
    release = text.split("def cmd_release", 1)[1].split("\ndef ", 1)[0]
    assert "return _report_release(" in release  # every release path reports through it


def test_commit_lint_runs_on_pull_requests_with_the_title_through_env() -> None:
    job = _jobs("python-ci.yml")["commit-lint"]
    assert job["if"].startswith("github.event_name == 'pull_request'")
    assert job["permissions"] == {"contents": "read"}
    [step] = [s for s in job["steps"] if "run" in s]
    assert step["run"] == 'mlrelease lint-commits --title="$TITLE" --range="$RANGE"'
    assert "github.event.pull_request.title" in step["env"]["TITLE"]
    assert "github.event.pull_request.head.sha" in step["env"]["RANGE"]
    checkout = next(s for s in job["steps"] if "checkout" in str(s.get("uses")))
    assert checkout["with"]["fetch-depth"] == 0


@pytest.mark.parametrize(
    ("digests", "expected"),
    [
        ("", []),  # publish images wrote nothing (no images configured)
        ("{}", []),
        (
            '{"myacr.azurecr.io/ml/app":"sha256:' + "a" * 64 + '",'
            '"127.0.0.1:5000/ml/app":"sha256:' + "b" * 64 + '"}',
            [
                {
                    "name": "myacr.azurecr.io/ml/app",
                    "digest": "sha256:" + "a" * 64,
                    "registry": "myacr.azurecr.io",
                },
                {
                    "name": "127.0.0.1:5000/ml/app",
                    "digest": "sha256:" + "b" * 64,
                    "registry": "127.0.0.1:5000",
                },
            ],
        ),
    ],
)
def test_the_image_subjects_step_turns_digests_into_the_attest_matrix(
    tmp_path: Path, digests: str, expected: list[dict[str, str]]
) -> None:
    """The publish-images step that feeds attest-images, run by bash on what `mlrelease publish
    images` writes (digests=<JSON map>); attest-images is skipped on "[]"."""
    import json
    import os
    import subprocess

    step = next(
        s for s in _jobs("release.yml")["publish-images"]["steps"] if s.get("id") == "subjects"
    )
    out = tmp_path / "out"
    out.write_text("")
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
        env={"DIGESTS": digests, "GITHUB_OUTPUT": str(out), "PATH": os.environ["PATH"]},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    key, _, value = out.read_text().strip().partition("=")
    assert key == "images"
    assert json.loads(value) == expected
    assert (
        "needs.publish-images.outputs.images != '[]'" in _jobs("release.yml")["attest-images"]["if"]
    )
