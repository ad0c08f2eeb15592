"""Finding the members, merging their tables over the root's, and ordering them by dependency."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlrelease.errors import ConfigError
from mlrelease.monorepo.members import discover, load_member_project, merge_tables
from tests.unit.monorepo.workspace import member, root


def _three(tmp_path: Path) -> Path:
    root(tmp_path, ["packages/*"], "[tool.mlrelease.test]\ncoverage-min = 90\n")
    member(tmp_path, "packages/features", "fs-features")
    member(tmp_path, "packages/model", "fs-model", ["fs_features>=0.1"])
    member(tmp_path, "packages/api", "fs-api", ["fs-model", "requests"])
    return tmp_path


def test_members_are_found_by_glob_and_ordered_after_their_dependencies(tmp_path: Path) -> None:
    ws = discover(_three(tmp_path))
    assert ws is not None
    assert list(ws.members) == ["fs-features", "fs-model", "fs-api"]
    assert ws.members["fs-model"].requires == {"fs-features": "fs_features>=0.1"}
    assert ws.members["fs-api"].depends_on == ("fs-model",)  # requests is not a member
    assert ws.reverse_closure({"fs-features"}) == {"fs-features", "fs-model", "fs-api"}
    assert ws.reverse_closure({"fs-api"}) == {"fs-api"}


def test_uv_workspace_members_count_too(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.uv.workspace]\nmembers = ["libs/*"]\nexclude = ["libs/old"]\n', encoding="utf-8"
    )
    member(tmp_path, "libs/a", "a")
    member(tmp_path, "libs/old", "old")
    ws = discover(tmp_path)
    assert ws is not None
    assert list(ws.members) == ["a"]


def test_a_single_package_is_not_a_workspace(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n', encoding="utf-8")
    assert discover(tmp_path) is None


def test_a_member_inherits_the_root_table_and_overrides_it_table_by_table(tmp_path: Path) -> None:
    _three(tmp_path)
    member(
        tmp_path,
        "packages/model",
        "fs-model",
        ["fs-features"],
        '[tool.mlrelease.test]\nexclude-markers = ["gpu"]\n',
    )
    ws = discover(tmp_path)
    assert ws is not None
    model = load_member_project(ws, ws.members["fs-model"])
    assert model.config.test.coverage_min == 90  # the root's
    assert model.config.test.exclude_markers == ("gpu",)  # its own
    assert model.config.version.tag_format == "fs-model-v{version}"  # never inherited
    assert model.config.members == ()
    assert model.output_root == tmp_path.resolve()


def test_merge_replaces_values_and_merges_tables() -> None:
    base = {"test": {"coverage-min": 80, "paths": ["tests"]}, "python": ["3.11"]}
    over = {"test": {"paths": ["t"]}, "python": ["3.12"]}
    assert merge_tables(base, over) == {
        "test": {"coverage-min": 80, "paths": ["t"]},
        "python": ["3.12"],
    }


def test_a_cycle_is_named(tmp_path: Path) -> None:
    root(tmp_path, ["p/*"])
    member(tmp_path, "p/a", "a", ["b"])
    member(tmp_path, "p/b", "b", ["c"])
    member(tmp_path, "p/c", "c", ["a"])
    with pytest.raises(ConfigError) as exc:
        discover(tmp_path)
    text = exc.value.render()
    assert "a -> b -> c -> a" in text
    assert "p/a/pyproject.toml" in text


def test_a_member_without_a_name_is_named_by_its_file(tmp_path: Path) -> None:
    root(tmp_path, ["p/*"])
    member(tmp_path, "p/a", "a")
    member(tmp_path, "p/nameless", None)
    with pytest.raises(ConfigError) as exc:
        discover(tmp_path)
    text = exc.value.render()
    assert "p/nameless/pyproject.toml" in text
    assert "project.name" in text


def test_a_glob_matching_nothing_is_refused(tmp_path: Path) -> None:
    root(tmp_path, ["packages/*"])
    with pytest.raises(ConfigError, match="matches no directory"):
        discover(tmp_path)


def test_a_bad_key_in_a_member_names_the_member_and_the_key(tmp_path: Path) -> None:
    _three(tmp_path)
    member(tmp_path, "packages/api", "fs-api", [], "[tool.mlrelease.test]\ncoverage-min = 300\n")
    ws = discover(tmp_path)
    assert ws is not None
    with pytest.raises(ConfigError) as exc:
        load_member_project(ws, ws.members["fs-api"])
    text = exc.value.render()
    assert "packages/api/pyproject.toml" in text
    assert "test.coverage-min" in text


def test_a_glob_too_long_to_be_a_path_is_refused_before_any_file_access(tmp_path: Path) -> None:
    """Found by the config fuzz harness: the glob reached the file system, whose ENAMETOOLONG was
    a traceback."""
    root(tmp_path, ["a" * 300])
    with pytest.raises(ConfigError, match="is too long to be a path"):
        discover(tmp_path)
