"""Version spellings, tags, commit parsing, the changelog and the PSR mapping (no git, no PSR run)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mlrelease.errors import ConfigError
from mlrelease.project import Project, load_project
from mlrelease.versioning.changelog import HEADER, render_section, updated_text
from mlrelease.versioning.semrel import psr_config, refuse_own_psr_config
from mlrelease.versioning.stamping import stamp
from mlrelease.versioning.versions import (
    bump_between,
    format_tag,
    parse_commit,
    semver_of,
    version_of_tag,
    versions_equal,
)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("1.2.0-rc.1", "1.2.0rc1"),
        ("1.2.0-alpha.2", "1.2.0a2"),
        ("1.2.0-beta.3", "1.2.0b3"),
        ("v1.2.0", "1.2.0"),
        ("1.2", "1.2.0"),
    ],
)
def test_semver_and_pep440_spellings_are_equal(a: str, b: str) -> None:
    assert versions_equal(a, b)


def test_different_versions_are_not_equal() -> None:
    assert not versions_equal("1.2.0rc1", "1.2.0rc2")
    assert not versions_equal("1.2.0rc1", "1.2.0")
    assert not versions_equal("not-a-version", "1.0.0")


@given(
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 99),
    st.sampled_from([None, "a", "b", "rc"]),
    st.integers(0, 20),
)
def test_semver_round_trips_through_pep440(
    major: int, minor: int, patch: int, token: str | None, n: int
) -> None:
    pep440 = f"{major}.{minor}.{patch}" + (f"{token}{n}" if token else "")
    semver = semver_of(pep440)
    assert versions_equal(semver, pep440)
    tag = format_tag("pkg-v{version}", pep440)
    assert tag == f"pkg-v{semver}"
    assert version_of_tag("pkg-v{version}", tag) == pep440


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("1.0.0+cuda12", "local version"),
        ("1.0.0.post1", "must be X.Y.Z"),
        ("1.0", "must be X.Y.Z"),
        ("one", "not a valid version"),
    ],
)
def test_versions_without_a_tag_form_are_refused(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        semver_of(text)


def test_tags_that_do_not_match_the_format_are_not_releases() -> None:
    assert version_of_tag("v{version}", "v1.3.0-rc.2") == "1.3.0rc2"
    assert version_of_tag("v{version}", "1.3.0") is None
    assert version_of_tag("v{version}", "vnext") is None
    assert version_of_tag("pkg-v{version}", "other-v1.0.0") is None


def test_conventional_commit_parsing() -> None:
    c = parse_commit("abc", "feat(io)!: read parquet\n\nbody")
    assert (c.type, c.scope, c.subject, c.breaking, c.bump) == (
        "feat",
        "io",
        "read parquet",
        True,
        "major",
    )
    c = parse_commit("abc", "fix: crash\n\nBREAKING CHANGE: drops 3.9")
    assert c.breaking
    assert parse_commit("abc", "perf: faster").bump == "patch"
    assert parse_commit("abc", "docs: typo").bump is None
    assert parse_commit("abc", "Merge branch x").type == "other"


def test_bump_names() -> None:
    assert bump_between("0.1.0", "0.2.0") == "minor"
    assert bump_between("1.9.3", "2.0.0") == "major"
    assert bump_between("1.9.3", "1.9.4") == "patch"
    assert bump_between("1.9.3", "1.10.0rc1") == "prerelease"
    assert bump_between(None, "0.1.0") == "initial"


def test_changelog_is_keep_a_changelog_and_moves_unreleased_notes() -> None:
    commits = [
        parse_commit("1111111aaa", "feat: drift score"),
        parse_commit("2222222bbb", "fix(security): pin urllib3"),
        parse_commit("3333333ccc", "refactor!: rename Window"),
        parse_commit("4444444ddd", "chore: ci"),
    ]
    section = render_section("0.2.0", "2026-11-26", commits)
    assert section.startswith("## [0.2.0] - 2026-11-26\n")
    assert "### Added\n\n- drift score (1111111)" in section
    assert "### Security\n\n- **security:** pin urllib3 (2222222)" in section
    assert "### Changed\n\n- **Breaking:** rename Window (3333333)" in section
    assert "ci" not in section
    existing = HEADER + "\n- A note written by hand.\n\n## [0.1.0] - 2026-01-01\n\n- first\n"
    text = updated_text(existing, section)
    assert text.index("## [Unreleased]") < text.index("## [0.2.0]") < text.index("## [0.1.0]")
    assert (
        text.index("## [0.2.0]") < text.index("A note written by hand") < text.index("## [0.1.0]")
    )
    assert "\n\n\n" not in text


def _project(tmp_path: Path, extra: str = "") -> Project:
    (tmp_path / "pyproject.toml").write_text(
        textwrap.dedent(
            """\
            [project]
            name = "demo"
            version = "0.1.0"

            [tool.mlrelease.version]
            tag-format = "demo-v{version}"
            major-on-zero = true
            prerelease-branches = { "rc/*" = "rc" }
            """
        )
        + extra,
        encoding="utf-8",
    )
    return load_project(tmp_path)


def test_psr_config_is_derived_from_the_mlrelease_table(tmp_path: Path) -> None:
    project = _project(tmp_path)
    cfg = psr_config(project, branch="rc/1.3", prerelease=True, token="rc")["semantic_release"]
    assert cfg["tag_format"] == "demo-v{version}"
    assert cfg["allow_zero_version"] is True
    assert cfg["major_on_zero"] is True
    assert cfg["branches"] == {
        "mlrelease": {"match": "^rc/1\\.3$", "prerelease": True, "prerelease_token": "rc"}
    }
    assert not (tmp_path / "pyproject.toml").read_text().count("semantic_release")


def test_own_semantic_release_table_is_refused(tmp_path: Path) -> None:
    project = _project(tmp_path, '\n[tool.semantic_release]\nversion_toml = ["x"]\nfoo = 1\n')
    with pytest.raises(ConfigError) as info:
        refuse_own_psr_config(project)
    text = str(info.value)
    assert "pyproject.toml: tool.semantic_release" in text
    assert "version_toml -> stamp" in text
    assert "not needed with mlrelease: foo" in text


def test_stamp_keeps_formatting(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"  # the name\nversion = "0.1.0"\n', encoding="utf-8"
    )
    (tmp_path / "v.py").write_text("__version__: str = '0.1.0'\nother = '0.1.0'\n")
    stamp(tmp_path, "pyproject.toml", "project.version", "0.2.0rc1")
    stamp(tmp_path, "v.py", "__version__", "0.2.0rc1")
    assert (tmp_path / "pyproject.toml").read_text() == (
        '[project]\nname = "x"  # the name\nversion = "0.2.0rc1"\n'
    )
    assert (tmp_path / "v.py").read_text() == "__version__: str = '0.2.0rc1'\nother = '0.1.0'\n"


def test_plan_outside_a_git_repository_reports_why(tmp_path: Path) -> None:
    from mlrelease.versioning.release import plan_release
    from mlrelease.versioning.versions import release_version_at_head

    project = _project(tmp_path)
    data = plan_release(project)
    assert data["available"] is False
    assert data["summary"] == ["not a git repository: no version to compute"]
    assert release_version_at_head(project) is None
