"""What changed since a base: the changed members, their dependents, shared files, a missing base."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlrelease.monorepo.affected import affected, member_of
from mlrelease.monorepo.members import Workspace, discover
from tests.integration.gitrepo import git
from tests.unit.monorepo.workspace import member, root


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root(tmp_path, ["packages/*"])
    member(tmp_path, "packages/features", "features")
    member(tmp_path, "packages/model", "model", ["features"])
    member(tmp_path, "packages/other", "other")
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-q", "-m", "chore: start")
    git(tmp_path, "checkout", "-q", "-b", "topic")
    found = discover(tmp_path)
    assert found is not None
    return found


def _change(ws: Workspace, path: str) -> None:
    target = ws.root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    with target.open("a", encoding="utf-8") as fh:
        fh.write("# changed\n")
    git(ws.root, "add", "-A")
    git(ws.root, "commit", "-q", "-m", f"fix: {path}")


def test_a_change_to_the_model_affects_only_the_model(ws: Workspace) -> None:
    _change(ws, "packages/model/src/model/__init__.py")
    result = affected(ws, "main")
    assert result.members == ["model"]
    assert result.all_reason is None


def test_a_change_to_the_features_affects_their_dependents_too(ws: Workspace) -> None:
    _change(ws, "packages/features/src/features/__init__.py")
    result = affected(ws, "main")
    assert result.members == ["features", "model"]
    assert result.reasons["model"] == "depends on features"


def test_a_shared_root_file_affects_every_member(ws: Workspace) -> None:
    _change(ws, "uv.lock")
    result = affected(ws, "main")
    assert sorted(result.members) == ["features", "model", "other"]
    assert result.all_reason is not None
    assert "uv.lock" in result.all_reason


def test_a_file_outside_every_member_affects_none(ws: Workspace) -> None:
    _change(ws, "README.md")
    assert affected(ws, "main").members == []


def test_a_missing_base_affects_every_member_and_says_so(ws: Workspace) -> None:
    result = affected(ws, "origin/nope")
    assert sorted(result.members) == ["features", "model", "other"]
    assert result.all_reason is not None
    assert "'origin/nope' is not in this clone" in result.all_reason


def test_the_deepest_member_owns_a_path(ws: Workspace) -> None:
    assert member_of(ws, "packages/model/x.py") == "model"
    assert member_of(ws, "packages/modelx/x.py") is None
