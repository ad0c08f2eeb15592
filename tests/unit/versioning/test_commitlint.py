"""``mlrelease lint-commits``: PR titles and commit ranges against the conventional types the
version computation counts (real git repositories, no mocks)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from mlrelease.cli.main import main
from mlrelease.versioning.commitlint import check_header, suggest
from tests.unit.versioning.commit_corpus import MESSAGES


@pytest.mark.parametrize(
    ("title", "bump"),
    [
        ("feat: add the drift report", "minor"),
        ("fix(io): handle empty frames", "patch"),
        ("perf: vectorise PSI", "patch"),
        ("feat(api)!: drop the v1 monitor", "major"),
        ("docs: explain windows", None),
        ("chore(deps): bump numpy", None),
        ("refactor: rename\n\nBREAKING CHANGE: the API moved", "major"),
        ("docs: guide (#3)\n\n* feat(io): read parquet files", "minor"),
    ],
)
def test_a_conventional_title_passes(
    title: str, bump: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint-commits", "--title", title]) == 0
    out = capsys.readouterr().out
    assert f"ok   PR title {title.partition(chr(10))[0]!r}" in out
    effect = f"a {bump} release" if bump else "no release"
    assert f"together they make {effect}" in out


@pytest.mark.parametrize(
    ("title", "says"),
    [
        (
            "feature: add the drift report",
            '"feature" is not a conventional type (did you mean "feat"?)',
        ),
        ("bugfix: empty frames", '"bugfix" is not a conventional type (did you mean "fix"?)'),
        ("Update the README", "not a conventional commit header"),
        ("fix:empty frames", "a space must follow the colon"),
        ("Feat: add it", 'write the type in lowercase ("feat", not "Feat")'),
        ("feat add it", 'did you mean "feat: ..."?'),
        ("feat(): add it", "the scope is empty"),
        ("revert: feat: add the drift report", '"revert" is not a type'),
    ],
)
def test_a_non_conventional_title_fails_and_says_why(
    title: str, says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint-commits", "--title", title]) == 1
    captured = capsys.readouterr()
    assert f"FAIL PR title {title!r}" in captured.out
    assert says in captured.out
    assert "would not release and would not appear in the changelog" in captured.out
    assert "1 of 1 header is not a conventional commit" in captured.err
    assert "Traceback" not in captured.err


@pytest.mark.parametrize("message", MESSAGES)
def test_lint_passes_what_psr_counts(message: str) -> None:
    """A header passes when python-semantic-release's own parser reads it as conventional, and the
    release it names is the one PSR computes from the whole message (PSR imported here only)."""
    from semantic_release.commit_parser.conventional import ConventionalCommitParser
    from semantic_release.enums import LevelBump

    parser = ConventionalCommitParser()
    header = message.strip().partition("\n")[0].strip()
    psr_header = parser.parse_message((parser.unsquash_commit_message(header) or [header])[0])
    units = [parser.parse_message(m) for m in parser.unsquash_commit_message(message) or [message]]
    level = max((u.bump for u in units if u is not None), default=LevelBump.NO_RELEASE)
    names = {LevelBump.MAJOR: "major", LevelBump.MINOR: "minor", LevelBump.PATCH: "patch"}
    checked = check_header("x", message)
    assert checked.ok == (psr_header is not None)
    if checked.ok:
        assert checked.bump == names.get(level)


def test_suggestions() -> None:
    assert suggest("documentation") == "docs"
    assert suggest("xyzzy") is None


GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def _git(root: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=root,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return proc.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "0.1.0"\n\n[tool.mlrelease]\n', encoding="utf-8"
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "feat: initial")
    _git(root, "tag", "-a", "v0.1.0", "-m", "0.1.0")
    for message in ("fix: a typo", "WIP", "feature: the report"):
        (root / "f.txt").write_text(message, encoding="utf-8")
        _git(root, "add", "f.txt")
        _git(root, "commit", "-q", "-m", message)
    return root


def test_a_range_names_each_commit_that_would_not_release(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["lint-commits", "-C", str(repo), "--range", "v0.1.0..HEAD", "--json"])
    assert code == 1
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] is False
    headers = [(c["header"], c["ok"]) for c in data["checked"]]
    assert headers == [("fix: a typo", True), ("WIP", False), ("feature: the report", False)]
    wip = data["checked"][1]
    assert wip["where"] == _git(repo, "rev-parse", "--short=8", "HEAD~1")
    assert "not a conventional commit header" in wip["problem"]


def test_without_arguments_the_commits_since_the_last_release_are_checked(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _git(repo, "reset", "-q", "--hard", "HEAD~2")  # only "fix: a typo" after v0.1.0
    assert main(["lint-commits", "-C", str(repo)]) == 0
    out = capsys.readouterr().out
    assert "checked 1 commit in v0.1.0..HEAD" in out
    assert "a patch release" in out


def test_a_missing_revision_is_a_clear_error(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lint-commits", "-C", str(repo), "--range", "nope..HEAD"]) == 1
    err = capsys.readouterr().err
    assert "git log nope..HEAD failed" in err
    assert "fetch-depth: 0" in err
    assert "Traceback" not in err
