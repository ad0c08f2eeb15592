"""Ctrl-C (SIGINT to the process group) and kill -9 (SIGKILL) at each step of a real
``mlrelease release``, then a rerun: it converges. The remote ends with exactly one release commit
on top of the commit released and its tag; the user's files are as they were; a third run has
nothing to do.

The steps are made deterministic by a git shim (:mod:`tests.integration.interrupting`) that pauses
at the chosen git command; stamping and the changelog happen between ``fetch`` and ``add``.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.integration import feedservers as fs
from tests.integration.gitrepo import Repo, Tag, build_repo
from tests.integration.interrupting import GitShim, StderrLines, interrupt, start
from tests.integration.test_publish_wheels import (
    ALL,
    PY3,
    actions,
    make_project,
    put_dist,
    run_publish,
)

pytestmark = pytest.mark.integration

NOTES = b"my draft, never committed \x00\n"

# step name -> (the git command to pause at, pause after it ran)
STEPS = {
    "before-writing": ("fetch --quiet*", False),  # nothing written yet
    "stamped": ("add --*", False),  # files stamped and the changelog written, nothing staged
    "staged": ("commit --quiet*", False),  # staged, not committed
    "committed": ("tag -a*", False),  # the release commit, no tag
    "tagged": ("push --atomic*", False),  # commit and tag, not pushed
    "pushed": ("push --atomic*", True),  # the push landed, the run did not finish
}

# A third run after one kill per way the rerun converges (rolled back and released again, finished
# the push, found the push had landed): the other cases end in the same states, and each run costs
# python-semantic-release's start-up, which keeps this file fast.
THIRD_RUN = ("staged", "tagged", "pushed")


def _repo(tmp_path: Path) -> tuple[Repo, str]:
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: handle empty frames"])
    (repo.path / "notes.txt").write_bytes(NOTES)
    return repo, repo.git("rev-parse", "HEAD")


def _converged(repo: Repo, start: str) -> None:
    """The remote holds the release exactly once, the clone is clean and matches it."""
    head = repo.remote_git("rev-parse", "refs/heads/main")
    assert repo.remote_tag_commit("v0.1.1") == head
    assert repo.remote_git("rev-parse", f"{head}^") == start
    subjects = repo.remote_git("log", "--format=%s", "main").splitlines()
    assert subjects.count("chore(release): 0.1.1") == 1, subjects
    assert repo.remote_git("tag", "--list") == "v0.1.0\nv0.1.1"
    assert repo.git("rev-parse", "HEAD") == head
    assert repo.git("status", "--porcelain") == "?? notes.txt"
    assert (repo.path / "notes.txt").read_bytes() == NOTES
    assert 'version = "0.1.1"' in repo.remote_file("main", "pyproject.toml")
    assert repo.remote_file("main", "CHANGELOG.md").count("## [0.1.1]") == 1
    assert not (repo.path / ".git" / "mlrelease-release.json").exists()


def _ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
@pytest.mark.parametrize("step", list(STEPS))
def test_an_interrupted_release_converges_on_rerun(
    tmp_path: Path, step: str, sig: signal.Signals
) -> None:
    repo, start_commit = _repo(tmp_path)
    shim = GitShim(tmp_path / "shim")
    pattern, after = STEPS[step]
    proc = start(repo.path, ["release"], shim.env(pattern, after=after))
    shim.wait_paused(proc)
    code, stderr = interrupt(proc, sig)
    assert code != 0
    assert "Traceback" not in stderr
    assert (repo.path / "notes.txt").read_bytes() == NOTES
    if sig == signal.SIGINT:
        assert code == 130, stderr
    out = _ok(repo.mlrelease("release"))
    assert "released 0.1.1: tag v0.1.1" in out
    _converged(repo, start_commit)
    if sig == signal.SIGKILL and step in THIRD_RUN:
        third = repo.mlrelease("release", "--allow-noop")
        assert "nothing to release" in _ok(third)
        _converged(repo, start_commit)


def test_a_release_stranded_without_a_journal_is_pushed_by_the_rerun(tmp_path: Path) -> None:
    """The state a kill during the push left before the journal existed (and --no-push leaves):
    a tagged release commit that origin lacks. The rerun pushes it instead of saying "nothing to
    release" forever."""
    repo, start_commit = _repo(tmp_path)
    _ok(repo.mlrelease("release", "--no-push"))
    assert repo.remote_tag_commit("v0.1.1") == ""
    out = _ok(repo.mlrelease("release"))
    assert "released 0.1.1: tag v0.1.1" in out
    _converged(repo, start_commit)


