"""A monorepo end to end, on a real git repository with history and a local bare remote: what a
pull request tests, what a release cuts (in dependency order, one commit, a tag per member), what
a publish sends to the embedded feed, and the clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from tests.integration.feedservers import _uv
from tests.integration.gitrepo import Repo, git

pytestmark = pytest.mark.integration

FEATURES = "packages/features"
MODEL = "packages/model"


def _member(root: Path, path: str, name: str, deps: list[str]) -> None:
    pkg = name.replace("-", "_")
    (root / path / "src" / pkg).mkdir(parents=True, exist_ok=True)
    (root / path / "src" / pkg / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (root / path / "README.md").write_text(f"# {name}\n\nA member of the test monorepo.\n")
    listed = ", ".join(f'"{d}"' for d in deps)
    (root / path / "pyproject.toml").write_text(
        textwrap.dedent(
            f"""\
            [build-system]
            requires = ["setuptools>=68"]
            build-backend = "setuptools.build_meta"

            [project]
            name = "{name}"
            version = "0.1.0"
            description = "A member of the test monorepo."
            readme = "README.md"
            requires-python = ">=3.8"
            license = "MIT"
            dependencies = [{listed}]
            """
        )
    )


@pytest.fixture
def mono(tmp_path: Path) -> Repo:
    """fs-features and fs-model (requires fs-features>=0.1.0), both released as 0.1.0."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    root = tmp_path / "work"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", str(remote))
    (root / "pyproject.toml").write_text(
        '[tool.mlrelease]\nmembers = ["packages/*"]\npython = ["3.12"]\n'
    )
    (root / ".gitignore").write_text("dist/\n.mlrelease/\n*.egg-info/\nbuild/\n")
    _member(root, FEATURES, "fs-features", [])
    _member(root, MODEL, "fs-model", ["fs-features>=0.1.0"])
    for member in (FEATURES, MODEL):
        (root / member / "CHANGELOG.md").write_text("# Changelog\n")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: start the monorepo")
    git(root, "tag", "-a", "fs-features-v0.1.0", "-m", "fs-features 0.1.0")
    git(root, "tag", "-a", "fs-model-v0.1.0", "-m", "fs-model 0.1.0")
    repo = Repo(root, remote)
    repo.push_all()
    git(root, "branch", "-q", "--set-upstream-to=origin/main")
    return repo


def _change(repo: Repo, path: str, message: str) -> None:
    with (repo.path / path).open("a", encoding="utf-8") as fh:
        fh.write("X = 1\n")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", message)


def _pull_request_matrix(repo: Repo, path: str) -> list[str]:
    repo.git("checkout", "-q", "-b", "topic")
    _change(repo, path, "fix: a change on a topic branch")
    result = repo.mlrelease("matrix", env={"GITHUB_BASE_REF": "main"})
    assert result.returncode == 0, result.stderr
    return [entry["session"] for entry in json.loads(result.stdout)["include"]]


def test_a_pull_request_touching_only_the_model_tests_only_the_model(mono: Repo) -> None:
    assert _pull_request_matrix(mono, f"{MODEL}/src/fs_model/__init__.py") == [
        "tests-fs-model-3.12"
    ]


def test_a_pull_request_touching_the_features_tests_both(mono: Repo) -> None:
    sessions = _pull_request_matrix(mono, f"{FEATURES}/src/fs_features/__init__.py")
    assert sessions == ["tests-fs-features-3.12", "tests-fs-model-3.12"]
    result = mono.mlrelease("affected", "--base", "origin/main", "--json")
    data = json.loads(result.stdout)
    assert [m["name"] for m in data["members"]] == ["fs-features", "fs-model"]
    assert data["members"][1]["why"] == "depends on fs-features"


def _build(repo: Repo) -> None:
    env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
    for member in (FEATURES, MODEL):
        subprocess.run(
            [_uv(), "build", "-q", "--wheel", "--out-dir", "dist", "."],
            cwd=repo.path / member,
            check=True,
            env=env,
            capture_output=True,
        )


