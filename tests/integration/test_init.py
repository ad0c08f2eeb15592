"""`mlrelease init` on real repositories of different shapes (tests/fixtures/projects).

Every fixture: init, then `mlrelease check` and `mlrelease plan --json` agree with what init said,
a second run changes nothing, `--dry-run` changes nothing. Three representative fixtures then run
the real `nox -t check` (the goal of init: it passes right after init on a repository whose own
tests pass):

- hatch-src: hatchling, src layout, existing ruff findings, docs/source with a Sphinx warning;
- setuptools-flat: setuptools, flat layout, pytest.ini options, a gpu marker, a coverage floor,
  an existing noxfile and an existing workflow;
- poetry-only: poetry-core with only [tool.poetry], no tests.

The others (setuptools-scm version, flit-core module, pdm-backend with dependency groups) are
verified through `mlrelease check`, the plan and the generated files, to keep the file's runtime
within a few minutes on two cores.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

pytestmark = pytest.mark.integration

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "projects"
VENV_BIN = Path(sys.executable).parent
ALL = sorted(p.name for p in FIXTURES.iterdir() if (p / "pyproject.toml").is_file())


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NOXSESSION", "GITHUB_ACTIONS")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    env.update(
        # the platform team's repository of the reusable workflows (else a placeholder check fails)
        MLRELEASE_WORKFLOWS_REPO="acme/mlrelease@v1",
        GIT_AUTHOR_NAME="Dev",
        GIT_AUTHOR_EMAIL="dev@example.invalid",
        GIT_COMMITTER_NAME="Dev",
        GIT_COMMITTER_EMAIL="dev@example.invalid",
    )
    return env


def git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=_env(), capture_output=True, text=True, check=True
    )
    return proc.stdout


def mlrelease(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlrelease", *args],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def make_repo(tmp_path: Path, name: str) -> Path:
    """A clone of the fixture with history, a tag and a local bare `origin` it was pushed to."""
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first version")
    git(root, "tag", "v0.1.0")
    remote = tmp_path / f"{name}.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main", "--tags")
    git(root, "fetch", "-q", "origin")
    return root


def snapshot(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(root).parts
    }


def plan(root: Path) -> dict[str, Any]:
    proc = mlrelease(root, "plan", "--json")
    assert proc.returncode == 0, proc.stderr
    data: dict[str, Any] = json.loads(proc.stdout)
    return data


def table(root: Path) -> dict[str, Any]:
    data = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    result: dict[str, Any] = data["tool"]["mlrelease"]
    return result


# --- every fixture -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ALL)
def test_init_then_check_plan_and_idempotency(tmp_path: Path, name: str) -> None:
    root = make_repo(tmp_path, name)
    original = (root / "pyproject.toml").read_text(encoding="utf-8")

    first = mlrelease(root, "init")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Traceback" not in first.stderr
    # comments and formatting of the existing file are kept byte for byte
    assert (root / "pyproject.toml").read_text(encoding="utf-8").startswith(original)
    assert "[tool.mlrelease]" in (root / "pyproject.toml").read_text(encoding="utf-8")
    assert (root / ".github" / "workflows" / "mlrelease.yml").is_file()
    assert "noxsessions.register()" in (root / "noxfile.py").read_text(encoding="utf-8")

    check = mlrelease(root, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok: configuration [tool.mlrelease] is valid" in check.stdout

    before = snapshot(root)
    second = mlrelease(root, "init")
    assert second.returncode == 0, second.stderr
    assert "nothing to change" in second.stdout
    assert snapshot(root) == before

    # the generated noxfile passes the lint session's own checks
    for tool in (["check", "--no-cache", "noxfile.py"], ["format", "--check", "noxfile.py"]):
        proc = subprocess.run(
            [str(VENV_BIN / "ruff"), *tool], cwd=root, capture_output=True, text=True, check=False
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dry_run_prints_a_diff_and_changes_nothing(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "hatch-src")
    before = snapshot(root)
    proc = mlrelease(root, "init", "--dry-run", "--dockerfile")
    assert proc.returncode == 0, proc.stderr
    assert snapshot(root) == before
    assert git(root, "status", "--porcelain") == ""
    out = proc.stdout
    assert "--- a/pyproject.toml\n+++ b/pyproject.toml" in out
    assert "+[tool.mlrelease]" in out
    assert "--- /dev/null\n+++ b/noxfile.py" in out
    assert "+++ b/.github/workflows/mlrelease.yml" in out
    assert "+++ b/Dockerfile" in out
    assert "nothing was written" in out


def test_hatch_src_with_lint_debt_and_lenient_docs(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "hatch-src")
    proc = mlrelease(root, "init")
    assert proc.returncode == 0, proc.stderr
    assert 'lint.fail-on = "new"' in proc.stdout  # init says so
    assert "warnings-as-errors = true once the build is clean" in proc.stdout
    cfg = table(root)
    assert cfg["python"] == ["3.11"]
    assert cfg["lint"]["fail-on"] == "new"
    assert cfg["docs"] == {"source": "docs/source", "warnings-as-errors": False, "extras": ["docs"]}
    data = plan(root)
    assert data["project"]["layout"] == "src"
    assert data["project"]["build-backend"] == "hatchling.build"
    assert data["project"]["docs"] == "docs/source"
    docs_argv = data["stages"]["docs"]["commands"][0]["argv"]
    assert "-W" not in docs_argv


def test_setuptools_flat_keeps_the_teams_noxfile_pytest_options_and_workflows(
    tmp_path: Path,
) -> None:
    root = make_repo(tmp_path, "setuptools-flat")
    team_ci = (root / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8")
    proc = mlrelease(root, "init")
    assert proc.returncode == 0, proc.stderr
    cfg = table(root)
    assert cfg["python"] == ["3.11"]
    assert cfg["test"]["paths"] == ["test"]  # from pytest.ini testpaths
    assert cfg["test"]["coverage-min"] == 50  # from [tool.coverage.report] fail_under
    assert cfg["test"]["exclude-markers"] == ["gpu"]
    assert cfg["lint"]["mypy"] == "off"
    assert "docs" not in cfg
    assert (root / "pytest.ini").read_text(encoding="utf-8").startswith("[pytest]")
    assert (root / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8") == team_ci
    assert "existing workflows left as they are: ci.yml" in proc.stdout
    noxfile = (root / "noxfile.py").read_text(encoding="utf-8")
    assert noxfile.startswith("# /// script\n")
    assert "def hello(session" in noxfile  # the team's session is still there
    data = plan(root)
    assert data["project"]["layout"] == "flat"
    assert data["stages"]["docs"].get("skip-reason") or data["stages"]["docs"].get("skipped")


def test_existing_files_are_only_replaced_with_force(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "setuptools-flat")
    workflow = root / ".github" / "workflows" / "mlrelease.yml"
    workflow.write_text("name: ours\n", encoding="utf-8")
    proc = mlrelease(root, "init")
    assert proc.returncode == 0, proc.stderr
    assert workflow.read_text(encoding="utf-8") == "name: ours\n"
    assert ".github/workflows/mlrelease.yml exists and was left as it is" in proc.stdout
    forced = mlrelease(root, "init", "--force")
    assert forced.returncode == 0, forced.stderr
    assert "acme/mlrelease/.github/workflows/release.yml@v1" in workflow.read_text(encoding="utf-8")
    # --force never touches an existing [tool.mlrelease] table
    assert "pyproject.toml already has [tool.mlrelease]" in forced.stdout


def test_poetry_only_scm_flit_pdm_are_understood(tmp_path: Path) -> None:
    facts = {}
    for name in ("poetry-only", "scm-version", "flit-module", "pdm-src"):
        root = make_repo(tmp_path, name)
        proc = mlrelease(root, "init")
        assert proc.returncode == 0, proc.stdout + proc.stderr
        facts[name] = (plan(root), table(root), proc.stdout)
    poetry, poetry_cfg, poetry_out = facts["poetry-only"]
    assert poetry["project"]["name"] == "tokenizer-lite"
    assert poetry["project"]["version-source"] == "poetry"
    assert poetry_cfg["python"] == ["3.11"]
    assert "tests: none found" in poetry_out
    scm, _, scm_out = facts["scm-version"]
    assert scm["project"]["version-source"] == "dynamic:setuptools-scm"
    assert "from git tags (setuptools-scm)" in scm_out
    flit, flit_cfg, _ = facts["flit-module"]
    assert flit["project"]["build-backend"] == "flit_core.buildapi"
    assert flit_cfg["python"][0] == "3.10"
    pdm, pdm_cfg, _ = facts["pdm-src"]
    assert pdm["project"]["docs"] == "doc"
    assert pdm_cfg["docs"]["dependency-groups"] == ["docs"]
    assert pdm_cfg["test"]["dependency-groups"] == ["test"]
    # [tool.mypy] alone does not turn mypy on: nothing in the repository runs it
    assert pdm_cfg["lint"]["mypy"] == "off"
    assert "does not run mypy in CI, pre-commit, tox, nox or a Makefile" in facts["pdm-src"][2]


def test_dockerfile_option_adds_a_valid_image(tmp_path: Path) -> None:
    root = make_repo(tmp_path, "flit-module")
    proc = mlrelease(root, "init", "--dockerfile")
    assert proc.returncode == 0, proc.stderr
    assert (root / "Dockerfile").read_text(encoding="utf-8").startswith("# syntax=")
    assert table(root)["publish"]["images"] == [{"name": "clipper", "dockerfile": "Dockerfile"}]
    assert mlrelease(root, "check").returncode == 0


def test_not_a_python_project_is_a_clear_error(tmp_path: Path) -> None:
    proc = mlrelease(tmp_path, "init")
    assert proc.returncode == 1
    assert "no pyproject.toml" in proc.stderr
    assert "hint:" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []


# --- the goal: `nox -t check` passes right after init ---------------------------------------------


def nox(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "nox", *args],
        cwd=root,
        env=_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.mark.slow
@pytest.mark.parametrize("name", ["hatch-src", "setuptools-flat", "poetry-only"])
def test_nox_check_passes_right_after_init(tmp_path: Path, name: str) -> None:
    if shutil.which("python3.11", path=os.environ.get("PATH")) is None:
        pytest.fail("python3.11 is needed on PATH (./ci/test sets PYENV_VERSION)")
    root = make_repo(tmp_path, name)
    assert mlrelease(root, "init").returncode == 0
    proc = nox(root, "-t", "check")
    assert proc.returncode == 0, proc.stdout[-6000:]
    out = proc.stdout
    assert "* lint: success" in out
    if name == "poetry-only":
        assert "* tests-3.11: skipped" in out  # no tests yet: skipped, not failed
    else:
        assert "* tests-3.11: success" in out
    if name == "hatch-src":
        assert "* docs: success" in out  # the Sphinx warning does not fail it (yet)
        assert "missing-page" in out
    assert "* build: success" in out
    assert list((root / "dist").glob("*.whl"))
    if name == "setuptools-flat":
        listed = nox(root, "-l")
        assert "hello" in listed.stdout  # the team's own session is still there


def test_written_caller_matches_the_documented_caller() -> None:
    """init writes the caller the docs show (docs/examples/caller.yml): same jobs, same wiring."""
    import yaml

    from mlrelease.adopt.init import caller_workflow

    documented = Path(__file__).resolve().parents[2] / "docs" / "examples" / "caller.yml"
    ours = yaml.safe_load(caller_workflow())
    theirs = yaml.safe_load(documented.read_text(encoding="utf-8"))
    assert ours[True] == theirs[True]  # the triggers (YAML 1.1 reads `on` as true)
    assert ours["permissions"] == theirs["permissions"] == {}
    assert ours["jobs"].keys() == theirs["jobs"].keys()
    for name, job in theirs["jobs"].items():
        mine = ours["jobs"][name]
        for key in ("uses", "permissions", "if", "needs"):
            assert mine.get(key) == job.get(key), (name, key)
        assert set(mine.get("with", {})) <= set(job.get("with", {}))
