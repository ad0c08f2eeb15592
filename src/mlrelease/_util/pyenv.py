"""Telling a missing interpreter from a pyenv shim for a version that is not selected.

pyenv puts a shim for every installed version's commands on PATH (``~/.pyenv/shims/python3.10``);
while that version is not selected the shim exits 127 ("pyenv: python3.10: command not found").
"not on PATH" would be wrong there: the interpreter is installed, and one command selects it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class InactiveShim:
    command: str  # "python3.10"
    shim: Path
    installed: tuple[str, ...]  # pyenv versions that have the command, e.g. ("3.10.13",)
    current: str | None  # the selected version(s), "3.11.7" or "3.11.7:3.12.1"; None if unknown

    def hint(self) -> str:
        want = self.installed[-1] if self.installed else "<version>"
        both = f"{self.current.replace(':', ' ')} {want}" if self.current else f"<current> {want}"
        return (
            f"select it with the version you use: `pyenv local {both}` in the project "
            f"(or `export PYENV_VERSION={both.replace(' ', ':')}`)"
        )


def _pyenv_root(shim: Path) -> Path | None:
    """The pyenv root of a shim (``<root>/shims/<command>`` with ``<root>/versions``)."""
    if shim.parent.name != "shims" or not (shim.parent.parent / "versions").is_dir():
        return None
    return shim.parent.parent


def _current(root: Path) -> str | None:
    if os.environ.get("PYENV_VERSION"):
        return os.environ["PYENV_VERSION"]
    exe = root / "bin" / "pyenv"
    if not exe.is_file():
        exe = root / "libexec" / "pyenv"
    try:
        proc = subprocess.run(
            [str(exe), "version-name"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    name = proc.stdout.strip()
    return name if proc.returncode == 0 and name else None


def inactive_shim(command: str) -> InactiveShim | None:
    """The pyenv shim PATH finds for ``command``, if it is one (call it once ``command`` failed)."""
    found = shutil.which(command)
    if found is None:
        return None
    shim = Path(found)
    root = _pyenv_root(shim)
    if root is None:
        return None
    installed = tuple(
        sorted(
            (p.name for p in (root / "versions").iterdir() if (p / "bin" / command).exists()),
            key=lambda v: [int(x) if x.isdigit() else 0 for x in v.split(".")],
        )
    )
    return InactiveShim(command, shim, installed, _current(root))