def test_a_feature_release_cuts_both_in_order_and_publishes_both_once(mono: Repo) -> None:
    _change(mono, f"{FEATURES}/src/fs_features/__init__.py", "feat: a new feature transform")
    mono.push_all()
    released = mono.mlrelease("release")
    assert released.returncode == 0, released.stderr
    assert released.stdout.splitlines()[:2] == [
        "released fs-features 0.2.0: tag fs-features-v0.2.0",
        "released fs-model 0.1.1: tag fs-model-v0.1.1",
    ]
    head = mono.remote_git("rev-parse", "main")
    assert mono.remote_tag_commit("fs-features-v0.2.0") == head
    assert mono.remote_tag_commit("fs-model-v0.1.1") == head
    model = mono.remote_file("main", f"{MODEL}/pyproject.toml")
    assert 'version = "0.1.1"' in model
    assert '"fs-features>=0.2.0"' in model
    assert "0.2.0" in mono.remote_file("main", f"{FEATURES}/CHANGELOG.md")
    assert "a new feature transform" in mono.remote_file("main", f"{FEATURES}/CHANGELOG.md")

    _build(mono)
    first = mono.mlrelease("publish", "wheels")
    assert first.returncode == 0, first.stderr
    uploads = [line for line in first.stdout.splitlines() if "uploaded" in line]
    assert uploads == [
        "fs-features: uploaded  fs_features-0.2.0-py3-none-any.whl",
        "fs-model: uploaded  fs_model-0.1.1-py3-none-any.whl",
    ]
    feed = mono.path / ".mlrelease" / "feed" / "simple"
    assert (feed / "fs-model" / "fs_model-0.1.1-py3-none-any.whl").is_file()
    rerun = mono.mlrelease("publish", "wheels")
    assert rerun.returncode == 0, rerun.stderr
    assert "uploaded" not in rerun.stdout
    assert rerun.stdout.count("already published") == 2


def test_nothing_releasable_in_a_member_leaves_it_alone(mono: Repo) -> None:
    _change(mono, f"{MODEL}/src/fs_model/__init__.py", "fix: model only")
    mono.push_all()
    released = mono.mlrelease("release", "--json")
    assert released.returncode == 0, released.stderr
    assert json.loads(released.stdout)["tags"] == ["fs-model-v0.1.1"]
    assert mono.remote_tag_commit("fs-features-v0.1.1") == ""


def test_a_wheel_naming_a_sibling_without_a_bound_is_refused(mono: Repo) -> None:
    _member(mono.path, MODEL, "fs-model", ["fs-features"])
    mono.git("add", "-A")
    mono.git("commit", "-q", "-m", "fix: unpinned sibling")
    mono.git("tag", "-a", "fs-model-v0.1.1", "-m", "x")
    (mono.path / MODEL / "pyproject.toml").write_text(
        (mono.path / MODEL / "pyproject.toml").read_text().replace("0.1.0", "0.1.1")
    )
    subprocess.run(
        [_uv(), "build", "-q", "--wheel", "--out-dir", "dist", "."],
        cwd=mono.path / MODEL,
        check=True,
        capture_output=True,
    )
    result = mono.mlrelease("publish", "wheels")
    assert result.returncode != 0
    assert "names a sibling member without a version bound" in result.stderr
    assert "'fs-features'" in result.stderr
    assert "fs-features>=" in result.stderr  # the fix
    assert not (mono.path / ".mlrelease" / "feed").exists()


def test_a_cycle_a_nameless_member_and_a_missing_base_are_clear(mono: Repo) -> None:
    result = mono.mlrelease("affected", "--base", "origin/no-such-branch")
    assert result.returncode == 0
    assert "'origin/no-such-branch' is not in this clone" in result.stderr
    assert result.stdout.count("\n") == 2  # every member

    _member(mono.path, FEATURES, "fs-features", ["fs-model"])
    cycle = mono.mlrelease("matrix")
    assert cycle.returncode == 2
    assert "fs-features -> fs-model -> fs-features" in cycle.stderr
    assert "Traceback" not in cycle.stderr

    _member(mono.path, FEATURES, "fs-features", [])
    (mono.path / "packages" / "nameless").mkdir()
    (mono.path / "packages" / "nameless" / "pyproject.toml").write_text("[project]\n")
    nameless = mono.mlrelease("check")
    assert nameless.returncode == 2
    assert "packages/nameless/pyproject.toml" in nameless.stderr
    assert "project.name" in nameless.stderr


