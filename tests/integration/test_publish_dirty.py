"""Publishing from a dirty tree is refused unless asked for: the [tool.mlrelease] and [project]
tables of pyproject.toml and each image's Dockerfile must be what the release commit holds.

Real git repositories and the real command in a subprocess (the embedded directory feed: no
server); the image cases are refused before any engine runs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.integration.test_publish_wheels import _git, make_project, run_publish

pytestmark = pytest.mark.integration

IMAGE = '\n[[tool.mlrelease.publish.images]]\nname = "tiny"\ndockerfile = "Dockerfile"\n'


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_a_dirty_table_is_refused_and_allow_dirty_publishes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", None)
    _append(root / "pyproject.toml", "\n[tool.mlrelease.test]\ncoverage-min = 50\n")

    refused = run_publish(root, "publish", "wheels")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "refusing to publish from a dirty tree" in refused.stderr
    assert "pyproject.toml: [tool.mlrelease] has uncommitted changes" in refused.stderr
    assert "--allow-dirty publishes anyway" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (root / ".mlrelease" / "feed").exists()  # nothing was published

    dry = run_publish(root, "publish", "wheels", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "a real publish refuses this without --allow-dirty" in dry.stderr

    allowed = run_publish(root, "publish", "wheels", "--allow-dirty")
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "uploaded" in allowed.stdout

    # Staged is still uncommitted; a committed change is clean again.
    _git(root, "add", "pyproject.toml")
    assert run_publish(root, "publish", "wheels").returncode == 1
    _git(root, "commit", "-q", "-m", "build: raise the floor")
    _git(root, "tag", "-f", "v1.0.0")
    again = run_publish(root, "publish", "wheels")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "dirty tree" not in again.stderr


def test_a_change_outside_the_deciding_tables_is_not_dirty(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", None)
    _append(root / "pyproject.toml", "\n[tool.ruff]\nline-length = 100\n")
    (root / "NOTES.md").write_text("scratch\n", encoding="utf-8")
    published = run_publish(root, "publish", "wheels")
    assert published.returncode == 0, published.stdout + published.stderr


def test_a_dirty_dockerfile_is_refused_by_publish_images_and_all(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", None, tag=False)
    _append(root / "pyproject.toml", IMAGE)
    (root / "Dockerfile").write_text("FROM scratch\n", encoding="utf-8")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "build: an image")
    _git(root, "tag", "v1.0.0")
    _append(root / "Dockerfile", "LABEL x=y\n")
    for target in ("images", "all"):
        refused = run_publish(root, "publish", target)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "Dockerfile: has uncommitted changes" in refused.stderr
        assert "pyproject.toml" not in refused.stderr
    assert not (root / ".mlrelease" / "feed").exists()  # all: not even the wheels went out
    assert run_publish(root, "publish", "wheels").returncode == 0  # the wheels don't use it
