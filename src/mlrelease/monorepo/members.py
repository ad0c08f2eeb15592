"""A monorepo's members: which packages the root names, what each inherits, how they depend.

The root ``[tool.mlrelease]`` lists ``members`` (globs of member directories); the members of
``[tool.uv.workspace]`` are added. Each member is a directory with its own ``pyproject.toml``: its
name comes from ``[project].name``, its dependencies on other members from ``[project].dependencies``
(matched by normalized name), and its configuration is the root table with the member's own
``[tool.mlrelease]`` merged over it, table by table (:func:`merge_tables`).

Two keys are never inherited: ``members`` (a member is not a monorepo) and ``version.tag-format``
(every member needs its own tags; the default is ``<name>-v{version}``).
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlrelease.config.checks import check_path_shape
from mlrelease.config.model import TABLE, parse_config, read_pyproject
from mlrelease.errors import ConfigError, Problem
from mlrelease.project import Project, load_project

NOT_INHERITED = ("members",)
# The distribution name at the start of a PEP 508 requirement (packaging's parser costs ~100 ms
# of import time, and `affected` runs in every CI job's first step).
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)")


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass(frozen=True)
class Member:
    """One member package of a monorepo."""

    name: str  # [project].name as written
    path: str  # posix path relative to the workspace root ("packages/feature")
    root: Path  # absolute directory
    pyproject: dict[str, Any] = field(repr=False, compare=False)
    # normalized sibling name -> the requirement string as written in [project].dependencies
    requires: dict[str, str] = field(default_factory=dict, compare=False)

    @property
    def key(self) -> str:
        """The normalized name: session names, tags and the dependency graph use it."""
        return normalize(self.name)

    @property
    def depends_on(self) -> tuple[str, ...]:
        return tuple(sorted(self.requires))

    def own_table(self) -> dict[str, Any]:
        tool = self.pyproject.get("tool", {})
        table = tool.get("mlrelease", {}) if isinstance(tool, dict) else {}
        return table if isinstance(table, dict) else {}


@dataclass(frozen=True)
class Workspace:
    """The root directory, its own ``[tool.mlrelease]`` table and the members by normalized name,
    in dependency order (every member after the members it depends on)."""

    root: Path
    table: dict[str, Any] = field(repr=False)
    members: dict[str, Member]

    def ordered(self) -> list[Member]:
        return list(self.members.values())

    def dependents(self, key: str) -> list[str]:
        """Members that declare a dependency on ``key`` (directly)."""
        return [m.key for m in self.members.values() if key in m.requires]

    def reverse_closure(self, keys: set[str]) -> set[str]:
        """``keys`` and everything that depends on them, directly or not."""
        seen = set(keys)
        todo = list(keys)
        while todo:
            for dependent in self.dependents(todo.pop()):
                if dependent not in seen:
                    seen.add(dependent)
                    todo.append(dependent)
        return seen

    def member_table(self, member: Member) -> dict[str, Any]:
        """The member's effective ``[tool.mlrelease]``: the root's, with the member's over it."""
        inherited = {k: v for k, v in self.table.items() if k not in NOT_INHERITED}
        version = inherited.get("version")
        if isinstance(version, dict) and "tag-format" in version:
            inherited["version"] = {k: v for k, v in version.items() if k != "tag-format"}
        merged = merge_tables(inherited, member.own_table())
        version = merged.setdefault("version", {})
        if isinstance(version, dict):
            version.setdefault("tag-format", f"{member.key}-v{{version}}")
        return merged


def merge_tables(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over``'s keys win; where both hold a table, the tables merge the same way (arrays and
    values are replaced whole, never concatenated)."""
    out: dict[str, Any] = dict(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = value
    return out


def _tool_table(data: Mapping[str, Any], *keys: str) -> Any:
    node: Any = data.get("tool", {})
    for key in keys:
        node = node.get(key) if isinstance(node, dict) else None
    return node


def member_globs(data: Mapping[str, Any]) -> list[str]:
    """The root's member globs: ``tool.mlrelease.members`` then ``tool.uv.workspace.members``."""
    globs: list[str] = []
    for raw in (
        _tool_table(data, "mlrelease", "members"),
        _tool_table(data, "uv", "workspace", "members"),
    ):
        if isinstance(raw, list):
            globs += [g for g in raw if isinstance(g, str) and g not in globs]
    return globs


def is_monorepo(root: Path) -> bool:
    """Whether ``root/pyproject.toml`` names members (cheap: one file read)."""
    path = root / "pyproject.toml"
    return path.is_file() and bool(member_globs(read_pyproject(path)))


def _check_globs(globs: list[str]) -> None:
    """Each member glob is a relative pattern inside the repository (before any file access)."""
    for pattern in globs:
        bad = (
            "is empty"
            if not pattern.strip()
            else "must be relative to the repository root"
            if pattern.startswith(("/", "\\")) or Path(pattern).is_absolute()
            else "must not leave the repository ('..')"
            if ".." in Path(pattern).parts
            else "holds a control character"
            if any(ord(c) < 32 or ord(c) == 127 for c in pattern)
            else shape[0]
            if (shape := check_path_shape(pattern))
            else ""
        )
        if bad:
            raise ConfigError(
                problems=[
                    Problem(
                        "pyproject.toml",
                        "tool.mlrelease.members",
                        f"{pattern!r} {bad}",
                        'list member directories as relative globs, e.g. members = ["packages/*"]',
                    )
                ]
            )


