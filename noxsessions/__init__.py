"""Shared nox sessions: a consuming repository's whole noxfile is

.. code-block:: python

    # /// script
    # dependencies = ["nox>=2025.10", "mlrelease>=0.1.0,<0.2"]
    # tool.nox.script-venv-backend = "virtualenv"
    # ///
    import noxsessions

    noxsessions.register()

:func:`register` reads ``[tool.mlrelease]`` through :mod:`mlrelease.project` and defines ``lint``,
``tests-<python>``, ``docs``, ``docs-linkcheck``, ``build``, ``release`` and ``publish``. The
sessions only turn the core's plans (:mod:`mlrelease.stages.lint`, :mod:`mlrelease.stages.test`,
:mod:`mlrelease.stages.docs`, :mod:`mlrelease.stages.build`) into ``session.install`` / ``session.run``.

Environments are made with uv when a working one is found
(:func:`mlrelease.session_support.session_uv`; nox's ``uv|virtualenv`` backend, else virtualenv),
from the index pip is configured with, and reused: a stamp of the install inputs (pinned tools,
extras, the project's dependencies, the Python) sits in each environment, and while it matches
nothing is installed again. The project is installed editable, so source edits need no reinstall.
"""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import sys
import time
from collections.abc import Callable, Collection, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import nox

from mlrelease import session_support
from mlrelease.errors import ConfigError
from mlrelease.project import Project, load_project, matrix_pythons
from mlrelease.session_support import counted
from mlrelease.stages.plan import (
    INSTALL_STAMP,
    StagePlan,
    egg_info_dirs,
    reports_dir,
    session_python,
)

if TYPE_CHECKING:
    from mlrelease.monorepo.members import Workspace

__all__ = ["SESSIONS", "install_plan", "register", "run_plan"]

CHECK_SESSIONS = ("lint", "tests", "docs", "build")
SESSIONS = (*CHECK_SESSIONS, "docs-linkcheck", "release", "publish")


def _load(root: Path) -> Project:
    try:
        return load_project(root)
    except ConfigError as exc:
        session_support.note(f"nox: {root / 'pyproject.toml'}: {exc.render()}")
        raise SystemExit(2) from None


def _stamp_path(session: nox.Session) -> Path | None:
    location = getattr(session.virtualenv, "location", None)
    return Path(location) / INSTALL_STAMP if location else None


def install_plan(session: nox.Session, plan: StagePlan, project: Project) -> None:
    """Install what ``plan`` needs, unless the environment's stamp says it is already there."""
    stamp = _stamp_path(session)
    want = plan.fingerprint(project)
    if stamp is not None and stamp.is_file() and stamp.read_text(encoding="utf-8") == want:
        session.log("environment up to date (install inputs unchanged): nothing to install")
        return
    if stamp is not None and stamp.exists():
        stamp.unlink()
    constraints = _locked_constraints(session, plan, project)
    for args in plan.install.install_args():
        session.install(*args, *constraints)
    if stamp is not None:
        stamp.write_text(want, encoding="utf-8")


def _locked_constraints(session: nox.Session, plan: StagePlan, project: Project) -> list[str]:
    """``["-c", FILE]`` of the project's ``uv.lock`` versions (:mod:`mlrelease.stages.lock`)."""
    from mlrelease.session_support import find_uv
    from mlrelease.stages.lock import CONSTRAINTS, constraint_lines, export_argv, lock_note

    note = lock_note(project, plan.install)
    location = getattr(session.virtualenv, "location", None)
    if note is None or not location:
        return []
    uv = find_uv()
    if uv is None:
        session.warn(
            "uv.lock is not used: no working uv to export it (mlrelease installs uv: reinstall "
            "mlrelease in the environment nox runs from)"
        )
        return []
    exported = session.run_install(*export_argv(uv, plan.install), silent=True, external=True)
    path = Path(location) / CONSTRAINTS
    path.write_text(constraint_lines(str(exported or "")), encoding="utf-8")
    session.log(note)
    return ["-c", str(path)]


def run_plan(
    session: nox.Session, plan: StagePlan, project: Project, *, keep_going: bool = False
) -> None:
    """Run the plan's commands in order; a failure ends the session with the command's hint.

    With ``keep_going`` (the lint session) every command runs, and the session fails at the end
    naming each command that failed, so one run reports ruff, the format check and mypy at once.
    """
    from mlrelease.stages.build import expand

    failed: list[str] = []
    for command in plan.commands:
        argv = expand(command.argv, project)
        external = False
        if command.core:
            argv = [sys.executable, *argv[1:]] if argv[0] == "python" else argv
            external = True
        try:
            if command.cwd:
                with session.chdir(project.root / command.cwd):
                    session.run(*argv, env=dict(command.env), external=external)
            else:
                session.run(*argv, env=dict(command.env), external=external)
        except nox.command.CommandFailed:
            session.warn(f"{command.why} failed: {command.hint}" if command.hint else "")
            if not keep_going:
                raise
            failed.append(command.why)
    if failed:
        summary = (
            f"{len(failed)} of {counted(len(plan.commands), 'check')} failed: {'; '.join(failed)}"
        )
        session.warn(summary)
        raise nox.command.CommandFailed(summary)


