"""The embedded directory feed under concurrency, interruption and a read-only disk.

Real processes and a real file system: two publishers racing for one filename, a publish that died
between the file and its index page, and a feed on a read-only mount (root ignores file modes).
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mlrelease.errors import PublishError
from mlrelease.wheels.dist import DistFile, describe
from mlrelease.wheels.feed import FeedTarget, parse_simple_page
from tests.integration import feedservers as fs
from tests.integration.test_publish_wheels import ALL, PY3, actions, make_project, run_publish

pytestmark = pytest.mark.integration


def _target(root: Path) -> FeedTarget:
    return FeedTarget(
        kind="directory",
        upload_url=root.as_uri() + "/",
        index_url=(root / "simple").as_uri() + "/",
        max_bytes=1 << 30,
        directory=root,
    )


def _publish_one(root: str, path: str, start: object, results: object) -> None:
    """In a child process: wait for the other publisher, then put one file on the feed."""
    from mlrelease.wheels.directory import DirectoryFeed

    dist = describe(Path(path))
    start.wait()  # type: ignore[attr-defined]
    try:
        fate = DirectoryFeed(_target(Path(root))).upload(dist)
    except PublishError as exc:
        results.put((path, "refused", exc.message))  # type: ignore[attr-defined]
    else:
        results.put((path, fate, ""))  # type: ignore[attr-defined]


def _variant(variant: str, name: str = PY3) -> Path:
    return next(p for p in fs.dist_files(variant) if p.name == name)


def test_two_publishers_of_one_filename_with_different_content_one_wins(tmp_path: Path) -> None:
    base, other = _variant("base"), _variant("other")
    assert base.read_bytes() != other.read_bytes()
    for attempt in range(3):  # three races, whichever process wins each
        root = tmp_path / f"feed{attempt}"
        ctx = multiprocessing.get_context("spawn")
        start, results = ctx.Barrier(2), ctx.Queue()
        procs = [
            ctx.Process(target=_publish_one, args=(str(root), str(p), start, results))
            for p in (base, other)
        ]
        for proc in procs:
            proc.start()
        for proc in procs:
            proc.join(60)
            assert proc.exitcode == 0
        outcomes = sorted((results.get(timeout=5) for _ in procs), key=lambda r: r[1])
        fates = [fate for _, fate, _ in outcomes]
        assert fates == ["refused", "upload"], outcomes
        winner = Path(outcomes[1][0])
        assert "already on the feed with different content" in outcomes[0][2]
        stored = root / "simple" / "tinypkg" / PY3
        assert stored.read_bytes() == winner.read_bytes()
        page = root / "simple" / "tinypkg" / "index.html"
        listed = parse_simple_page(page.read_text(encoding="utf-8"), page.as_uri())
        assert listed[PY3].sha256 == describe(winner).sha256
        assert [p.name for p in stored.parent.iterdir() if p.name.startswith(".tmp")] == []


def test_a_publish_killed_between_file_and_index_converges_on_rerun(tmp_path: Path) -> None:
    from mlrelease.wheels.directory import DirectoryFeed

    project = make_project(tmp_path / "proj", None, files=[PY3])
    first = run_publish(project, "publish", "wheels")
    assert first.returncode == 0, first.stderr
    put_all = fs.dist_files("base")
    for path in put_all:  # the next run's files
        shutil.copy2(path, project / "dist" / path.name)
    root = project / ".mlrelease" / "feed"
    folder = root / "simple" / "tinypkg"
    # The killed run: every file copied into place, the process died before the page was written.
    for path in put_all:
        shutil.copy2(path, folder / path.name)
    feed = DirectoryFeed(_target(root))
    files: list[DistFile] = [describe(p) for p in put_all]
    problems = feed.verify(files)
    assert any("does not list tinypkg-1.0.0.tar.gz with its sha256" in p for p in problems)
    rerun = run_publish(project, "publish", "wheels")
    assert rerun.returncode == 0, rerun.stderr
    assert actions(rerun.stdout) == dict.fromkeys(ALL, "already published")
    assert feed.verify(files) == []
    listed = parse_simple_page(
        (folder / "index.html").read_text(), (folder / "index.html").as_uri()
    )
    assert sorted(listed) == ALL
    # pip agrees: the rebuilt index offers every file.
    assert sorted(e.sha256 or "" for e in listed.values()) == sorted(f.sha256 for f in files)


@contextmanager
def _read_only(path: Path) -> Iterator[None]:
    """``path`` read-only for this process: file modes for a normal user, a read-only bind mount
    for root (which file modes do not stop)."""
    if os.geteuid() != 0:
        modes = {p: p.stat().st_mode for p in [path, *path.rglob("*")] if p.is_dir()}
        for p in modes:
            p.chmod(0o555)
        try:
            yield
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
        return
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)


def test_a_read_only_feed_directory_is_a_clear_error(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", None, files=[PY3])
    first = run_publish(project, "publish", "wheels")
    assert first.returncode == 0, first.stderr
    root = project / ".mlrelease" / "feed"
    before = {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}
    with _read_only(root):
        with pytest.raises(OSError, match=r"Read-only|Permission denied"):  # a real condition
            (root / "probe").write_text("x")
        # Everything already there: nothing to write, the rerun succeeds.
        same = run_publish(project, "publish", "wheels")
        assert same.returncode == 0, same.stderr
        # A new file cannot land: exit 1, the path, "not writable", the fix; no traceback.
        for path in fs.dist_files("base"):
            shutil.copy2(path, project / "dist" / path.name)
        result = run_publish(project, "publish", "wheels")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert f"the directory feed {root} is not writable" in result.stderr
    assert "hint: make" in result.stderr
    assert {p: p.read_bytes() for p in root.rglob("*") if p.is_file()} == before
