"""Per-member bumps, and the requirement a dependent gets when its dependency is released."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlrelease.monorepo.versions import bumped, commit_bump, raise_requirements, raised_requirement
from mlrelease.versioning.versions import parse_commit


def _commits(*messages: str) -> list:  # type: ignore[type-arg]
    return [parse_commit(f"{i:040x}", m) for i, m in enumerate(messages)]


@pytest.mark.parametrize(
    ("messages", "current", "major_on_zero", "bump"),
    [
        (["docs: x", "chore: y"], "1.0.0", False, "none"),
        (["fix: x", "docs: y"], "1.0.0", False, "patch"),
        (["fix: x", "feat: y"], "1.0.0", False, "minor"),
        (["feat!: x"], "1.0.0", False, "major"),
        (["feat!: x"], "0.3.0", False, "minor"),  # 0.x stays 0.x
        (["feat!: x"], "0.3.0", True, "major"),
    ],
)
def test_the_largest_bump_wins(
    messages: list[str], current: str, major_on_zero: bool, bump: str
) -> None:
    assert commit_bump(_commits(*messages), current, major_on_zero) == bump


def test_bumped() -> None:
    assert bumped("0.1.0", "minor") == "0.2.0"
    assert bumped("0.1.9", "patch") == "0.1.10"
    assert bumped("1.2.3", "major") == "2.0.0"


def test_a_calendar_version_is_bumped_by_the_calendar() -> None:
    assert bumped("2025.1.3", "major", 2025) == "2025.2.0"
    assert bumped("2025.1.3", "patch", 2025) == "2025.1.4"
    assert bumped("2025.1.3", "patch", 2026) == "2026.1.0"


def test_a_raised_requirement_keeps_extras_and_markers() -> None:
    assert raised_requirement("fs-features", "0.2.0") == "fs-features>=0.2.0"
    assert raised_requirement("fs_features[io]>=0.1,<1", "0.2.0") == "fs_features[io]>=0.2.0"
    assert (
        raised_requirement("fs-features>=0.1; python_version >= '3.10'", "0.2.0")
        == "fs-features>=0.2.0 ; python_version >= '3.10'"
    )


def test_only_the_siblings_line_in_project_dependencies_changes(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    before = (
        '[project]\nname = "fs-model"\ndependencies = [\n  "numpy>=1.26",\n'
        '  "fs_features>=0.1.0",\n]\n\n[project.optional-dependencies]\n'
        'dev = ["fs-features"]\n'
    )
    pyproject.write_text(before, encoding="utf-8")
    raise_requirements(pyproject, {"fs-features": "fs_features>=0.2.0"})
    after = pyproject.read_text(encoding="utf-8")
    assert after == before.replace('"fs_features>=0.1.0"', '"fs_features>=0.2.0"')
