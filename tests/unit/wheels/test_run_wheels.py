"""The wheels plan and its runner against the embedded directory feed (a real folder, no network).

The runner tests build the plan from what the feed holds (``DirectoryFeed.reconcile``) and run it;
the planner tests make the plan the way ``publish wheels`` does, in a git repository with the
release tag at HEAD (real git, real ``twine check``).
"""

from __future__ import annotations

import json
import subprocess
import zipfile
from pathlib import Path

import pytest

from mlrelease.errors import AuthError, PublishError
from mlrelease.project import load_project
from mlrelease.wheels.directory import DirectoryFeed
from mlrelease.wheels.dist import DistFile, describe
from mlrelease.wheels.feed import Feed, FeedTarget, parse_simple_page
from mlrelease.wheels.plan import PlannedFile, WheelsPlan, plan_publish, planned_files
from mlrelease.wheels.publish import plan_and_check, plan_wheels
from mlrelease.wheels.run import check_wheels, report, run_wheels

PY3 = "tinypkg-1.0.0-py3-none-any.whl"
PY311 = "tinypkg-1.0.0-py311-none-any.whl"

METADATA = (
    "Metadata-Version: 2.1\nName: tinypkg\nVersion: {version}\nSummary: a tiny package\n"
    "Description-Content-Type: text/markdown\n\n# tinypkg\n\n{body}\n"
)


def make_wheel(folder: Path, filename: str, *, body: str = "A tiny package.") -> Path:
    """A small valid wheel (``twine check --strict`` passes); ``body`` changes its content."""
    name, version = filename.split("-")[:2]
    info = f"{name}-{version}.dist-info"
    path = folder / filename
    folder.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{name}/__init__.py", "")
        zf.writestr(f"{info}/METADATA", METADATA.format(version=version, body=body))
        zf.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{info}/RECORD", "")
    return path


def feed_at(root: Path) -> DirectoryFeed:
    return DirectoryFeed(
        FeedTarget(
            kind="directory",
            upload_url=root.as_uri() + "/",
            index_url=(root / "simple").as_uri() + "/",
            max_bytes=1 << 30,
            directory=root,
        )
    )


def plan_against(feed: DirectoryFeed, files: list[DistFile]) -> WheelsPlan:
    """The checked plan of ``files`` as the planner makes it once the checks passed."""
    fates = feed.reconcile(files)
    return WheelsPlan(feed.target, planned_files(fates), checked=True, credentials=feed.source)


def snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` with its inode and mtime: equal snapshots mean nothing written."""
    return {
        str(p.relative_to(root)): (p.stat().st_ino, p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def listed(feed: DirectoryFeed) -> dict[str, str | None]:
    page = feed.simple / "tinypkg" / "index.html"
    entries = parse_simple_page(page.read_text(encoding="utf-8"), page.as_uri())
    return {name: entry.sha256 for name, entry in entries.items()}


@pytest.fixture
def dist(tmp_path: Path) -> list[DistFile]:
    return [describe(make_wheel(tmp_path / "dist", f)) for f in (PY3, PY311)]


def test_first_run_uploads_every_file_and_the_index_lists_it(
    tmp_path: Path, dist: list[DistFile]
) -> None:
    feed = feed_at(tmp_path / "feed")
    plan = plan_against(feed, dist)
    assert [f.action for f in plan.files] == ["upload", "upload"]

    outcomes = run_wheels(plan, feed)

    assert [(o.dist.filename, o.action) for o in outcomes] == [
        (PY3, "uploaded"),
        (PY311, "uploaded"),
    ]
    assert listed(feed) == {d.filename: d.sha256 for d in dist}
    stored = feed.simple / "tinypkg" / PY3
    assert stored.read_bytes() == dist[0].path.read_bytes()


def test_an_identical_rerun_writes_nothing(tmp_path: Path, dist: list[DistFile]) -> None:
    feed = feed_at(tmp_path / "feed")
    run_wheels(plan_against(feed, dist), feed)
    before = snapshot(feed.root)

    plan = plan_against(feed, dist)
    outcomes = run_wheels(plan, feed)

    assert [f.action for f in plan.files] == ["already published", "already published"]
    assert [o.action for o in outcomes] == ["already published", "already published"]
    assert snapshot(feed.root) == before


def test_a_conflict_is_refused_and_nothing_is_uploaded(
    tmp_path: Path, dist: list[DistFile]
) -> None:
    feed = feed_at(tmp_path / "feed")
    other = describe(make_wheel(tmp_path / "other", PY3, body="Other content."))
    run_wheels(plan_against(feed, [other]), feed)
    before = snapshot(feed.root)

    plan = plan_against(feed, dist)
    assert [(f.filename, f.action) for f in plan.files] == [(PY3, "conflict"), (PY311, "upload")]
    assert "different content" in plan.files[0].reason
    with pytest.raises(PublishError) as refused:
        check_wheels(plan)
    with pytest.raises(PublishError):
        run_wheels(plan, feed)  # the runner refuses it too, whoever calls it

    assert f"{PY3} is already on the feed with different content" in refused.value.message
    assert "nothing was uploaded" in refused.value.hint
    assert snapshot(feed.root) == before
    assert not (feed.simple / "tinypkg" / PY311).exists()


def test_a_half_published_feed_is_completed_by_a_rerun(
    tmp_path: Path, dist: list[DistFile]
) -> None:
    """A publish killed after its first file, before any index page: the rerun uploads only the
    missing file and writes the pages."""
    feed = feed_at(tmp_path / "feed")
    folder = feed.simple / "tinypkg"
    folder.mkdir(parents=True)
    (folder / PY3).write_bytes(dist[0].path.read_bytes())
    assert not (folder / "index.html").exists()

    plan = plan_against(feed, dist)
    assert [f.action for f in plan.files] == ["already published", "upload"]
    outcomes = run_wheels(plan, feed)

    assert [o.action for o in outcomes] == ["already published", "uploaded"]
    assert listed(feed) == {d.filename: d.sha256 for d in dist}
    assert feed.verify(dist) == []


def test_a_dry_run_sends_nothing(tmp_path: Path, dist: list[DistFile]) -> None:
    feed = feed_at(tmp_path / "feed")
    outcomes = run_wheels(plan_against(feed, dist), feed, dry_run=True)
    assert [o.action for o in outcomes] == ["would upload", "would upload"]
    assert not feed.root.exists()


def test_a_plan_made_without_its_checks_never_runs(tmp_path: Path, dist: list[DistFile]) -> None:
    feed = feed_at(tmp_path / "feed")
    unchecked = WheelsPlan(feed.target, tuple(PlannedFile(d, "upload") for d in dist))
    with pytest.raises(PublishError, match="without its checks"):
        run_wheels(unchecked, feed)
    assert not feed.root.exists()


# --- the planner, the way `publish wheels` and `mlrelease plan` call it ---------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", str(root), *args],
        check=True,
        capture_output=True,
    )


def tagged_project(root: Path, files: dict[str, str]) -> Path:
    """tinypkg 1.0.0 in git with v1.0.0 at HEAD; ``files`` maps wheel names to their body."""
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "tinypkg"\nversion = "1.0.0"\n')
    (root / ".gitignore").write_text("dist/\n.mlrelease/\n")
    _git(root, "init", "-q")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "feat: tinypkg")
    _git(root, "tag", "v1.0.0")
    for filename, body in files.items():
        make_wheel(root / "dist", filename, body=body)
    return root


class CountingOpener:
    """The directory backend, counting how often the feed is opened."""

    def __init__(self) -> None:
        self.opened = 0

    def __call__(self, target: FeedTarget) -> Feed:
        self.opened += 1
        return DirectoryFeed(target)


def test_the_planner_checks_then_reconciles_and_the_run_completes_it(tmp_path: Path) -> None:
    project = load_project(tagged_project(tmp_path / "proj", {PY3: "one", PY311: "two"}))
    opener = CountingOpener()

    plan, feed = plan_publish(project, opener, checks=True)
    assert plan.checked
    assert plan.refusals == ()
    assert [(f.filename, f.action) for f in plan.files] == [(PY3, "upload"), (PY311, "upload")]
    assert all(f.size > 0 and len(f.sha256) == 64 for f in plan.files)
    assert plan.kind == "directory"
    feed_dir = tmp_path / "proj" / ".mlrelease" / "feed"
    assert plan.pip == f"pip install --find-links {feed_dir}/simple/tinypkg tinypkg==1.0.0"
    run_wheels(plan, feed)
    assert opener.opened == 1

    # mlrelease plan makes the same plan without the publish checks (no twine, no tag needed)
    again, _ = plan_publish(project, opener, checks=False)
    assert [f.action for f in again.files] == ["already published", "already published"]
    assert not again.checked


def test_a_file_refused_in_preflight_stops_the_plan_before_the_feed_is_opened(
    tmp_path: Path,
) -> None:
    root = tagged_project(tmp_path / "proj", {PY3: "one"})
    make_wheel(root / "dist", "tinypkg-0.9.0-py3-none-any.whl")
    opener = CountingOpener()

    plan, feed = plan_publish(load_project(root), opener, checks=True)

    assert feed is None
    assert opener.opened == 0
    assert [r.filename for r in plan.refusals] == ["tinypkg-0.9.0-py3-none-any.whl"]
    with pytest.raises(PublishError, match="preflight refused 1 file; nothing was uploaded"):
        check_wheels(plan)


def test_mlrelease_plan_shows_each_files_fate_and_the_feed(tmp_path: Path) -> None:
    root = tagged_project(tmp_path / "proj", {PY3: "one"})
    data = plan_wheels(load_project(root))
    sha = describe(root / "dist" / PY3).sha256
    index = (root / ".mlrelease" / "feed" / "simple").as_uri() + "/"
    assert data == {
        "files": [{"file": PY3, "sha256": sha, "fate": "upload"}],
        "summary": [f"embedded directory feed: {index}", f"{PY3}: upload"],
        "feed": "directory",
        "upload-url": (root / ".mlrelease" / "feed").as_uri() + "/",
        "index-url": index,
    }
    (root / "dist" / PY3).unlink()
    (root / "dist").rmdir()
    empty = plan_wheels(load_project(root))
    assert empty["files"] == []
    assert empty["summary"][1].startswith("no files to publish: ")


def test_the_report_says_what_happened_and_how_to_install(
    tmp_path: Path,
    dist: list[DistFile],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feed = feed_at(tmp_path / "feed")
    plan = plan_against(feed, dist)
    outcomes = run_wheels(plan, feed)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    report(plan, outcomes, as_json=True, dry_run=False)
    data = json.loads(capsys.readouterr().out)
    assert data["feed"] == "directory"
    assert data["dry-run"] is False
    assert [(f["file"], f["action"], f["size"]) for f in data["files"]] == [
        (d.filename, "uploaded", d.size) for d in dist
    ]
    assert data["pip"].startswith("pip install --find-links ")
    assert f"| `{PY3}` | `{dist[0].sha256}` | uploaded |" in summary.read_text()


def _unreachable(target: FeedTarget) -> Feed:
    """A backend whose credentials cannot be found (as an Azure feed without a login)."""
    raise AuthError("no credentials for the feed", hint="log in")


def test_mlrelease_plan_says_when_the_feed_cannot_be_read(tmp_path: Path) -> None:
    root = tagged_project(tmp_path / "proj", {PY3: "one"})
    plan, feed = plan_publish(load_project(root), _unreachable, checks=False)
    assert feed is None
    assert [(f.filename, f.action) for f in plan.files] == [(PY3, "unknown")]
    data = plan.as_data()
    assert data["reachable"] is False
    assert data["error"] == "no credentials for the feed"
    assert "cannot tell what is on the feed: no credentials for the feed" in data["summary"]
    with pytest.raises(PublishError, match="without its checks"):
        run_wheels(plan, feed)


def test_a_twine_refusal_is_reported_before_a_feed_failure(tmp_path: Path) -> None:
    """twine check runs alongside the feed; its verdict comes first, the feed's error after."""
    root = tagged_project(tmp_path / "proj", {PY3: "one"})
    with zipfile.ZipFile(root / "dist" / PY311, "w") as zf:  # no long description: --strict fails
        zf.writestr(
            "tinypkg-1.0.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: tinypkg\nVersion: 1.0.0\n",
        )
    plan, feed = plan_publish(load_project(root), _unreachable, checks=True)
    assert feed is None
    assert [r.filename for r in plan.refusals] == [PY311]
    with pytest.raises(PublishError, match=f"(?s)preflight refused 1 file.*{PY311}"):
        check_wheels(plan)

    (root / "dist" / PY311).unlink()
    with pytest.raises(AuthError, match="no credentials for the feed"):
        plan_publish(load_project(root), _unreachable, checks=True)


def test_the_text_report_lists_each_file_the_feed_and_the_install_line(
    tmp_path: Path, dist: list[DistFile], capsys: pytest.CaptureFixture[str]
) -> None:
    feed = feed_at(tmp_path / "feed")
    run_wheels(plan_against(feed, dist[:1]), feed)
    plan = plan_against(feed, dist)
    report(plan, run_wheels(plan, feed, dry_run=True), as_json=False, dry_run=True)
    assert capsys.readouterr().out.splitlines() == [
        f"already published  {PY3}  sha256:{dist[0].sha256}",
        f"would upload       {PY311}  sha256:{dist[1].sha256}",
        f"embedded directory feed: {(tmp_path / 'feed' / 'simple').as_uri()}/",
        f"install: pip install --find-links {tmp_path / 'feed'}/simple/tinypkg tinypkg==1.0.0",
    ]


def test_publish_wheels_refuses_a_conflict_before_anything_is_sent(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tagged_project(tmp_path / "proj", {PY3: "one", PY311: "two"})
    feed = feed_at(root / ".mlrelease" / "feed")
    other = describe(make_wheel(tmp_path / "other", PY3, body="Other content."))
    run_wheels(plan_against(feed, [other]), feed)

    with pytest.raises(PublishError, match=f"{PY3} is already on the feed with different content"):
        plan_and_check(load_project(root), dist=None)

    assert "feed: file://" in capsys.readouterr().err  # which feed it compared with
    assert sorted(p.name for p in (feed.simple / "tinypkg").glob("*.whl")) == [PY3]