def test_the_release_workflow_path_one_artifact_split_by_member(mono: Repo, tmp_path: Path) -> None:
    """What release.yml does at a monorepo root: `release` names a tag (the later jobs run), the
    build gathers every member's files into one directory, `publish wheels --dist` splits it."""
    _change(mono, f"{FEATURES}/src/fs_features/__init__.py", "fix: a feature fix")
    mono.push_all()
    outputs = tmp_path / "github-output"
    released = mono.mlrelease("release", env={"GITHUB_OUTPUT": str(outputs)})
    assert released.returncode == 0, released.stderr
    lines = outputs.read_text().splitlines()
    assert "tag=fs-features-v0.1.1" in lines
    assert "version=0.1.1" in lines
    assert "tags=fs-features-v0.1.1 fs-model-v0.1.1" in lines
    assert "released=true" in lines
    _build(mono)
    from mlrelease.monorepo.members import load_workspace
    from mlrelease.monorepo.publish import gather_dist

    loaded = load_workspace(mono.path)
    assert loaded is not None
    gathered = sorted(p.name for p in gather_dist(*loaded))
    assert gathered == ["fs_features-0.1.1-py3-none-any.whl", "fs_model-0.1.1-py3-none-any.whl"]
    plan = json.loads(mono.mlrelease("plan", "--json", "--stage", "build").stdout)
    assert plan["config"]["build"]["outdir"] == "dist"
    assert plan["config"]["version"]["changelog"] == f"{FEATURES}/CHANGELOG.md"
    artifact = tmp_path / "artifact"
    (mono.path / "dist").rename(artifact)
    published = mono.mlrelease("publish", "wheels", "--dist", str(artifact), "--json")
    assert published.returncode == 0, published.stderr
    members = json.loads(published.stdout)["members"]
    assert [(m["member"], [f["action"] for f in m["files"]]) for m in members] == [
        ("fs-features", ["uploaded"]),
        ("fs-model", ["uploaded"]),
    ]
    rerun = mono.mlrelease("release", "--allow-noop", env={"GITHUB_OUTPUT": str(outputs)})
    assert rerun.returncode == 0, rerun.stderr
    assert outputs.read_text().splitlines()[-6:][0] == "released=false"
    assert "tag=fs-features-v0.1.1" in outputs.read_text().splitlines()[-6:]


def test_version_names_each_members_next_version_and_why(mono: Repo) -> None:
    _change(mono, f"{FEATURES}/src/fs_features/__init__.py", "feat: a new feature")
    result = mono.mlrelease("version")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("fs-features: 0.1.0 -> 0.2.0 (tag fs-features-v0.2.0; minor")
    assert lines[1].startswith("fs-model: 0.1.0 -> 0.1.1 (tag fs-model-v0.1.1; patch: depends on")
    plan = json.loads(mono.mlrelease("plan", "--json", "--stage", "release,wheels").stdout)
    releases = {m["member"]: m["plan"]["stages"]["release"] for m in plan["members"]}
    assert releases["fs-features"]["next-version"] == "0.2.0"
    assert releases["fs-model"]["next-version"] == "0.1.1"
    assert list(plan["members"][1]["plan"]["stages"]) == ["release", "wheels"]


def test_a_bad_root_key_is_named_once_at_the_root(mono: Repo) -> None:
    with (mono.path / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write("[tool.mlrelease.test]\ncoverage-min = 300\n")
    result = mono.mlrelease("plan")
    assert result.returncode == 2
    assert "tool.mlrelease.test.coverage-min" in result.stderr
    assert "packages/" not in result.stderr  # the root's mistake, not each member's


def test_a_bad_member_key_names_the_member(mono: Repo) -> None:
    with (mono.path / MODEL / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write("\n[tool.mlrelease.test]\ncoverage-mn = 90\n")
    result = mono.mlrelease("check")
    assert result.returncode == 2
    assert f"{MODEL}/pyproject.toml" in result.stderr
    assert "tool.mlrelease.test.coverage-mn" in result.stderr
    assert "coverage-min" in result.stderr  # did you mean


def test_a_release_is_refused_when_the_upstream_moved(mono: Repo, tmp_path: Path) -> None:
    other = mono.clone(tmp_path / "other")
    _change(other, "README.md" if (other.path / "README.md").exists() else ".gitignore", "docs: x")
    other.git("push", "-q", "origin", "main")
    _change(mono, f"{FEATURES}/src/fs_features/__init__.py", "feat: local")
    result = mono.mlrelease("release")
    assert result.returncode != 0
    assert "upstream moved" in result.stderr
    assert mono.git("tag", "--list", "fs-features-v0.2.0") == ""


def test_doctor_at_the_root_checks_every_member(mono: Repo) -> None:
    result = mono.mlrelease("doctor")
    assert "monorepo root: every member's table is valid (fs-features, fs-model)" in result.stdout
    assert "project.name" not in result.stdout + result.stderr
