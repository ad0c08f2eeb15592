"""A monorepo root's release runs exactly the steps its dry run described, in order: raise a
requirement, stamp and changelog each member, one commit, the tags, one atomic push."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gitrepo import Repo
from tests.integration.test_monorepo import FEATURES, MODEL, _change, mono  # noqa: F401
from tests.integration.test_release_plan import _changes, _logging_git, _numbered

pytestmark = pytest.mark.integration


def _ok(repo: Repo, *args: str, env: dict[str, str] | None = None) -> tuple[str, str]:
    result = repo.mlrelease(*args, **({"env": env} if env else {}))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout, result.stderr


def _expected_git(step: dict[str, Any]) -> list[str]:
    if step["kind"] == "commit":
        return [f"add -- {' '.join(step['files'])}", f"commit --quiet -m {step['message']}"]
    if step["kind"] == "tag":
        return [f"tag -a {t} -m {m}" for t, m in zip(step["tags"], step["messages"], strict=True)]
    if step["kind"] == "push":
        refs = " ".join(f"refs/tags/{t}" for t in step["tags"])
        return [f"push --atomic --porcelain origin HEAD:refs/heads/{step['branch']} {refs}"]
    return []  # raise-requirement, release-member: files only


def test_the_workspace_release_runs_exactly_the_steps_the_dry_run_described(
    mono: Repo,  # noqa: F811
    tmp_path: Path,
) -> None:
    _change(mono, f"{FEATURES}/src/fs_features/__init__.py", "feat: a new feature transform")
    mono.push_all()
    before = mono.git("rev-parse", "HEAD")
    text, _ = _ok(mono, "release", "--dry-run")
    dry = json.loads(_ok(mono, "release", "--dry-run", "--json")[0])
    assert _numbered(text) == dry["steps"] == [s["text"] for s in dry["step-details"]]
    assert [s["kind"] for s in dry["step-details"]] == [
        "release-member",
        "raise-requirement",
        "release-member",
        "commit",
        "tag",
        "push",
    ]
    assert dry["steps"][1] == "raise fs-model's requirement on fs-features to 'fs-features>=0.2.0'"
    assert mono.git("rev-parse", "HEAD") == before

    env, log = _logging_git(tmp_path / "bin")
    out, err = _ok(mono, "release", "--json", env=env)
    done = json.loads(out)
    assert done["step-details"] == dry["step-details"]
    assert done["pushed"] is True

    # The members are released in the described order; the commit holds exactly their files.
    members = [s for s in done["step-details"] if s["kind"] == "release-member"]
    progress = [line for line in err.splitlines() if ": releasing " in line]
    assert progress == [f"{s['member']}: releasing {s['version']}" for s in members]
    commit = next(s for s in done["step-details"] if s["kind"] == "commit")
    changed = mono.git("diff", "--name-only", before, done["commit"]).splitlines()
    assert sorted(changed) == commit["files"]
    model = mono.git("show", f"{done['commit']}:{MODEL}/pyproject.toml")
    assert '"fs-features>=0.2.0"' in model
    assert 'version = "0.1.1"' in model

    # The git commands that change anything: the upstream check, then the steps' own, in order.
    changing = [line for line in log.read_text(encoding="utf-8").splitlines() if _changes(line)]
    steps = [c for s in done["step-details"] for c in _expected_git(s)]
    assert changing == ["fetch --quiet --tags origin", *steps]
    for tag in next(s for s in done["step-details"] if s["kind"] == "tag")["tags"]:
        assert mono.remote_tag_commit(tag) == done["commit"]


def test_a_rejected_workspace_push_undoes_every_step_it_ran(
    mono: Repo,  # noqa: F811
    tmp_path: Path,
) -> None:
    """A colleague pushes from another clone while the release runs (from the pre-push hook): the
    push step fails, and the commit, the tags and every file the member steps wrote go back."""
    _change(mono, f"{FEATURES}/src/fs_features/__init__.py", "feat: a new feature transform")
    mono.push_all()
    other = mono.clone(tmp_path / "other")
    hook = mono.path / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{other.path}' && git commit -q --allow-empty -m 'fix: concurrent' "
        "&& git push -q origin main\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    before = mono.git("rev-parse", "HEAD")
    files = {p: (mono.path / p).read_bytes() for p in (f"{MODEL}/pyproject.toml",)}
    result = mono.mlrelease("release")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "nothing was pushed" in result.stderr
    assert "Traceback" not in result.stderr
    assert mono.git("rev-parse", "HEAD") == before
    assert mono.git("tag", "--list", "fs-*-v0.2.0", "fs-*-v0.1.1") == ""
    assert mono.git("status", "--porcelain") == ""
    for path, data in files.items():
        assert (mono.path / path).read_bytes() == data
    assert mono.remote_tag_commit("fs-features-v0.2.0") == ""
