"""A project's ``uv.lock``: the sessions install its locked versions.

When the project has a ``uv.lock``, a stage that installs the project first exports the lock's
versions for the stage's extras and dependency groups (``uv export --frozen``: the lock as it is,
never re-resolved) and installs with them as constraints (``-c``): the project's dependencies get
exactly the locked versions, with nox's uv backend (``uv pip install -c``) and with pip alike, and
the tools the stage adds (pytest, ruff...) are held to the lock where it has them. Lines a
constraints file cannot hold (the project itself, editable or path entries) are left out.
"""

from __future__ import annotations

import re
from pathlib import Path

from mlrelease.project import Project
from mlrelease.stages.plan import Install

LOCK_FILE = "uv.lock"
CONSTRAINTS = "mlrelease-uv-lock-constraints.txt"  # written into the session's environment
_PINNED = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*(\[[^\]]*\])?\s*==\s*[^\s;]+(\s*;.*)?$")


def lock_file(project: Project) -> Path | None:
    path = project.root / LOCK_FILE
    return path if path.is_file() else None


def export_argv(uv: str, install: Install) -> list[str]:
    """``uv export`` of the locked versions an environment with ``install`` needs (stdout)."""
    argv = [
        uv, "export", "--frozen", "--format", "requirements-txt", "--no-hashes",
        "--no-emit-project", "--no-header", "--no-annotate", "--no-default-groups",
    ]  # fmt: skip
    for extra in install.extras:
        argv += ["--extra", extra]
    for group in install.groups:
        argv += ["--group", group]
    return argv


def constraint_lines(exported: str) -> str:
    """The ``name==version [; marker]`` lines of an export: what pip and uv take as constraints."""
    kept = []
    for raw in exported.splitlines():
        line = raw.strip()
        if line and not line.startswith(("#", "-")) and _PINNED.match(line):
            kept.append(line)
    return "".join(f"{line}\n" for line in kept)


def lock_note(project: Project, install: Install) -> str | None:
    """What ``plan`` says about the lock for a stage with ``install``."""
    if not install.project or lock_file(project) is None:
        return None
    return f"{LOCK_FILE}: the locked versions are installed as constraints (uv export --frozen)"
