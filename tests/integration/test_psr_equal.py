"""mlrelease's next version equals python-semantic-release's, on real git repositories.

mlrelease computes in-process (PSR's grammar and rule, ported); here real PSR 10 computes too, on
the same repository: its own ``next_version`` algorithm with its conventional parser (imported in
the test, never by mlrelease), and, for the settings mlrelease derives, its CLI. Every message of
the corpus is released after ``v1.0.0``; then histories: 0.x with and without major-on-zero, merge
commits, squash merges, reverts, prerelease branches and a prerelease merged into main.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import pytest

from mlrelease.project import load_project
from mlrelease.versioning import semrel
from mlrelease.versioning.versions import (
    compute_next_version,
    format_tag,
    normalize_version,
    release_tags,
)
from tests.integration.gitrepo import Branch, Repo, Step, Tag, git, pyproject
from tests.unit.versioning.commit_corpus import MESSAGES

pytestmark = pytest.mark.integration

CONFIG = 'prerelease-branches = { "rc/*" = "rc", "beta/*" = "b" }\n'


def make_repo(tmp_path: Path, steps: Sequence[Step], *, major_on_zero: bool = False) -> Repo:
    """A dynamic-version project (no declared version to weigh in), then ``steps``; no remote."""
    path = tmp_path / "work"
    git(tmp_path, "init", "-q", "-b", "main", str(path))
    config = CONFIG + ("major-on-zero = true\n" if major_on_zero else "")
    (path / "pyproject.toml").write_text(pyproject(None, config), encoding="utf-8")
    repo = Repo(path, tmp_path / "none.git")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "chore: initial project")
    repo.apply(steps)
    return repo


def ours(repo: Repo, *, prerelease: bool = False) -> str:
    nxt = compute_next_version(load_project(repo.path), prerelease=prerelease)
    return nxt.next_version or "nothing"


def psr(repo: Repo, *, prerelease: bool = False, major_on_zero: bool = False) -> str:
    """PSR's answer in mlrelease's terms: a PEP 440 version, or "nothing" when PSR gives back a
    version already tagged (or its 0.0.0 default)."""
    from git import Repo as GitRepo
    from semantic_release.commit_parser.conventional import ConventionalCommitParser
    from semantic_release.version.algorithm import next_version
    from semantic_release.version.translator import VersionTranslator

    branch = repo.git("branch", "--show-current")
    token = "b" if branch.startswith("beta/") else "rc"
    with GitRepo(repo.path) as git_repo:
        version = next_version(
            git_repo,
            VersionTranslator(tag_format="v{version}", prerelease_token=token),
            ConventionalCommitParser(),
            allow_zero_version=True,
            major_on_zero=major_on_zero,
            prerelease=prerelease or branch.startswith(("rc/", "beta/")),
        )
    return _as_ours(repo, str(version))


def _as_ours(repo: Repo, version: str) -> str:
    tagged = release_tags(repo.path, "v{version}").values()
    normal = normalize_version(version)
    return "nothing" if normal == "0.0.0" or normal in tagged else normal


@pytest.mark.parametrize("message", MESSAGES)
def test_each_corpus_message_releases_as_psr_releases_it(tmp_path: Path, message: str) -> None:
    repo = make_repo(tmp_path, ["feat: first", Tag("v1.0.0"), message])
    assert ours(repo) == psr(repo)


HISTORIES: dict[str, tuple[list[Step], bool]] = {
    "no tag, a feat": (["feat: the first detector"], False),
    "no tag, a fix": (["fix: the first bug"], False),
    "no tag, docs only": (["docs: the readme"], False),
    "0.x breaking stays 0.x": ([Tag("v0.3.1"), "feat!: a new API"], False),
    "0.x breaking with major-on-zero": ([Tag("v0.3.1"), "feat!: a new API"], True),
    "0.x footer breaking": ([Tag("v0.3.1"), "fix: x\n\nBREAKING CHANGE: y"], True),
    "scopes and a perf": ([Tag("v2.4.0"), "perf(io): faster reads", "fix(api): a bug"], False),
    "nothing since the tag": ([Tag("v2.4.0")], False),
    "chores since the tag": ([Tag("v2.4.0"), "chore: tidy", "ci: cache"], False),
    "a revert does not release": ([Tag("v2.4.0"), "revert: feat: the detector"], False),
    "git's revert message": ([Tag("v2.4.0"), 'Revert "feat: x"\n\nThis reverts 1234.'], False),
    "squash merge holding a feat": (
        [Tag("v2.4.0"), "docs: the guide (#3)\n\n* feat(io): read parquet files"],
        False,
    ),
    "tags of another format are ignored": (
        ["feat: one", Tag("release-7"), Tag("v1.0.0-junk"), "fix: two"],
        False,
    ),
    "a prerelease branch: rc.1": ([Tag("v1.2.0"), Branch("rc/1.3"), "feat: streaming"], False),
    "a prerelease branch: rc.2 after rc.1": (
        [Tag("v1.2.0"), Branch("rc/1.3"), "feat: streaming", Tag("v1.3.0-rc.1"), "fix: a"],
        False,
    ),
    "a prerelease branch: a breaking change after rc.1": (
        [Tag("v1.2.0"), Branch("rc/1.3"), "feat: streaming", Tag("v1.3.0-rc.1"), "feat!: b"],
        False,
    ),
    "a prerelease branch: nothing new since rc.1": (
        [Tag("v1.2.0"), Branch("rc/1.3"), "feat: streaming", Tag("v1.3.0-rc.1"), "docs: x"],
        False,
    ),
    "a beta branch after an rc tag": (
        [Tag("v1.2.0"), Branch("beta/1.3"), "feat: s", Tag("v1.3.0-rc.1"), "fix: a"],
        False,
    ),
    "a v0.0.0 tag counts nothing as released": (
        ["perf: vectorise", Tag("v0.0.0"), Branch("beta/next"), "style: black"],
        False,
    ),
    "0.x prerelease": ([Tag("v0.3.0"), Branch("rc/0.4"), "feat!: streaming"], False),
}


@pytest.mark.parametrize("name", list(HISTORIES))
def test_histories_release_as_psr_releases_them(tmp_path: Path, name: str) -> None:
    steps, major_on_zero = HISTORIES[name]
    repo = make_repo(tmp_path, steps, major_on_zero=major_on_zero)
    assert ours(repo) == psr(repo, major_on_zero=major_on_zero)


def test_merge_commits_do_not_count_but_the_merged_commits_do(tmp_path: Path) -> None:
    repo = make_repo(tmp_path, [Tag("v1.0.0"), Branch("feature/x"), "fix: a crash", "docs: y"])
    repo.git("checkout", "-q", "main")
    (repo.path / "MAIN.txt").write_text("meanwhile\n", encoding="utf-8")
    repo.git("add", "MAIN.txt")
    repo.git("commit", "-q", "-m", "chore: meanwhile on main")
    repo.git("merge", "--no-ff", "-q", "-m", "feat!: a merge commit says breaking", "feature/x")
    assert ours(repo) == psr(repo) == "1.0.1"


def test_a_prerelease_merged_into_main_is_finalised(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path, [Tag("v1.2.0"), Branch("rc/1.3"), "feat: streaming", Tag("v1.3.0-rc.1")]
    )
    repo.git("checkout", "-q", "main")
    repo.git("merge", "--no-ff", "-q", "-m", "Merge branch 'rc/1.3'", "rc/1.3")
    assert ours(repo) == psr(repo) == "1.3.0"
    assert ours(repo, prerelease=True) == psr(repo, prerelease=True) == "nothing"


def test_psr_cli_with_the_derived_settings_agrees(tmp_path: Path) -> None:
    """The PSR CLI, run with the settings mlrelease derives from [tool.mlrelease.version]."""
    repo = make_repo(
        tmp_path, [Tag("v0.3.1"), "feat!: new API", Branch("rc/0.4"), "fix: a"], major_on_zero=True
    )
    project = load_project(repo.path)
    cli = semrel.next_version(project, branch="rc/0.4", prerelease=True, token="rc")
    assert ours(repo) == _as_ours(repo, cli) == "1.0.0rc1"


@pytest.mark.parametrize("seed", range(6))
def test_random_histories_release_as_psr_releases_them(tmp_path: Path, seed: int) -> None:
    """A seeded walk: commits from the corpus, releases tagged at mlrelease's answer, prerelease
    branches and merges back into main; after every step both compute, on main both ways."""
    rng = random.Random(seed)
    major_on_zero = rng.random() < 0.3
    start: list[Step] = [rng.choice(MESSAGES), Tag(f"v{rng.randint(0, 1)}.{rng.randint(0, 2)}.0")]
    repo = make_repo(tmp_path, start, major_on_zero=major_on_zero)
    walk: list[str] = []
    for _ in range(5):
        branch = repo.git("branch", "--show-current")
        step = rng.choice(["commit", "commit", "release", "branch", "merge"])
        if step == "commit":
            repo.commit(rng.choice(MESSAGES))
        elif step == "release" and (version := ours(repo)) != "nothing":
            repo.git("tag", format_tag("v{version}", version))
        elif step == "branch" and branch == "main":
            repo.git("checkout", "-q", "-B", rng.choice(["rc/next", "beta/next"]))
        elif step == "merge" and branch != "main":
            repo.git("checkout", "-q", "main")
            repo.git("merge", "--no-ff", "-q", "-X", "theirs", "-m", "Merge", branch)
        walk.append(step)
        on_main = repo.git("branch", "--show-current") == "main"
        for pre in (False, True) if on_main else (False,):
            assert ours(repo, prerelease=pre) == psr(
                repo, prerelease=pre, major_on_zero=major_on_zero
            ), (walk, pre)
