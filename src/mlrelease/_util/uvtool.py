"""Finding a uv that runs.

A ``uv`` on PATH is not always one that works: a pyenv shim for a uv installed under another
Python exits 127 ("pyenv: uv: command not found"). The ``uv`` package's own binary (``pip install
uv`` in mlrelease's environment) is preferred, then ``uv`` on PATH; each candidate must answer
``uv --version`` before it is used. No uv at all is fine: callers fall back to virtualenv and pip.
"""

from __future__ import annotations

import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from mlrelease._util.pipconf import Carry, carry_over
from mlrelease._util.runner import child_env

__all__ = ["broken_uv_on_path", "find_uv", "session_uv", "uv_runs", "uv_shim_dir"]


@functools.cache
def uv_runs(path: str) -> bool:
    """``path --version`` exits 0 (cached per path for the life of the process)."""
    try:
        proc = subprocess.run(
            [path, "--version"],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            stdin=subprocess.DEVNULL,
            env=child_env(),  # no secret for `uv --version`
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return proc.returncode == 0 and proc.stdout.startswith("uv ")


def _package_uv() -> str | None:
    """The binary of the ``uv`` package installed with this interpreter, if any."""
    try:
        from uv import find_uv_bin  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    try:
        found: str = find_uv_bin()
    except (FileNotFoundError, OSError):
        return None
    return found


def _candidates() -> list[str]:
    """The ``uv`` package's binary, then every ``uv`` on PATH in order."""
    out: list[str] = []
    package = _package_uv()
    if package:
        out.append(package)
    for directory in os.get_exec_path():
        found = shutil.which("uv", path=directory) if directory else None
        if found and found not in out:
            out.append(found)
    return out


def find_uv() -> str | None:
    """The first uv that runs: the ``uv`` package's binary, then each ``uv`` on PATH; else None."""
    for path in _candidates():
        if uv_runs(path):
            return path
    return None


@functools.cache
def session_uv() -> tuple[str | None, Carry]:
    """The uv the sessions install with, and pip's index settings carried over to it
    (:mod:`mlrelease._util.pipconf`); None when no uv runs, or when uv cannot install from where
    pip would (``Carry.blocked`` says why): the sessions then use virtualenv and pip.
    Decided once per process, before the carried settings are put in the environment."""
    uv = find_uv()
    if uv is None:
        return None, Carry()
    carry = carry_over()
    return (None if carry.blocked else uv), carry


def broken_uv_on_path() -> str | None:
    """The ``uv`` that PATH finds first when it does not run (e.g. a pyenv shim), else None."""
    path = shutil.which("uv")
    return path if path and not uv_runs(path) else None


def uv_shim_dir(uv: str) -> Path:
    """A directory holding only ``uv`` (a link to ``uv``), to put first on PATH so tools that
    look up ``uv`` on PATH (nox, build's ``--installer uv``) run this one and nothing else moves.

    It lives in the user's cache directory (a private temporary directory when that is not
    writable) and is reused while it points at ``uv``.
    """

    key = hashlib.sha256(uv.encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    where = cache / "mlrelease" / f"uv-{key}"
    link = where / "uv"
    if link.is_symlink() and str(link.readlink()) == uv:
        return where
    try:
        where.mkdir(parents=True, exist_ok=True)
        tmp = where / f".uv-{os.getpid()}"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(uv)
        tmp.replace(link)  # atomic: a concurrent nox sees the old link or the new one
    except OSError:
        where = Path(tempfile.mkdtemp(prefix="mlrelease-uv-"))
        (where / "uv").symlink_to(uv)
    return where
