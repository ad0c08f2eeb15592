"""What `mlrelease release` writes to $GITHUB_OUTPUT for release.yml's outputs: released and
prerelease (the GitHub release is created as a prerelease from it). Real git repositories."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlrelease.cli.main import main

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", *args], cwd=root, env={**os.environ, **GIT_ENV}, check=True, capture_output=True
    )


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text().splitlines())


@pytest.mark.parametrize(
    "case",
    [("1.3.0rc1", "v1.3.0-rc.1", "true"), ("1.3.0", "v1.3.0", "false")],
    ids=["prerelease", "final"],
)
def test_a_verified_tag_reports_released_and_prerelease(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    case: tuple[str, str, str],
) -> None:
    version, tag, prerelease = case
    root = tmp_path / "repo"
    (root / "src" / "demo").mkdir(parents=True)
    (root / "src" / "demo" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "demo"\nversion = "{version}"\n\n[tool.mlrelease]\n', encoding="utf-8"
    )
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "commit", "-q", "-m", "feat: demo")
    _git(root, "tag", "-a", tag, "-m", tag)
    out = tmp_path / "github_output"
    out.write_text("")
    monkeypatch.setenv("GITHUB_OUTPUT", str(out))
    code = main(["release", "-C", str(root), "--verify-tag"])
    assert code == 0, capsys.readouterr().err
    assert _outputs(out) == {
        "version": version,
        "tag": tag,
        "released": "true",
        "prerelease": prerelease,
    }
