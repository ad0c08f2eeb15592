"""Calendar-version tags and a declared version ahead of the tags, on real git repositories with a
bare remote: ``plan``, ``release --dry-run`` and the release agree, and the remote gets the tag.

The calendar year is HEAD's commit date, so each test dates its commits (GIT_COMMITTER_DATE).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.gitrepo import Branch, Repo, Tag, build_repo

pytestmark = pytest.mark.integration

SPRING_2025 = "2025-03-01T12:00:00+00:00"
SUMMER_2025 = "2025-06-01T12:00:00+00:00"
NEW_YEAR_2026 = "2026-01-05T12:00:00+00:00"


def ok(result: object) -> str:
    assert getattr(result, "returncode", None) == 0, (
        f"exit {getattr(result, 'returncode', None)}\n{getattr(result, 'stdout', '')}"
        f"{getattr(result, 'stderr', '')}"
    )
    return str(getattr(result, "stdout", ""))


def plan_text(repo: Repo) -> str:
    data = json.loads(ok(repo.mlrelease("plan", "--json", "--stage", "release")))
    return json.dumps(data["stages"]["release"])


def all_agree(repo: Repo, version: str, tag: str, branch: str = "main") -> str:
    """plan, release --dry-run and the release name ``version`` and ``tag``; returns plan's."""
    plan = plan_text(repo)
    assert f'"next-version": "{version}"' in plan, plan
    assert f'"tag": "{tag}"' in plan, plan
    dry = ok(repo.mlrelease("release", "--dry-run"))
    assert f"would release {version} (tag {tag})" in dry, dry
    ok(repo.mlrelease("release"))
    head = repo.remote_git("rev-parse", f"refs/heads/{branch}")
    assert repo.remote_tag_commit(tag) == head
    return plan


def commit_on(repo: Repo, monkeypatch: pytest.MonkeyPatch, when: str, message: str) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", when)
    repo.commit(message)


def calver_repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, **kwargs: object) -> Repo:
    monkeypatch.setenv("GIT_COMMITTER_DATE", SPRING_2025)
    steps = kwargs.pop("steps", [Tag("v2025.1.0")])
    return build_repo(tmp_path, steps, version="2025.1.0", **kwargs)  # type: ignore[arg-type]


# --- calendar versions -------------------------------------------------------------------------


def test_calver_fixes_alone_bump_the_last_number(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = calver_repo(tmp_path, monkeypatch)
    commit_on(repo, monkeypatch, SUMMER_2025, "fix: empty frames")
    plan = all_agree(repo, "2025.1.1", "v2025.1.1")
    assert "calendar version tags" in plan
    assert 'version = "2025.1.1"' in repo.remote_file("v2025.1.1", "pyproject.toml")


def test_calver_a_breaking_change_is_the_next_release_of_the_year_not_a_new_year(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = calver_repo(tmp_path, monkeypatch)
    commit_on(repo, monkeypatch, SUMMER_2025, "feat!: a new monitor API")
    all_agree(repo, "2025.2.0", "v2025.2.0")


def test_calver_the_first_release_of_a_year_starts_at_1(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = calver_repo(tmp_path, monkeypatch)
    commit_on(repo, monkeypatch, NEW_YEAR_2026, "fix: empty frames")
    all_agree(repo, "2026.1.0", "v2026.1.0")


def test_calver_zero_padded_tags_are_recognised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GIT_COMMITTER_DATE", SPRING_2025)
    repo = build_repo(tmp_path, ["feat: first", Tag("v2025.03.1")], version=None)
    commit_on(repo, monkeypatch, SUMMER_2025, "feat: drift score")
    all_agree(repo, "2025.4.0", "v2025.4.0")


def test_calver_prerelease_branch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = calver_repo(
        tmp_path,
        monkeypatch,
        steps=[Tag("v2025.1.0"), Branch("rc/next")],
        version_config='prerelease-branches = { "rc/*" = "rc" }\n',
    )
    commit_on(repo, monkeypatch, SUMMER_2025, "feat: streaming")
    all_agree(repo, "2025.2.0rc1", "v2025.2.0-rc.1", branch="rc/next")
    commit_on(repo, monkeypatch, SUMMER_2025, "fix: streaming crash")
    all_agree(repo, "2025.2.0rc2", "v2025.2.0-rc.2", branch="rc/next")


# --- a declared version ahead of the last tag --------------------------------------------------


def declared_repo(tmp_path: Path, declared: str, config: str = "") -> Repo:
    """v0.9.0 released, then the declared version set by hand to ``declared`` and committed."""
    repo = build_repo(tmp_path, [Tag("v0.9.0")], version="0.9.0", version_config=config)
    for path in (repo.path / "pyproject.toml", repo.path / "src/demo_pkg/__init__.py"):
        path.write_text(path.read_text().replace('"0.9.0"', f'"{declared}"'))
    repo.git("commit", "-q", "-am", f"chore: start {declared}")
    return repo


def test_a_declared_version_ahead_of_the_tag_is_the_next_release(tmp_path: Path) -> None:
    repo = declared_repo(tmp_path, "0.10.0")
    repo.commit("fix: empty frames")
    plan = all_agree(repo, "0.10.0", "v0.10.0")
    assert "the declared version 0.10.0 (pyproject.toml) is ahead of the last release" in plan
    assert "the commits alone make 0.9.1" in plan
    assert 'version = "0.10.0"' in repo.remote_file("v0.10.0", "pyproject.toml")
    assert "## [0.10.0]" in repo.remote_file("v0.10.0", "CHANGELOG.md")


def test_commits_that_ask_for_more_than_the_declared_version_win_and_say_so(
    tmp_path: Path,
) -> None:
    repo = declared_repo(tmp_path, "0.10.0", "major-on-zero = true\n")
    repo.commit("feat!: a new monitor API")
    plan = all_agree(repo, "1.0.0", "v1.0.0")
    assert "but the commits since make 1.0.0, which is higher" in plan


def test_a_declared_version_waits_for_a_releasable_commit(tmp_path: Path) -> None:
    repo = declared_repo(tmp_path, "0.10.0")
    repo.commit("docs: the guide")
    plan = plan_text(repo)
    assert '"next-version": null' in plan
    assert "released with the next feat/fix/perf commit" in plan
    assert "--as 0.10.0" in plan


def test_a_declared_version_without_a_tag_form_is_not_used_and_a_note_says_why(
    tmp_path: Path,
) -> None:
    repo = declared_repo(tmp_path, "0.10.0.dev0")
    repo.commit("fix: empty frames")
    plan = all_agree(repo, "0.9.1", "v0.9.1")
    assert "is not X.Y.Z" in plan
