"""mlrelease reads every commit message as python-semantic-release's own conventional parser does
(PSR imported here, in the test; mlrelease itself never imports it)."""

from __future__ import annotations

import pytest

from mlrelease.versioning import grammar
from mlrelease.versioning.versions import commit_units, parse_commit
from tests.unit.versioning.commit_corpus import MESSAGES


def _psr_reading(message: str) -> list[tuple[str, str | None, str | None] | None]:
    from semantic_release.commit_parser.conventional import ConventionalCommitParser
    from semantic_release.enums import LevelBump

    parser = ConventionalCommitParser()
    names = {LevelBump.MAJOR: "major", LevelBump.MINOR: "minor", LevelBump.PATCH: "patch"}
    readings: list[tuple[str, str | None, str | None] | None] = []
    for unit in parser.unsquash_commit_message(message) or [message]:
        parsed = parser.parse_message(unit)
        readings.append(
            None if parsed is None else (parsed.type, parsed.scope or None, names.get(parsed.bump))
        )
    return readings


@pytest.mark.parametrize("message", MESSAGES)
def test_each_message_reads_as_psr_reads_it(message: str) -> None:
    ours = [None if p is None else (p.type, p.scope, p.bump) for p in grammar.parse(message)]
    assert ours == _psr_reading(message)


def test_the_types_are_psrs_defaults() -> None:
    from semantic_release.commit_parser.conventional import ConventionalCommitParserOptions

    options = ConventionalCommitParserOptions()
    assert options.allowed_tags == grammar.TYPES
    assert options.minor_tags == grammar.MINOR_TYPES
    assert options.patch_tags == grammar.PATCH_TYPES


def test_a_squash_merge_counts_each_commit_it_holds() -> None:
    message = "docs: update the guide (#12)\n\n* feat(io): read parquet files\n\n* fix: empty frames crash"
    units = commit_units("a" * 40, message)
    assert [(c.type, c.bump) for c in units] == [
        ("docs", None),
        ("feat", "minor"),
        ("fix", "patch"),
    ]
    assert parse_commit("a" * 40, message).type == "docs"


def test_what_psr_ignores_is_not_a_release() -> None:
    for message in ("Feat: capitalised", "revert: feat: x", "fix:no space", "WIP"):
        commit = parse_commit("abc", message)
        assert (commit.type, commit.bump) == ("other", None)
