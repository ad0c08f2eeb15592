"""``mlrelease init`` at a monorepo root: recognise the members and write the root table.

A root is a monorepo when its pyproject has ``[tool.uv.workspace] members``, or when it has no
``[project]`` of its own and two or more directories below it (one or two levels down) hold a
pyproject.toml with a ``[project]`` name. The root table lists the members (as ``<dir>/*`` when
every package directory under ``<dir>`` is a member); each member keeps its own pyproject, and
``mlrelease init -C <member>`` can add a member's own table for what differs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import tomlkit

from mlrelease._util.console import counted
from mlrelease.config.model import read_pyproject

SKIPPED_DIRS = frozenset(
    (".git", ".venv", "venv", ".nox", ".tox", "node_modules", "build", "dist", ".mlrelease")
)


def _named(path: Path) -> bool:
    try:
        data = read_pyproject(path)
    except Exception:
        return False
    project = data.get("project")
    return isinstance(project, dict) and isinstance(project.get("name"), str)


def member_dirs(root: Path) -> list[str]:
    """Sub-directories (posix, relative) one or two levels down with a named pyproject."""
    found: list[str] = []
    for pattern in ("*/pyproject.toml", "*/*/pyproject.toml"):
        for path in sorted(root.glob(pattern)):
            rel = path.parent.relative_to(root)
            if any(part in SKIPPED_DIRS or part.startswith(".") for part in rel.parts):
                continue
            if _named(path):
                found.append(rel.as_posix())
    return found


def detect_monorepo(root: Path, data: dict[str, Any]) -> tuple[list[str], str] | None:
    """(member globs to write, why) when ``root`` is a monorepo root, else None."""
    tool = data.get("tool", {})
    uv = tool.get("uv", {}) if isinstance(tool, dict) else {}
    workspace = uv.get("workspace", {}) if isinstance(uv, dict) else {}
    if isinstance(workspace, dict) and isinstance(workspace.get("members"), list):
        return [], "a uv workspace: the members are [tool.uv.workspace] members"
    if isinstance(data.get("project"), dict):
        return None
    dirs = member_dirs(root)
    if len(dirs) < 2:
        return None
    globs: list[str] = []
    for rel in dirs:
        parent = rel.rpartition("/")[0]
        siblings = (
            [
                p.name
                for p in (root / parent).iterdir()
                if p.is_dir() and (p / "pyproject.toml").is_file()
            ]
            if parent
            else []
        )
        if parent and all(f"{parent}/{s}" in dirs for s in siblings):
            glob = f"{parent}/*"
            if glob not in globs:
                globs.append(glob)
        else:
            globs.append(rel)
    return globs, f"{counted(len(dirs), 'package')} under one root without a [project] of its own"


def monorepo_table_text(globs: list[str], why: str) -> str:
    doc = tomlkit.document()
    tool = tomlkit.table(is_super_table=True)
    ml = tomlkit.table()
    ml.add(tomlkit.comment(f"Added by `mlrelease init`: a monorepo ({why})."))
    ml.add(tomlkit.comment("Members inherit this table; a member's own [tool.mlrelease] overrides"))
    ml.add(tomlkit.comment("it table by table. Docs: how-to/monorepo."))
    if globs:
        ml.add("members", globs)
    tool.add("mlrelease", ml)
    doc.add("tool", tool)
    return tomlkit.dumps(doc)