@contextlib.contextmanager
def _no_new_egg_info(project: Project) -> Iterator[None]:
    """Remove the ``*.egg-info`` directories the session's editable install or build made
    (setuptools writes them beside the sources): nothing is left in the repository."""
    before = egg_info_dirs(project.root)
    try:
        yield
    finally:
        for path in sorted(egg_info_dirs(project.root) - before):
            shutil.rmtree(path, ignore_errors=True)


def _check_or_skip(session: nox.Session, plan: StagePlan) -> None:
    if plan.skip_reason:
        session.skip(plan.skip_reason)


def register(
    *,
    root: Path | None = None,
    skip: Collection[str] = (),
    venv_backend: str | None = None,
) -> Project | None:
    """Define the shared sessions for the project at ``root`` (default: the noxfile's directory).

    ``skip`` names sessions not to define (e.g. ``{"docs"}``) so the noxfile can define its own
    under that name. Returns the loaded :class:`~mlrelease.project.Project`; at a monorepo root
    (``tool.mlrelease.members``) it defines each member's sessions
    (:mod:`noxsessions.members`) with ``release`` and ``publish`` for all, and returns None.
    """
    workspace = _workspace(root or Path.cwd())
    if workspace is not None:
        from noxsessions.members import register_members

        _configure_nox(venv_backend)
        register_members(workspace, skip)
        for name, define in (("release", _define_release), ("publish", _define_publish)):
            if name not in skip:
                define(None)
        return None
    project = _load(root or Path.cwd())
    unknown = set(skip) - set(SESSIONS)
    if unknown:
        msg = f"noxsessions.register(skip=...): unknown {counted(len(unknown), 'session')} {sorted(unknown)}; known: {', '.join(SESSIONS)}"
        raise SystemExit(msg)
    _configure_nox(venv_backend)
    defined: dict[str, Callable[..., Any]] = {
        "lint": _define_lint,
        "tests": _define_tests,
        "docs": _define_docs,
        "docs-linkcheck": _define_linkcheck,
        "build": _define_build,
        "release": _define_release,
        "publish": _define_publish,
    }
    for name, define in defined.items():
        if name not in skip:
            define(project)
    return project


def _configure_nox(venv_backend: str | None) -> None:
    uv = _use_working_uv()
    nox.options.default_venv_backend = venv_backend or ("uv|virtualenv" if uv else "virtualenv")
    nox.options.reuse_venv = "yes"
    nox.options.download_python = "never"


def _workspace(root: Path) -> Workspace | None:
    from mlrelease.monorepo.members import discover

    try:
        return discover(root)
    except ConfigError as exc:
        session_support.note(f"nox: {root / 'pyproject.toml'}: {exc.render()}")
        raise SystemExit(2) from None


def _use_working_uv() -> str | None:
    """The uv to use (:func:`mlrelease.session_support.session_uv`), made the one PATH finds first,
    with pip's index settings carried over to it (:mod:`mlrelease._util.pipconf`).

    nox and build (``--installer uv``) look ``uv`` up on PATH. When that one does not run (a pyenv
    shim for a uv of another Python exits 127) or is absent while the ``uv`` package's binary is
    installed, a directory holding just a link to the working uv goes first on PATH. With no
    working uv, or pip settings uv cannot follow, the environments are made with virtualenv and
    build installs with pip.
    """
    import os

    from mlrelease.session_support import session_uv, uv_shim_dir

    uv, carry = session_uv()
    if carry.blocked:
        session_support.note(
            f"nox: the sessions install with pip, not uv: {carry.blocked} (to use uv, give it "
            "the index itself: UV_INDEX_URL or a uv.toml; `mlrelease doctor` shows what it follows)"
        )
    if uv is None:
        return None
    for name, value in carry.env.items():
        os.environ.setdefault(name, value)
    on_path = shutil.which("uv")
    if on_path is None or Path(on_path).resolve() != Path(uv).resolve():
        shim = uv_shim_dir(uv)
        os.environ["PATH"] = f"{shim}{os.pathsep}{os.environ.get('PATH', '')}"
    return uv


