"""``mlrelease publish all``: wheels and images planned and checked once, before anything goes out.

In-process, into the embedded directory feed, counting what runs: ``twine check`` and the feed
are each used once (they ran twice when ``publish all`` preflighted with a whole dry run).
"""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from mlrelease.cli.main import main
from mlrelease.wheels import backends, dist, plan
from mlrelease.wheels.dist import Refusal
from mlrelease.wheels.feed import Feed, FeedTarget
from tests.unit.wheels.test_run_wheels import PY3, PY311, tagged_project


class Counted:
    """How often the directory backend and ``twine check`` were called (both still run)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.feeds_opened = 0
        self.twine_checks = 0
        real_open: Callable[[FeedTarget], Feed] = backends.FEED_BACKENDS["directory"].open
        real_check = dist.twine_check

        def open_feed(target: FeedTarget) -> Feed:
            self.feeds_opened += 1
            return real_open(target)

        def twine_check(paths: list[Path]) -> list[Refusal]:
            self.twine_checks += 1
            return real_check(paths)

        monkeypatch.setitem(backends.FEED_BACKENDS, "directory", backends.FeedBackend(open_feed))
        monkeypatch.setattr(plan, "twine_check", twine_check)


def _stored(root: Path) -> list[str]:
    folder = root / ".mlrelease" / "feed" / "simple" / "tinypkg"
    return sorted(p.name for p in folder.glob("*.whl")) if folder.is_dir() else []


def test_publish_all_checks_and_reconciles_the_wheels_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tagged_project(tmp_path / "proj", {PY3: "one", PY311: "two"})
    counted = Counted(monkeypatch)

    assert main(["-C", str(root), "publish", "all"]) == 0

    out = capsys.readouterr().out
    assert f"uploaded  {PY3}" in out
    assert f"uploaded  {PY311}" in out
    assert "no images configured" in out
    assert _stored(root) == [PY3, PY311]
    assert counted.twine_checks == 1
    assert counted.feeds_opened == 1


def test_an_image_target_that_refuses_stops_publish_all_before_any_wheel_goes_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tagged_project(tmp_path / "proj", {PY3: "one"})
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with (root / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            f'\n[[tool.mlrelease.publish.images]]\nname = "tinypkg"\nregistry = "127.0.0.1:{port}"\n'
        )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-C", str(root)]
    subprocess.run([*git, "commit", "-qam", "chore: image"], check=True)
    subprocess.run([*git, "tag", "-f", "v1.0.0"], check=True, capture_output=True)
    counted = Counted(monkeypatch)

    assert main(["-C", str(root), "publish", "all"]) == 1

    err = capsys.readouterr().err
    assert "preflight: wheels and images, before anything is uploaded" in err
    assert "error: " in err
    assert "Traceback" not in err
    assert _stored(root) == []
    assert counted.twine_checks == 1
