"""The sessions of a monorepo root: each member's lint, tests, docs and build, one session per
member (and Python): ``lint-<member>``, ``tests-<member>-<python>``, ``docs-<member>``,
``build-<member>``. Each runs in the member's directory with the member's own (merged)
configuration, so the stage planners see an ordinary project. The members the member depends on
are installed editable first, so a sibling never comes from an index.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection
from pathlib import Path

import nox

from mlrelease.monorepo.members import Member, Workspace, load_member_project
from mlrelease.project import Project, matrix_pythons
from mlrelease.stages.plan import StagePlan, reports_dir, session_python


def _siblings(workspace: Workspace, member: Member) -> list[str]:
    """Paths (relative to the member) of every member it depends on, directly or not."""
    seen: list[str] = []
    todo = list(member.depends_on)
    while todo:
        key = todo.pop()
        if key in seen:
            continue
        seen.append(key)
        todo += workspace.members[key].depends_on
    return [
        os.path.relpath(workspace.members[k].root, member.root)
        for k in workspace.members
        if k in seen
    ]


def _install(session: nox.Session, plan: StagePlan, project: Project, siblings: list[str]) -> None:
    from noxsessions import install_plan

    if siblings and not plan.skip_reason:
        location = getattr(session.virtualenv, "location", None)
        marker = Path(location) / ".mlrelease-siblings" if location else None
        want = hashlib.sha256("\n".join(siblings).encode()).hexdigest()
        if marker is None or not marker.is_file() or marker.read_text(encoding="utf-8") != want:
            session.install(*[a for path in siblings for a in ("-e", path)])
            if marker is not None:
                marker.write_text(want, encoding="utf-8")
    install_plan(session, plan, project)


def register_members(workspace: Workspace, skip: Collection[str] = ()) -> list[Project]:
    """Define the four check sessions of every member; return the members' projects."""
    projects = []
    for member in workspace.ordered():
        project = load_member_project(workspace, member)
        projects.append(project)
        siblings = _siblings(workspace, member)
        for stage, define in (
            ("lint", _define_lint),
            ("tests", _define_tests),
            ("docs", _define_docs),
            ("build", _define_build),
        ):
            if stage not in skip:
                define(member.key, project, siblings)
    _define_aggregates(workspace, projects, skip)
    return projects


def _define_aggregates(
    workspace: Workspace, projects: list[Project], skip: Collection[str]
) -> None:
    """``lint``, ``docs`` and ``build`` at the root run that session of every member (nox's
    ``requires``), so ``nox -s lint`` and the reusable workflows' jobs work unchanged; ``build``
    also gathers every member's files into the root's build outdir (one CI artifact)."""
    for stage in ("lint", "docs", "build"):
        if stage in skip:
            continue
        needed = [f"{stage}-{key}" for key in workspace.members]
        body = _aggregate(stage, needed, workspace, projects if stage == "build" else [])
        nox.session(name=stage, python=False, requires=needed, default=False)(body)


def _aggregate(
    stage: str, needed: list[str], workspace: Workspace, built: list[Project]
) -> Callable[[nox.Session], None]:
    def every(session: nox.Session) -> None:
        if built:
            from mlrelease.monorepo.publish import gather_dist

            for path in gather_dist(workspace, built):
                session.log(f"gathered {path.relative_to(workspace.root)}")
        session.log(f"{stage}: every member passed ({', '.join(needed)})")

    every.__doc__ = f"{stage} of every member: {', '.join(needed)}."
    return every


def _define_lint(key: str, project: Project, siblings: list[str]) -> None:
    from mlrelease.stages.lint import lint_plan

    python = session_python(project) if lint_plan(project).install.project else None

    @nox.session(name=f"lint-{key}", python=python, tags=["check", "lint", key], reuse_venv=True)
    def lint(session: nox.Session) -> None:
        """ruff check, ruff format --check and mypy of one member."""
        from noxsessions import run_plan

        plan = lint_plan(project)
        if plan.skip_reason:
            session.skip(plan.skip_reason)
        with session.chdir(project.root):
            _install(session, plan, project, siblings)
            run_plan(session, plan, project, keep_going=True)


def _define_tests(key: str, project: Project, siblings: list[str]) -> None:
    from mlrelease.stages.test import tests_plan

    @nox.session(
        python=matrix_pythons(project),
        name=f"tests-{key}",
        tags=["check", "tests", key],
        reuse_venv=True,
    )
    def tests(session: nox.Session) -> None:
        """pytest with coverage of one member, reports under its build/reports/."""
        from noxsessions import run_plan

        plan = tests_plan(project, str(session.python), session.posargs)
        if plan.skip_reason:
            session.skip(plan.skip_reason)
        with session.chdir(project.root):
            _install(session, plan, project, siblings)
            (project.root / reports_dir()).mkdir(parents=True, exist_ok=True)
            run_plan(session, plan, project)


def _define_docs(key: str, project: Project, siblings: list[str]) -> None:
    from mlrelease.stages.docs import docs_plan

    python = session_python(project)  # the member is installed: within its requires-python

    @nox.session(name=f"docs-{key}", python=python, tags=["check", "docs", key], reuse_venv=True)
    def docs(session: nox.Session) -> None:
        """sphinx-build of one member's docs."""
        from noxsessions import run_plan

        plan = docs_plan(project)
        if plan.skip_reason:
            session.skip(plan.skip_reason)
        with session.chdir(project.root):
            _install(session, plan, project, siblings)
            run_plan(session, plan, project)


def _define_build(key: str, project: Project, siblings: list[str]) -> None:
    from mlrelease.stages.build import build_plan

    @nox.session(name=f"build-{key}", tags=["check", "build", key], reuse_venv=True)
    def build(session: nox.Session) -> None:
        """sdist + wheel of one member into its own build outdir (e.g. <member>/dist)."""
        from mlrelease.session_support import session_uv
        from mlrelease.stages.build import clean_outdir, dist_files
        from noxsessions import install_plan, run_plan

        plan = build_plan(project, use_uv=session_uv()[0] is not None)
        if plan.skip_reason:
            session.skip(plan.skip_reason)
        with session.chdir(project.root):
            install_plan(session, plan, project)
            clean_outdir(project)
            run_plan(session, plan, project)
            for path in dist_files(project):
                digest = hashlib.sha256(path.read_bytes()).hexdigest()
                session.log(f"built {path.relative_to(project.root)}  sha256 {digest}")