def _define_lint(project: Project) -> None:
    from mlrelease.stages.lint import lint_plan

    plan = lint_plan(project)

    # nox's own interpreter unless requires-python excludes it (the project is installed for mypy)
    python = session_python(project) if plan.install.project else None

    @nox.session(name="lint", python=python, tags=["check", "lint"], reuse_venv=True)
    def lint(session: nox.Session) -> None:
        """ruff check, ruff format --check and mypy, as the repository configures them."""
        _check_or_skip(session, plan)
        with _no_new_egg_info(project):
            install_plan(session, plan, project)
        run_plan(session, plan, project, keep_going=True)


def _define_tests(project: Project) -> None:
    from mlrelease.stages.test import failure_diagnosis, tests_plan

    # A configured Python that is not installed: nox reports the session as skipped ("Python
    # interpreter 3.X not found"), and as failed when CI is set (--error-on-missing-interpreters).
    pythons = matrix_pythons(project)

    @nox.session(python=pythons, name="tests", tags=["check", "tests"], reuse_venv=True)
    def tests(session: nox.Session) -> None:
        """pytest with coverage (floor from tool.mlrelease.test), reports under build/reports/.

        Arguments after ``--`` go to pytest (``nox -s tests-3.12 -- -m gpu``).
        """
        python = str(session.python)
        plan = tests_plan(project, python, session.posargs)
        _check_or_skip(session, plan)
        _check_interpreter(session, python)
        with _no_new_egg_info(project):
            install_plan(session, plan, project)
        (project.root / reports_dir()).mkdir(parents=True, exist_ok=True)
        started = time.time()
        try:
            run_plan(session, plan, project)
        except nox.command.CommandFailed:
            session.warn(failure_diagnosis(project, python, started))
            raise


def _check_interpreter(session: nox.Session, python: str) -> None:
    """A stale ``python3.X`` on PATH can point at another version: refuse to test on it."""
    got = session.run(
        "python",
        "-c",
        "import sys; print('%d.%d' % sys.version_info[:2])",
        silent=True,
        log=False,
    )
    if isinstance(got, str) and got.strip() != python:
        session.error(
            f"the environment for tests-{python} runs Python {got.strip()}: the python{python} "
            f"found on PATH is not Python {python} (remove it, then rerun with --reuse-venv=no)"
        )


def _define_docs(project: Project) -> None:
    from mlrelease.stages.docs import docs_plan

    plan = docs_plan(project)
    python = session_python(project)  # the project is installed

    @nox.session(name="docs", python=python, tags=["check", "docs"], reuse_venv=True)
    def docs(session: nox.Session) -> None:
        """sphinx-build (warnings as errors, as configured) into build/docs/html."""
        _check_or_skip(session, plan)
        with _no_new_egg_info(project):
            install_plan(session, plan, project)
            run_plan(session, plan, project)


def _define_linkcheck(project: Project) -> None:
    from mlrelease.stages.docs import docs_plan

    plan = docs_plan(project, builder="linkcheck")
    tags = ["check", "docs"] if project.config.docs.linkcheck else ["docs"]
    python = session_python(project)

    @nox.session(
        name="docs-linkcheck",
        python=python,
        tags=tags,
        reuse_venv=True,
        default=project.config.docs.linkcheck,
    )
    def docs_linkcheck(session: nox.Session) -> None:
        """Check the docs' external links (needs network)."""
        _check_or_skip(session, plan)
        with _no_new_egg_info(project):
            install_plan(session, plan, project)
            run_plan(session, plan, project)


def _define_build(project: Project) -> None:
    from mlrelease.stages.build import build_plan

    @nox.session(name="build", tags=["check", "build"], reuse_venv=True)
    def build(session: nox.Session) -> None:
        """sdist + wheel once into the build outdir (reproducible), twine check, wheel contents."""
        from mlrelease.session_support import session_uv
        from mlrelease.stages.build import clean_outdir, dist_files

        plan = build_plan(project, use_uv=session_uv()[0] is not None)
        _check_or_skip(session, plan)
        install_plan(session, plan, project)
        for old in clean_outdir(project):
            session.log(f"removed earlier build output {old.relative_to(project.root)}")
        with _no_new_egg_info(project):
            run_plan(session, plan, project)
        for path in dist_files(project):
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
            session.log(f"built {path.relative_to(project.root)}  sha256 {digest}")


def _define_release(project: Project | None) -> None:
    @nox.session(name="release", python=False, tags=["release"], default=False)
    def release(session: nox.Session) -> None:
        """`mlrelease release` (arguments after -- are passed on, e.g. -- --dry-run)."""
        session.run(sys.executable, "-m", "mlrelease", "release", *session.posargs)


def _define_publish(project: Project | None) -> None:
    @nox.session(name="publish", python=False, tags=["release"], default=False)
    def publish(session: nox.Session) -> None:
        """`mlrelease publish all` with the files the build session wrote."""
        session.run(sys.executable, "-m", "mlrelease", "publish", "all", *session.posargs)