def test_a_stranded_release_is_undone_when_origin_moved(tmp_path: Path) -> None:
    repo, start_commit = _repo(tmp_path)
    _ok(repo.mlrelease("release", "--no-push"))
    other = repo.clone(tmp_path / "other")
    other.commit("fix: pushed by a colleague meanwhile")
    other.git("push", "-q", "origin", "main")
    result = repo.mlrelease("release")
    assert result.returncode == 1
    assert "the upstream moved" in result.stderr
    assert "git pull --rebase" in result.stderr
    assert repo.remote_tag_commit("v0.1.1") == ""
    assert repo.git("rev-parse", "HEAD") == start_commit
    assert repo.git("tag", "--list", "v0.1.1") == ""
    assert repo.git("status", "--porcelain") == "?? notes.txt"


def test_a_killed_release_never_resets_what_the_user_changed_after(tmp_path: Path) -> None:
    """Killed with its files staged; then the user edits a file of theirs and the changelog the
    release wrote. The rerun puts back only the release's untouched files, keeps both edits and
    refuses the dirty tree as any release would."""
    repo, _ = _repo(tmp_path)
    pyproject = (repo.path / "pyproject.toml").read_bytes()
    shim = GitShim(tmp_path / "shim")
    proc = start(repo.path, ["release"], shim.env("commit --quiet*"))
    shim.wait_paused(proc)
    interrupt(proc, signal.SIGKILL)
    dry = _ok(repo.mlrelease("release", "--dry-run"))
    assert "an interrupted release of 0.1.1 (v0.1.1, stopped at: committing) is pending" in dry
    changes = repo.path / "CHANGES.txt"
    changes.write_bytes(changes.read_bytes() + b"my own line\n")
    changelog = repo.path / "CHANGELOG.md"
    changelog.write_bytes(changelog.read_bytes() + b"\nmy own note\n")
    result = repo.mlrelease("release")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "uncommitted changes (CHANGES.txt)" in result.stderr
    assert "CHANGELOG.md" in result.stderr  # named as kept
    assert changes.read_bytes().endswith(b"my own line\n")
    assert changelog.read_bytes().endswith(b"\nmy own note\n")
    assert (repo.path / "pyproject.toml").read_bytes() == pyproject
    assert repo.remote_tag_commit("v0.1.1") == ""


# --- publish wheels: killed mid-run, the rerun converges with every file on the feed once ----------


