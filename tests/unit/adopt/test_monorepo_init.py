"""``mlrelease init`` recognises a monorepo root and writes the root table naming the members."""

from __future__ import annotations

import sys
from pathlib import Path

from mlrelease.adopt.init import plan_init
from mlrelease.monorepo.members import discover
from tests.unit.monorepo.workspace import member

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def _root_table(tmp_path: Path) -> dict[str, object]:
    plan = plan_init(tmp_path)
    change = next(c for c in plan.changes if c.path == "pyproject.toml")
    table: dict[str, object] = tomllib.loads(change.new)["tool"]["mlrelease"]
    (tmp_path / "pyproject.toml").write_text(change.new, encoding="utf-8")
    return table


def test_several_packages_under_a_root_without_a_project_are_a_monorepo(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.ruff]\nline-length = 100\n", encoding="utf-8")
    member(tmp_path, "packages/features", "features")
    member(tmp_path, "packages/model", "model", ["features"])
    member(tmp_path, "services/api", "api")
    assert _root_table(tmp_path) == {"members": ["packages/*", "services/*"]}
    ws = discover(tmp_path)  # what init wrote is a workspace mlrelease reads
    assert ws is not None
    assert list(ws.members) == ["api", "features", "model"]


def test_a_uv_workspace_is_a_monorepo(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["libs/*"]\n', encoding="utf-8"
    )
    member(tmp_path, "libs/a", "a")
    plan = plan_init(tmp_path)
    assert plan.detected is None
    change = next(c for c in plan.changes if c.path == "pyproject.toml")
    assert "uv workspace" in change.new
    assert "mlrelease" in tomllib.loads(change.new)["tool"]


def test_a_single_package_with_an_example_project_is_not_a_monorepo(tmp_path: Path) -> None:
    member(tmp_path, ".", "pkg")
    member(tmp_path, "examples/demo", "demo")
    member(tmp_path, "examples/other", "other")
    plan = plan_init(tmp_path)
    assert plan.detected is not None
    assert plan.detected.name == "pkg"
