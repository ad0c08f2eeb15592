"""`mlrelease publish all` checks the feed *and* the registry before the first upload (item 15)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.integration.feedservers import free_port
from tests.integration.test_publish_wheels import make_project, run_publish

pytestmark = pytest.mark.integration


def _add_image(project: Path, registry: str) -> None:
    with (project / "pyproject.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            f'\n[[tool.mlrelease.publish.images]]\nname = "tinypkg"\nregistry = "{registry}"\n'
        )
    subprocess.run(["git", "commit", "-qam", "chore: image"], cwd=project, check=True)
    subprocess.run(["git", "tag", "-f", "v1.0.0"], cwd=project, check=True, capture_output=True)


ONE_WHEEL = ["tinypkg-1.0.0-py3-none-any.whl", "tinypkg-1.0.0.tar.gz"]


def test_unreachable_registry_stops_before_any_wheel_is_uploaded(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", None, files=ONE_WHEEL)
    _add_image(project, f"127.0.0.1:{free_port()}")  # nothing listens there
    result = run_publish(project, "publish", "all")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert "preflight" in result.stderr
    assert "several wheels" not in result.stderr  # refused for the registry, not the dist files
    assert "127.0.0.1" in result.stderr
    feed = project / ".mlrelease" / "feed"
    uploaded = (
        [p.name for p in feed.rglob("*") if p.suffix in (".whl", ".gz")] if feed.exists() else []
    )
    assert uploaded == []


def test_publish_all_without_images_publishes_the_wheels(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", None)
    result = run_publish(project, "publish", "all")
    assert result.returncode == 0, result.stderr
    assert "uploaded" in result.stdout
    again = run_publish(project, "publish", "all")
    assert again.returncode == 0, again.stderr
    assert "already published" in again.stdout
    assert "uploaded " not in again.stdout