def _start_publish(project: Path, token: str | None = None) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLRELEASE_", "GITHUB_"))}
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    if token is not None:
        env.update(MLRELEASE_FEED_TOKEN=token, MLRELEASE_FEED_USERNAME="ci")
    return subprocess.Popen(
        [sys.executable, "-m", "mlrelease", "-C", str(project), "publish", "wheels"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )


def _stop(proc: subprocess.Popen[str], sig: signal.Signals, lines: StderrLines) -> str:
    os.killpg(proc.pid, sig)
    proc.wait(60)
    stderr = lines.text()
    assert proc.returncode == (130 if sig == signal.SIGINT else -signal.SIGKILL), stderr
    assert "Traceback" not in stderr
    return stderr


def _rerun_converges(project: Path, stored: Callable[[], list[str]], token: str | None) -> None:
    """The rerun uploads what is missing; the third run uploads nothing; each file is there once."""
    second = run_publish(project, "publish", "wheels", token=token)
    assert second.returncode == 0, second.stdout + second.stderr
    assert set(actions(second.stdout)) == set(ALL)
    assert stored() == ALL
    third = run_publish(project, "publish", "wheels", token=token)
    assert third.returncode == 0, third.stdout + third.stderr
    assert actions(third.stdout) == dict.fromkeys(ALL, "already published")
    assert stored() == ALL


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_publish_to_the_directory_feed_killed_after_the_first_file_converges(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """One file is on the feed; the next publish waits for the feed's writer lock (held here) and
    is interrupted there, between two files."""
    project = make_project(tmp_path / "proj", None, files=[PY3])
    first = run_publish(project, "publish", "wheels")
    assert actions(first.stdout) == {PY3: "uploaded"}, first.stderr
    put_dist(project)
    feed = project / ".mlrelease" / "feed"
    with (feed / ".lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = _start_publish(project)
        lines = StderrLines(proc)
        lines.wait_for("uploading ")
        _stop(proc, sig, lines)

    def stored() -> list[str]:
        folder = feed / "simple" / "tinypkg"
        return sorted(p.name for p in folder.iterdir() if p.name != "index.html")

    assert stored() == [PY3]
    _rerun_converges(project, stored, None)
    page = (feed / "simple" / "tinypkg" / "index.html").read_text(encoding="utf-8")
    assert all(page.count(f">{name}<") == 1 for name in ALL), page


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["sigint", "sigkill"])
def test_publish_to_pypiserver_killed_during_an_upload_converges(
    tmp_path: Path, sig: signal.Signals
) -> None:
    """The second upload is held by a proxy until the publisher is interrupted, then dropped; the
    first file is on the feed. (An upload that lands unseen is test_upload_faults_end_with_exactly_
    one_copy in test_publish_wheels.py.)"""
    with fs.pypiserver(tmp_path / "pypiserver") as feed:
        arrived, release = threading.Event(), threading.Event()
        with fs.fault_proxy(feed.upload_url) as proxy:
            posts: list[str] = []

            def hold_the_second_upload(method: str, path: str) -> str | None:
                if method == "POST":
                    posts.append(path)
                    if len(posts) == 2:
                        arrived.set()
                        release.wait(60)
                        return "drop-midway"
                return None

            proxy.take_fault = hold_the_second_upload  # type: ignore[method-assign]
            project = make_project(tmp_path / "proj", proxy.feed(feed))
            proc = _start_publish(project, token=feed.password)
            lines = StderrLines(proc)
            assert arrived.wait(60), "".join(lines.lines)
            _stop(proc, sig, lines)
            release.set()
            assert len(fs_files(feed)) == 1  # the first file, uploaded before the interruption
            _rerun_converges(project, lambda: fs_files(feed), feed.password)
            assert feed.listing("tinypkg") == ALL


def fs_files(feed: fs.Feed) -> list[str]:
    return sorted(p.name for p in Path(feed.packages or "").iterdir())


def test_a_killed_push_is_undone_when_origin_moved_and_the_next_run_releases(
    tmp_path: Path,
) -> None:
    """Killed before its push; a colleague pushes meanwhile. The rerun pushes nothing, undoes the
    local commit and tag (the files go back) and says to pull; after the pull the release runs."""
    repo, start_commit = _repo(tmp_path)
    pyproject = (repo.path / "pyproject.toml").read_bytes()
    shim = GitShim(tmp_path / "shim")
    proc = start(repo.path, ["release"], shim.env("push --atomic*"))
    shim.wait_paused(proc)
    interrupt(proc, signal.SIGKILL)
    other = repo.clone(tmp_path / "other")
    other.commit("fix: pushed by a colleague meanwhile")
    other.git("push", "-q", "origin", "main")
    result = repo.mlrelease("release")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the upstream moved" in result.stderr
    assert "nothing was pushed" in result.stderr
    assert repo.remote_tag_commit("v0.1.1") == ""
    assert repo.git("rev-parse", "HEAD") == start_commit
    assert repo.git("tag", "--list", "v0.1.1") == ""
    assert repo.git("status", "--porcelain") == "?? notes.txt"
    assert (repo.path / "pyproject.toml").read_bytes() == pyproject
    repo.git("pull", "-q", "--rebase", "origin", "main")
    assert "released 0.1.1: tag v0.1.1" in _ok(repo.mlrelease("release"))
    head = repo.remote_git("rev-parse", "refs/heads/main")
    assert repo.remote_tag_commit("v0.1.1") == head
    assert repo.remote_git("log", "-1", "--format=%s", f"{head}^") == (
        "fix: pushed by a colleague meanwhile"
    )