def discover(root: Path) -> Workspace | None:
    """The workspace at ``root``, or None when the root names no members.

    Raises :class:`ConfigError` for a member without a ``[project]`` name, a glob that matches
    nothing, two members with one name, or a dependency cycle between members.
    """
    root = root.resolve()
    data = read_pyproject(root / "pyproject.toml")
    globs = member_globs(data)
    if not globs:
        return None
    excluded = _tool_table(data, "uv", "workspace", "exclude")
    excludes = [e for e in excluded if isinstance(e, str)] if isinstance(excluded, list) else []
    _check_globs(globs)
    dirs = _member_dirs(root, globs, excludes)
    found: dict[str, Member] = {}
    for directory in dirs:
        member = _read_member(root, directory)
        if member.key in found:
            raise ConfigError(
                problems=[
                    Problem(
                        f"{member.path}/pyproject.toml",
                        "project.name",
                        f"{member.name!r} is also the name of the member in {found[member.key].path}",
                        "give each member package its own name",
                    )
                ]
            )
        found[member.key] = member
    resolved = {key: _with_sibling_requirements(m, set(found)) for key, m in sorted(found.items())}
    order = dependency_order(resolved)
    table = _tool_table(data, "mlrelease")
    return Workspace(
        root=root,
        table=dict(table) if isinstance(table, dict) else {},
        members={key: resolved[key] for key in order},
    )


def _member_dirs(root: Path, globs: list[str], excludes: list[str]) -> list[Path]:
    dirs: list[Path] = []
    for pattern in globs:
        matches = sorted(
            p.relative_to(root) for p in root.glob(pattern) if (p / "pyproject.toml").is_file()
        )
        if not matches:
            raise ConfigError(
                problems=[
                    Problem(
                        "pyproject.toml",
                        f"{TABLE}.members",
                        f"{pattern!r} matches no directory with a pyproject.toml",
                        "fix the glob, or remove it from members",
                    )
                ]
            )
        for rel in matches:
            posix = rel.as_posix()
            if any(fnmatch.fnmatchcase(posix, e) for e in excludes) or posix in (".", ""):
                continue
            if (root / rel) not in dirs:
                dirs.append(root / rel)
    return dirs


def _read_member(root: Path, directory: Path) -> Member:
    rel = directory.relative_to(root).as_posix()
    data = read_pyproject(directory / "pyproject.toml")
    project = data.get("project")
    name = project.get("name") if isinstance(project, dict) else None
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            problems=[
                Problem(
                    f"{rel}/pyproject.toml",
                    "project.name",
                    f"is missing: member {rel} has no [project] name",
                    f'add [project] name = "..." to {rel}/pyproject.toml (every member is a package)',
                )
            ]
        )
    return Member(name=name, path=rel, root=directory, pyproject=data)


def _with_sibling_requirements(member: Member, siblings: set[str]) -> Member:
    project = member.pyproject.get("project", {})
    deps = project.get("dependencies", []) if isinstance(project, dict) else []
    requires: dict[str, str] = {}
    for raw in deps if isinstance(deps, list) else []:
        if not isinstance(raw, str):
            continue
        m = _REQUIREMENT_NAME.match(raw)
        if m is None:
            continue
        key = normalize(m.group(1))
        if key in siblings and key != member.key:
            requires[key] = raw
    return Member(member.name, member.path, member.root, member.pyproject, requires)


def dependency_order(members: Mapping[str, Member]) -> list[str]:
    """Member keys so each follows its dependencies (ties by name); a cycle is a ConfigError
    naming the cycle."""
    order: list[str] = []
    state: dict[str, str] = {}

    def visit(key: str, trail: list[str]) -> None:
        if state.get(key) == "done":
            return
        if state.get(key) == "visiting":
            cycle = [*trail[trail.index(key) :], key]
            first = members[cycle[0]]
            raise ConfigError(
                problems=[
                    Problem(
                        f"{first.path}/pyproject.toml",
                        "project.dependencies",
                        f"the members depend on each other in a cycle: {' -> '.join(cycle)}",
                        "a member cannot depend on itself through others: move the shared code "
                        "into a member both depend on, or drop one of the dependencies",
                    )
                ]
            )
        state[key] = "visiting"
        for dep in members[key].depends_on:
            visit(dep, [*trail, key])
        state[key] = "done"
        order.append(key)

    for key in sorted(members):
        visit(key, [])
    return order


def load_member_project(workspace: Workspace, member: Member) -> Project:
    """The member as a :class:`~mlrelease.project.Project` with its merged configuration, so
    every planner works on it unchanged; problems name ``<member>/pyproject.toml`` and the key."""
    config = parse_config(workspace.member_table(member), file=f"{member.path}/pyproject.toml")
    return load_project(member.root, config=config, workspace_root=workspace.root)


def load_workspace(root: Path) -> tuple[Workspace, list[Project]] | None:
    """The workspace and its members' projects in dependency order, or None (not a monorepo)."""
    workspace = discover(root)
    if workspace is None:
        return None
    return workspace, [load_member_project(workspace, m) for m in workspace.ordered()]
