"""Publishing without a release tag at HEAD says so once, with the fix once."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path


def test_no_release_tag_at_head_states_the_fix_once(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0"\n')
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text("")
    (tmp_path / "dist").mkdir()
    with zipfile.ZipFile(tmp_path / "dist" / "demo-1.0.0-py3-none-any.whl", "w") as zf:
        zf.writestr("demo-1.0.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\n")
    git = ["git", "-c", "user.email=dev@example.com", "-c", "user.name=dev", "-C", str(tmp_path)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "feat: first"], check=True)
    proc = subprocess.run(
        [sys.executable, "-m", "mlrelease", "publish", "wheels", "-C", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.splitlines() == [
        "error: no release tag points at HEAD: nothing to publish",
        "  hint: run `mlrelease release` first, or check out the tag",
    ]
