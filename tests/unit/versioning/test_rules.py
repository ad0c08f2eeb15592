"""The next-version rules as pure functions (the git-level agreement with PSR and the CLI is in
tests/integration/test_psr_equal.py and test_version_rules.py)."""

from __future__ import annotations

import pytest
from packaging.version import Version

from mlrelease.versioning import rules
from mlrelease.versioning.versions import is_calver, is_calver_tag


@pytest.mark.parametrize(
    ("version", "calver"),
    [
        ("2025.1.0", True),
        ("2025.03.1", True),
        ("2025.2.0rc1", True),
        ("2025.1", True),
        ("1.4.2", False),
        ("0.10.0", False),
        ("1999.1.0", False),
        ("2025.1.0.1", False),
        ("not-a-version", False),
    ],
)
def test_is_calver(version: str, calver: bool) -> None:
    assert is_calver(version) is calver


def test_is_calver_tag_reads_the_tag_format() -> None:
    assert is_calver_tag("v{version}", "v2025.03.1")
    assert not is_calver_tag("v{version}", "2025.03.1")
    assert not is_calver_tag("v{version}", "v1.2.3")
    assert is_calver_tag("pkg-{version}", "pkg-2025.1.0")


@pytest.mark.parametrize(
    ("last", "level", "year", "expected"),
    [
        ("2025.1.0", "patch", 2025, "2025.1.1"),
        ("2025.1.3", "minor", 2025, "2025.2.0"),
        ("2025.1.3", "major", 2025, "2025.2.0"),
        ("2025.4.2", "patch", 2026, "2026.1.0"),
        ("2025.4.2", "major", 2026, "2026.1.0"),
        ("2025.3.1", "patch", 2024, "2025.3.2"),  # a clock behind the tags stays in their year
        ("2025.1.0", "none", 2026, None),
    ],
)
def test_calver_next(last: str, level: str, year: int, expected: str | None) -> None:
    got = rules.calver_next(Version(last), Version(last), level, year, prerelease=False, token="rc")
    assert (str(got) if got else None) == expected


def test_calver_prereleases_count_up_on_the_same_release() -> None:
    full, rc1 = Version("2025.1.0"), Version("2025.2.0rc1")
    assert str(rules.calver_next(full, full, "minor", 2025, prerelease=True, token="rc")) == (
        "2025.2.0rc1"
    )
    assert str(rules.calver_next(rc1, full, "patch", 2025, prerelease=True, token="rc")) == (
        "2025.2.0rc2"
    )


def test_semver_tokens_are_compared_in_their_pep440_spelling() -> None:
    """An "alpha" branch finds its own a-tags again (mlrelease writes them as -a.N)."""
    latest, full = Version("1.3.0a1"), Version("1.2.0")
    got = rules.semver_next(
        latest, full, "patch", prerelease=True, token="alpha", major_on_zero=False
    )
    assert str(got) == "1.3.0a2"


@pytest.mark.parametrize(
    ("declared", "computed", "prerelease", "expected", "says"),
    [
        ("0.10.0", "0.9.1", False, "0.10.0", "it is the next version"),
        ("0.10.0", "1.0.0", False, "1.0.0", "which is higher"),
        ("0.10.0", None, False, None, "next feat/fix/perf commit"),
        ("0.10.0rc1", "0.9.1", False, "0.9.1", "is a prerelease"),
        ("0.10.0", "0.9.1rc1", True, "0.10.0rc1", "it is the next version"),
        ("0.10.0b1", "0.9.1rc1", True, "0.9.1rc1", "is a b prerelease"),
        ("0.10", "0.9.1", False, "0.9.1", "is not X.Y.Z"),
        ("0.10.0", "0.10.0", False, "0.10.0", ""),
    ],
)
def test_declared_next(
    declared: str, computed: str | None, prerelease: bool, expected: str | None, says: str
) -> None:
    got, note = rules.declared_next(
        Version(declared),
        Version(computed) if computed else None,
        prerelease=prerelease,
        token="rc",
        said="the declared version is ahead",
    )
    assert (str(got) if got else None) == expected
    assert says in note
    if says == "":
        assert note == ""


def test_a_declared_version_already_tagged_or_behind_is_not_ahead() -> None:
    history = {"v0.9.0": "0.9.0"}
    computed = Version("0.9.1")
    kw = {"prerelease": False, "token": "rc"}
    assert rules.declared_ahead("0.9.0", "pyproject.toml", history, {"0.9.0"}, computed, **kw) == (
        computed,
        "",
    )
    assert rules.declared_ahead("0.8.0", "pyproject.toml", history, {"0.9.0"}, computed, **kw) == (
        computed,
        "",
    )
    tagged_elsewhere = {"0.9.0", "0.10.0"}
    assert rules.declared_ahead(
        "0.10.0", "pyproject.toml", history, tagged_elsewhere, computed, **kw
    ) == (computed, "")
    got, note = rules.declared_ahead("0.10.0", "x.py", history, {"0.9.0"}, computed, **kw)
    assert str(got) == "0.10.0"
    assert "the declared version 0.10.0 (x.py) is ahead of the last release (v0.9.0)" in note
