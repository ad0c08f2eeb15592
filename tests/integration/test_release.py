"""`mlrelease version` / `mlrelease release` on real git repositories with a local bare remote.

Every release test looks at the remote afterwards: the tag exists, points at the release commit
(the head of the remote branch), and the changelog in that commit lists the commits.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.gitrepo import Branch, Repo, Tag, build_repo, git

pytestmark = pytest.mark.integration

RC_CONFIG = """\
prerelease-branches = { "rc/*" = "rc" }
"""


def released(repo: Repo, tag: str, branch: str = "main") -> str:
    """Assert the remote holds ``tag`` on the head of ``branch``; return that commit."""
    head = repo.remote_git("rev-parse", f"refs/heads/{branch}")
    assert repo.remote_tag_commit(tag) == head, f"{tag} is not on the remote head of {branch}"
    assert repo.remote_git("log", "-1", "--format=%s", head).startswith("chore(release): ")
    return head


def ok(result: object) -> str:
    assert getattr(result, "returncode", None) == 0, (
        f"exit {getattr(result, 'returncode', None)}\n{getattr(result, 'stdout', '')}"
        f"{getattr(result, 'stderr', '')}"
    )
    return str(getattr(result, "stdout", ""))


def refused(result: object, *fragments: str, code: int = 1) -> str:
    stderr = str(getattr(result, "stderr", ""))
    assert getattr(result, "returncode", None) == code, stderr + str(getattr(result, "stdout", ""))
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in stderr, f"{fragment!r} not in:\n{stderr}"
    return stderr


# --- the bump rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("steps", "config", "expected", "bump"),
    [
        (["fix: handle empty frames"], "", "0.1.1", "patch"),
        (["feat: add drift score", "fix: typo"], "", "0.2.0", "minor"),
        # 0.x policy: a breaking change stays in 0.x unless major-on-zero is set ...
        (["feat!: new window API"], "", "0.2.0", "minor"),
        (["feat!: new window API"], "major-on-zero = true\n", "1.0.0", "major"),
        # ... and after 1.0 a breaking change is a major release.
        ([Tag("v1.4.2"), "fix: x\n\nBREAKING CHANGE: drops py3.9"], "", "2.0.0", "major"),
    ],
)
def test_version_follows_conventional_commits(
    tmp_path: Path, steps: list[object], config: str, expected: str, bump: str
) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), *steps], version_config=config)  # type: ignore[list-item]
    data = json.loads(ok(repo.mlrelease("version", "--json")))
    assert data["next-version"] == expected
    assert data["bump"] == bump
    assert data["tag"] == f"v{expected}"
    decided = [
        c["subject"] for k in ("breaking", "feat", "fix") for c in data["commits"].get(k, [])
    ]
    assert decided, data


def test_version_text_explains_the_commits(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "feat: add drift score", "docs: explain"])
    out = ok(repo.mlrelease("version"))
    assert "next version: 0.2.0 (tag v0.2.0, minor bump from 0.1.0)" in out
    assert "add drift score" in out
    assert "docs (1), no version change" in out


def test_plan_includes_the_next_version(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: crash"])
    plan = json.loads(ok(repo.mlrelease("plan", "--json", "--stage", "release")))
    stage = plan["stages"]["release"]
    assert stage["next-version"] == "0.1.1"
    assert stage["current-version"] == "0.1.0"
    assert any("next version: 0.1.1" in line for line in stage["summary"])


# --- releases, checked on the remote -----------------------------------------------------------


def test_release_stamps_tags_and_pushes(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "feat: add drift score", "fix(io): read parquet"])
    dry = ok(repo.mlrelease("release", "--dry-run"))
    assert "would release 0.2.0 (tag v0.2.0)" in dry
    assert "push atomically" in dry
    assert repo.remote_tag_commit("v0.2.0") == ""
    assert repo.git("status", "--porcelain") == ""

    out = ok(repo.mlrelease("release"))
    assert "released 0.2.0: tag v0.2.0" in out
    head = released(repo, "v0.2.0")
    changelog = repo.remote_file(head, "CHANGELOG.md")
    assert "## [0.2.0] - " in changelog
    assert "### Added\n\n- add drift score" in changelog
    assert "### Fixed\n\n- **io:** read parquet" in changelog
    assert 'version = "0.2.0"' in repo.remote_file(head, "pyproject.toml")
    assert '__version__ = "0.2.0"' in repo.remote_file(head, "src/demo_pkg/__init__.py")

    # Nothing new: an explicit release refuses, --allow-noop exits 0, HEAD keeps its tag.
    refused(repo.mlrelease("release"), "nothing to release", "since v0.2.0", "--allow-noop")
    assert "nothing to release" in ok(repo.mlrelease("release", "--allow-noop"))
    assert repo.git("tag", "--points-at", "HEAD") == "v0.2.0"


def test_prerelease_branch_counts_rc1_then_rc2(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path,
        [Tag("v1.2.0"), Branch("rc/1.3"), "feat: streaming detector"],
        version="1.2.0",
        version_config=RC_CONFIG,
    )
    ok(repo.mlrelease("release"))
    head = released(repo, "v1.3.0-rc.1", branch="rc/1.3")
    assert 'version = "1.3.0rc1"' in repo.remote_file(head, "pyproject.toml")
    assert "## [1.3.0rc1]" in repo.remote_file(head, "CHANGELOG.md")

    repo.commit("fix: window off by one")
    data = json.loads(ok(repo.mlrelease("release", "--json")))
    assert data["next-version"] == "1.3.0rc2"
    head = released(repo, "v1.3.0-rc.2", branch="rc/1.3")
    changelog = repo.remote_file(head, "CHANGELOG.md")
    assert "- window off by one" in changelog
    assert changelog.index("[1.3.0rc2]") < changelog.index("[1.3.0rc1]")
    # The prerelease tag verifies against the PEP 440 version in pyproject.
    assert "matches" in ok(repo.mlrelease("release", "--verify-tag"))


def test_prerelease_flag_on_a_release_branch(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v1.2.0"), "feat: x"], version="1.2.0")
    data = json.loads(ok(repo.mlrelease("release", "--prerelease", "--no-push", "--json")))
    assert data["next-version"] == "1.3.0rc1"
    assert repo.git("tag", "--points-at", "HEAD") == "v1.3.0-rc.1"
    assert repo.remote_tag_commit("v1.3.0-rc.1") == ""  # --no-push


def test_explicit_version(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.4.0"), "docs: only docs"], version="0.4.0")
    refused(
        repo.mlrelease("release", "--as", "0.3.9"), "must be greater than the last release 0.4.0"
    )
    # A version that cannot be released at all is a usage error (exit 2), caught by the parser.
    refused(
        repo.mlrelease("release", "--as", "1.0.0+cuda12"), "local version", "feeds reject", code=2
    )
    refused(repo.mlrelease("release", "--as", "one"), "not a valid version", code=2)
    ok(repo.mlrelease("release", "--as", "1.0.0"))
    head = released(repo, "v1.0.0")
    assert 'version = "1.0.0"' in repo.remote_file(head, "pyproject.toml")
    assert "## [1.0.0]" in repo.remote_file(head, "CHANGELOG.md")


def test_dynamic_version_is_not_stamped(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: y"], version=None)
    ok(repo.mlrelease("release"))
    head = released(repo, "v0.1.1")
    assert "dynamic" in repo.remote_file(head, "pyproject.toml")
    assert "- y" in repo.remote_file(head, "CHANGELOG.md")
    assert "the tag itself" in ok(repo.mlrelease("release", "--verify-tag"))


# --- the tag-driven flow -----------------------------------------------------------------------


def test_verify_tag_match_and_mismatch(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0")])
    out = ok(repo.mlrelease("release", "--verify-tag"))
    assert "tag v0.1.0 matches" in out

    repo.commit("fix: z")
    refused(repo.mlrelease("release", "--verify-tag"), "no tag points at HEAD")
    repo.git("tag", "v0.1.1")  # a release manager tags without bumping pyproject
    refused(
        repo.mlrelease("release", "--verify-tag"),
        "tag v0.1.1 says 0.1.1 but pyproject.toml project.version is 0.1.0",
    )
    # On GitHub Actions the pushed tag is the one checked, even with others at HEAD.
    refused(
        repo.mlrelease(
            "release", "--verify-tag", env={"GITHUB_REF_TYPE": "tag", "GITHUB_REF_NAME": "0.1.1"}
        ),
        "tag 0.1.1 does not match tag-format 'v{version}'",
    )


# --- refusals ----------------------------------------------------------------------------------


def test_refuses_dirty_tree(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    with (repo.path / "src" / "demo_pkg" / "__init__.py").open("a", encoding="utf-8") as fh:
        fh.write("DEBUG = True\n")
    refused(
        repo.mlrelease("release"), "uncommitted changes (src/demo_pkg/__init__.py)", "git stash"
    )
    assert repo.remote_tag_commit("v0.1.1") == ""


def test_refuses_detached_head_and_wrong_branch(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a", Branch("feature/x"), "feat: b"])
    refused(repo.mlrelease("release"), "branch 'feature/x' is not a release or prerelease branch")
    # `version` still previews what a release would be, and says it would be refused.
    data = json.loads(ok(repo.mlrelease("version", "--json")))
    assert data["next-version"] == "0.2.0"
    assert "refuses here" in data["notes"][0]
    repo.git("checkout", "-q", "--detach", "HEAD")
    refused(repo.mlrelease("release"), "HEAD is detached", "git checkout main")
    refused(repo.mlrelease("version"), "HEAD is detached")


def test_refuses_shallow_clone(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path,
        [Tag("v0.1.0"), "fix: a", "fix: b"],
    )
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{repo.remote}", str(shallow))
    clone = Repo(shallow, repo.remote)
    refused(
        clone.mlrelease("release"),
        "this clone is shallow",
        "git fetch --unshallow --tags",
        "fetch-depth: 0",
    )
    refused(clone.mlrelease("version"), "this clone is shallow", "git fetch --unshallow")


def test_refuses_when_the_upstream_moved_before_computing(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    other = repo.clone(tmp_path / "other")
    other.commit("fix: pushed by a colleague")
    other.git("push", "-q", "origin", "main")
    refused(repo.mlrelease("release"), "origin/main has commits that this clone does not have")
    assert repo.remote_tag_commit("v0.1.1") == ""


def test_upstream_moved_between_computing_and_pushing(tmp_path: Path) -> None:
    """A second clone pushes after the version was computed (from this clone's pre-push hook):
    nothing is pushed, no tag reaches the remote, and the local commit and tag are undone."""
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    other = repo.clone(tmp_path / "other")
    before = repo.git("rev-parse", "HEAD")
    hook = repo.path / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{other.path}' && git commit -q --allow-empty -m 'fix: concurrent' "
        "&& git push -q origin main\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    stderr = refused(repo.mlrelease("release"), "the upstream moved", "pull and rerun")
    assert "nothing was pushed" in stderr
    assert repo.remote_tag_commit("v0.1.1") == ""
    assert repo.remote_git("log", "-1", "--format=%s", "main") == "fix: concurrent"
    assert repo.git("rev-parse", "HEAD") == before
    assert repo.git("tag", "--list", "v0.1.1") == ""
    assert repo.git("status", "--porcelain") == ""


def test_refuses_own_semantic_release_table(tmp_path: Path) -> None:
    repo = build_repo(
        tmp_path,
        [Tag("v0.1.0"), "fix: a"],
        extra='\n[tool.semantic_release]\ntag_format = "v{version}"\nmajor_on_zero = false\n',
    )
    stderr = refused(repo.mlrelease("release"), "tool.semantic_release", code=2)
    assert "tag_format -> tag-format" in stderr
    assert "major_on_zero -> major-on-zero" in stderr


# --- a failed release never changes a user's file; CI releases the commit it tested -------------

USER_CHANGELOG = b"# My own notes\n\nhand-written, never committed \xe2\x9c\x8d\n"


def test_an_untracked_changelog_is_refused_up_front_and_left_byte_identical(
    tmp_path: Path,
) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    changelog = repo.path / "CHANGELOG.md"
    changelog.write_bytes(USER_CHANGELOG)
    stderr = refused(repo.mlrelease("release"), "CHANGELOG.md exists but is not tracked by git")
    assert "git add CHANGELOG.md && git commit" in stderr
    assert changelog.read_bytes() == USER_CHANGELOG
    assert repo.remote_tag_commit("v0.1.1") == ""
    assert repo.git("tag", "--list", "v0.1.1") == ""
    # An ignored changelog too: the hint says how to add it anyway.
    (repo.path / ".git" / "info" / "exclude").write_text("CHANGELOG.md\n", encoding="utf-8")
    refused(repo.mlrelease("release"), "CHANGELOG.md exists but is ignored by git", "git add -f")
    assert changelog.read_bytes() == USER_CHANGELOG


def test_a_rejected_push_restores_every_file_and_keeps_untracked_ones(tmp_path: Path) -> None:
    """The push is rejected (a colleague pushed meanwhile): the rollback puts back the changelog
    and the stamped files, and never touches an untracked or ignored file."""
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    (repo.path / "CHANGELOG.md").write_bytes(USER_CHANGELOG)
    repo.git("add", "CHANGELOG.md")
    repo.git("commit", "-q", "-m", "docs: changelog")
    repo.git("push", "-q", "origin", "main")
    notes = repo.path / "notes.txt"  # untracked
    notes.write_bytes(b"draft \x00 binary-ish\n")
    (repo.path / ".git" / "info" / "exclude").write_text("*.local\n", encoding="utf-8")
    secret = repo.path / "settings.local"  # ignored
    secret.write_bytes(b"user=me\n")
    tracked = {
        p: (repo.path / p).read_bytes()
        for p in ("CHANGELOG.md", "pyproject.toml", "src/demo_pkg/__init__.py")
    }
    other = repo.clone(tmp_path / "other")
    hook = repo.path / ".git" / "hooks" / "pre-push"
    hook.write_text(
        "#!/bin/sh\n"
        "unset GIT_DIR GIT_WORK_TREE GIT_INDEX_FILE\n"
        f"cd '{other.path}' && git commit -q --allow-empty -m 'fix: concurrent' "
        "&& git push -q origin main\n",
        encoding="utf-8",
    )
    hook.chmod(0o755)
    before = repo.git("rev-parse", "HEAD")
    refused(repo.mlrelease("release"), "the upstream moved", "nothing was pushed")
    assert notes.read_bytes() == b"draft \x00 binary-ish\n"
    assert secret.read_bytes() == b"user=me\n"
    for path, data in tracked.items():
        assert (repo.path / path).read_bytes() == data, path
    assert repo.git("rev-parse", "HEAD") == before
    assert repo.git("tag", "--list", "v0.1.1") == ""
    assert repo.git("status", "--porcelain") == "?? notes.txt"
    assert repo.remote_tag_commit("v0.1.1") == ""


def test_expect_sha_releases_the_tested_commit_and_refuses_a_moved_tip(tmp_path: Path) -> None:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    tested = repo.git("rev-parse", "HEAD")
    # Another clone pushes a commit after CI tested `tested`; the release job checks out the tip.
    other = repo.clone(tmp_path / "other")
    other.commit("feat: untested")
    other.git("push", "-q", "origin", "main")
    repo.git("pull", "-q", "--ff-only", "origin", "main")
    stderr = refused(
        repo.mlrelease("release", "--expect-sha", tested),
        f"the branch moved since CI tested {tested[:12]}",
        "nothing was changed",
    )
    assert "Traceback" not in stderr
    assert repo.remote_tag_commit("v0.1.1") == ""
    assert repo.remote_tag_commit("v0.2.0") == ""
    assert repo.git("tag", "--list", "v0.*") == "v0.1.0"
    # The same through the environment (what release.yml sets from github.sha).
    refused(
        repo.mlrelease("release", env={"MLRELEASE_EXPECT_SHA": tested}),
        "the branch moved since CI tested",
    )
    refused(repo.mlrelease("release", "--expect-sha=--upload-pack=x"), "is not a commit SHA")
    # The run for the new tip releases it; a rerun of that run (same github.sha, now under the
    # release commit) releases nothing and succeeds.
    tip = repo.git("rev-parse", "HEAD")
    ok(repo.mlrelease("release", "--expect-sha", tip))
    head = released(repo, "v0.2.0")
    assert repo.git("rev-parse", "HEAD^") == tip
    out = ok(repo.mlrelease("release", "--allow-noop", "--expect-sha", tip))
    assert "v0.2.0" in out or "nothing to release" in out
    assert repo.remote_git("rev-parse", "main") == head


def test_the_rollback_restores_a_changelog_written_between_plan_and_release(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file appears after the up-front check (plan, then execute); the push is rejected: the
    rollback puts back the user's bytes (a `git reset --hard` deleted the file)."""
    from mlrelease.errors import ReleaseError
    from mlrelease.project import load_project
    from mlrelease.versioning.release import ReleasePlan, execute, prepare_release
    from tests.integration.gitrepo import GIT_ENV

    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    other = repo.clone(tmp_path / "other")
    other.commit("fix: concurrent")
    project = load_project(repo.path)
    plan = prepare_release(project)
    assert isinstance(plan, ReleasePlan)
    other.git("push", "-q", "origin", "main")  # the upstream moves: the push will be rejected
    changelog = repo.path / "CHANGELOG.md"
    changelog.write_bytes(USER_CHANGELOG)
    before = repo.git("rev-parse", "HEAD")
    with pytest.raises(ReleaseError, match="the upstream moved"):
        execute(project, plan)
    assert changelog.read_bytes() == USER_CHANGELOG
    assert repo.git("rev-parse", "HEAD") == before
    assert repo.git("status", "--porcelain") == "?? CHANGELOG.md"
    assert repo.git("tag", "--list", "v0.1.1") == ""


def test_a_token_in_the_origin_url_is_never_printed(tmp_path: Path) -> None:
    """`https://TOKEN@host` (a token alone, no user:) in the remote URL: the fetch fails and the
    error and the -v git output show the URL with the token masked."""
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    token = "tok3n" + "Q8z" * 10  # no known token shape: only its place in the URL betrays it
    repo.git("remote", "set-url", "origin", f"https://{token}@127.0.0.1:9/org/repo.git")
    for args in (("-v", "release"), ("release",), ("-v", "release", "--dry-run")):
        result = repo.mlrelease(*args)
        assert token not in result.stdout + result.stderr, args
        assert "Traceback" not in result.stderr
        if "--dry-run" not in args:
            refused(result, "could not fetch from origin")
        if "-v" in args:  # -v shows git's own output, the remote URL among it: masked
            assert "https://<hidden>@127.0.0.1:9/org/repo.git" in result.stderr, result.stderr
