"""The shape every check stage (lint, tests, docs, build) plans into: what to install, what to run.

A :class:`StagePlan` is plain data. ``noxsessions`` turns it into ``session.install`` and
``session.run`` calls; ``mlrelease plan`` prints it (:meth:`StagePlan.as_data`); the benchmark and
the tests read it. Nothing here runs a tool.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from mlrelease.project import Project, available_pythons, matrix_pythons

# The file in a session's environment holding the fingerprint of what was installed into it
# (StagePlan.fingerprint): noxsessions write it, `mlrelease check` reads the lint session's.
INSTALL_STAMP = ".mlrelease-install"
# Placeholder in a command's argv that the runner replaces with the built files (sdist + wheel).
DIST_FILES = "{dist-files}"
# Placeholder replaced with the built wheel files only.
WHEEL_FILES = "{wheel-files}"


@dataclass(frozen=True, kw_only=True)
class Install:
    """What a stage's environment holds."""

    requirements: tuple[str, ...] = ()
    project: bool = False  # install the project itself (editable: source edits need no reinstall)
    extras: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()  # paths relative to the project root

    def project_spec(self) -> str:
        """``.`` or ``.[a,b]`` for ``pip install -e``."""
        return f".[{','.join(self.extras)}]" if self.extras else "."

    def install_args(self) -> list[list[str]]:
        """Argument lists for ``pip install`` / ``uv pip install``, one per call."""
        calls: list[list[str]] = []
        first: list[str] = list(self.requirements)
        for req_file in self.requirement_files:
            first += ["-r", req_file]
        for group in self.groups:
            first += ["--group", group]
        if self.project:
            first += ["-e", self.project_spec()]
        if first:
            calls.append(first)
        return calls


@dataclass(frozen=True, kw_only=True)
class Command:
    """One tool invocation inside the stage's environment."""

    argv: tuple[str, ...]
    why: str
    hint: str = ""  # what to do when it fails
    env: tuple[tuple[str, str], ...] = ()
    # Run with the interpreter that runs mlrelease itself (core helpers such as the "new findings"
    # lint filter), not one installed in the stage's environment; the environment's tools stay
    # first on PATH.
    core: bool = False
    cwd: str = ""  # the directory it runs in, relative to the project root ("": the root)


@dataclass(frozen=True, kw_only=True)
class StagePlan:
    stage: str
    install: Install = field(default_factory=Install)
    commands: tuple[Command, ...] = ()
    outputs: tuple[str, ...] = ()  # files or directories the stage writes, relative to the root
    skip_reason: str | None = None  # set when the stage has nothing to do for this project
    notes: tuple[str, ...] = ()
    python: str | None = None

    def fingerprint(self, project: Project) -> str:
        """A digest of everything that decides the environment's contents.

        An environment whose stamp equals this needs no install step; a changed pin, extra,
        dependency or build requirement changes it.
        """
        pyproject = project.pyproject
        inputs = {
            "install": [
                list(self.install.requirements),
                list(self.install.extras),
                list(self.install.groups),
                self.install.project,
            ],
            "requirement-files": {
                name: _read_text(project, name) for name in self.install.requirement_files
            },
            "project": pyproject.get("project", {}),
            "build-system": pyproject.get("build-system", {}),
            "dependency-groups": pyproject.get("dependency-groups", {}),
            "python": self.python,
            # a project's uv.lock holds what the project installs (mlrelease.stages.lock)
            "uv.lock": hashlib.sha256(_read_text(project, "uv.lock").encode()).hexdigest()
            if self.install.project
            else "",
            # an editable install points at this directory: a moved or copied project reinstalls
            "root": str(project.root),
        }
        blob = json.dumps(inputs, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def as_data(self) -> dict[str, Any]:
        """JSON-able form for ``mlrelease plan``, with a ``summary`` list of lines."""
        summary: list[str] = []
        if self.skip_reason:
            summary.append(f"skipped: {self.skip_reason}")
        else:
            installs = [*self.install.requirements]
            installs += [f"-r {f}" for f in self.install.requirement_files]
            installs += [f"--group {g}" for g in self.install.groups]
            if self.install.project:
                installs.append(f"-e {self.install.project_spec()}")
            if installs:
                summary.append("install: " + " ".join(installs))
            summary += [
                f"run: {f'(in {c.cwd}) ' if c.cwd else ''}{shlex.join(c.argv)}"
                for c in self.commands
            ]
            if self.outputs:
                summary.append("writes: " + ", ".join(self.outputs))
        summary += list(self.notes)
        return {
            "stage": self.stage,
            "python": self.python,
            "skipped": self.skip_reason,
            "install": {
                "requirements": list(self.install.requirements),
                "project": self.install.project,
                "extras": list(self.install.extras),
                "groups": list(self.install.groups),
                "requirement-files": list(self.install.requirement_files),
            },
            "commands": [
                {
                    "argv": list(c.argv),
                    "why": c.why,
                    "hint": c.hint,
                    "env": dict(c.env),
                    "core": c.core,
                    **({"cwd": c.cwd} if c.cwd else {}),
                }
                for c in self.commands
            ],
            "outputs": list(self.outputs),
            "summary": summary,
        }


def _read_text(project: Project, name: str) -> str:
    try:
        return (project.root / name).read_text(encoding="utf-8")
    except OSError:
        return ""


def existing(project: Project, paths: list[str]) -> list[str]:
    """``paths`` that exist under the project root, in order, without duplicates."""
    seen: list[str] = []
    for p in paths:
        if p not in seen and (project.root / p).exists():
            seen.append(p)
    return seen


def source_root(project: Project) -> str | None:
    """What to lint and type-check: ``src`` for a src layout, else the package itself."""
    if project.source_dir is None:
        return None
    rel = project.source_dir.relative_to(project.root)
    if project.layout == "src" and rel.parts[:1] == ("src",):
        return "src"
    return rel.as_posix()


def reports_dir() -> str:
    """Where JUnit and coverage XML go (one directory for every report).

    Under ``build/`` (next to ``build/docs``): a top-level ``reports/`` would be taken for a second
    package by setuptools' flat-layout discovery and break the build of such projects.
    """
    return "build/reports"


def session_python(project: Project, running: str | None = None) -> str | None:
    """The Python for a session that runs once (lint, docs): None (nox's own interpreter,
    ``running``, e.g. ``"3.12.4"``, default this one) while ``requires-python`` allows it, else
    the newest Python of the test matrix that is installed here (the matrix's newest when none
    is: nox then reports it missing, as for a test session). The lint and docs sessions install
    the project, which an interpreter outside ``requires-python`` cannot."""
    if not project.requires_python:
        return None
    running = running or ".".join(str(part) for part in sys.version_info[:3])
    try:
        if SpecifierSet(project.requires_python).contains(running, prereleases=True):
            return None
    except InvalidSpecifier:
        return None
    pythons = matrix_pythons(project)
    present = available_pythons(tuple(pythons))
    chosen = present or pythons
    return chosen[-1] if chosen else None


def egg_info_dirs(root: Path) -> set[Path]:
    """The ``*.egg-info`` directories setuptools writes beside the sources (at the root, or in
    ``src/``) when the project is installed editable or built: the sessions remove the ones
    they made, so nothing is left in the repository."""
    return {*root.glob("*.egg-info"), *root.glob("*/*.egg-info")}
