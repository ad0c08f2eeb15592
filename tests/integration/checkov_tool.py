"""checkov, the Terraform static analyser, in its own cached venv (it is heavy and pins many
packages that must not meet the project's own). Cached under ``~/.cache/mlrelease-tests/`` keyed
by the Python and the pinned version, built once by one process at a time.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from tests.integration.feedservers import CACHE, _cache_lock, _key, _uv

CHECKOV = "checkov==3.3.30"


def checkov_venv() -> Path:
    """A venv with checkov installed; returns its directory."""
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    venv = CACHE / f"checkov-venv-{_key(py, CHECKOV)}"
    with _cache_lock(venv.name):
        if (venv / ".complete").exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([_uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            [_uv(), "pip", "install", "-q", "--python", str(venv / "bin/python"), CHECKOV],
            check=True,
        )
        (venv / ".complete").write_text("ok\n")
    return venv
