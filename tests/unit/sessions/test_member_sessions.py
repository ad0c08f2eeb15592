"""At a monorepo root, ``noxsessions.register()`` defines each member's sessions by name."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nox
import pytest

import noxsessions
from mlrelease.monorepo.members import discover
from noxsessions.members import _siblings
from tests.unit.monorepo.workspace import member, root


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    root(tmp_path, ["packages/*"], 'python = ["3.11", "3.12"]\n')
    member(tmp_path, "packages/features", "fs-features")
    member(tmp_path, "packages/model", "fs-model", ["fs-features>=0.1"])
    monkeypatch.setenv("PATH", os.environ.get("PATH", ""))  # register may prepend a uv shim
    before = nox.registry.get()
    nox.registry.reset()
    try:
        assert noxsessions.register(root=tmp_path) is None
        yield list(nox.registry.get())
    finally:
        nox.registry.reset()
        nox.registry._REGISTRY.update(before)


def test_each_member_gets_its_own_sessions(registered: list[str]) -> None:
    for key in ("fs-features", "fs-model"):
        assert {f"lint-{key}", f"tests-{key}", f"docs-{key}", f"build-{key}"} <= set(registered)
    assert {"release", "publish"} <= set(registered)
    # lint, docs and build at the root run every member's (what the reusable workflows call)
    assert {"lint", "docs", "build"} <= set(registered)


def test_a_member_installs_the_members_it_depends_on(tmp_path: Path) -> None:
    root(tmp_path, ["p/*"])
    member(tmp_path, "p/a", "a")
    member(tmp_path, "p/b", "b", ["a"])
    member(tmp_path, "p/c", "c", ["b"])
    ws = discover(tmp_path)
    assert ws is not None
    assert _siblings(ws, ws.members["c"]) == ["../a", "../b"]
    assert _siblings(ws, ws.members["a"]) == []
