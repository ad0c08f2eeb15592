"""What `mlrelease check` measures again: would the lint session pass on the existing code?

init chose ``lint.fail-on`` and ``lint.mypy`` by running the pinned tools; the code or the
configuration can change after. With ``fail-on = "all"`` every old finding fails the lint session,
so check runs the pinned ruff again (only one already cached: uv's cache or the tool environment
init made, never a download) and, when mypy is on, the lint session's own mypy (``.nox/lint``,
when the session has run with this configuration). Nothing is installed; what cannot be measured
offline is said, not guessed. With ``fail-on = "new"`` old findings and errors do not fail, and
without a ``noxfile.py`` there is no lint session: nothing to measure.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from mlrelease._util.console import counted
from mlrelease._util.runner import run
from mlrelease.adopt.measure import lint_debt, provision
from mlrelease.errors import ToolError
from mlrelease.project import Project
from mlrelease.stages.lint import lint_paths, lint_plan
from mlrelease.stages.plan import INSTALL_STAMP

MYPY_TIMEOUT = 300.0
FIX_NEW = 'set tool.mlrelease.lint.fail-on = "new" (only lines changed against lint.base fail)'


def lint_measurements(project: Project) -> list[tuple[str, str, str]]:
    """(level, what, hint) for each tool of the lint session whose old findings would fail it."""
    lint = project.config.lint
    if lint.fail_on == "new" or not (project.root / "noxfile.py").is_file():
        return []  # old findings do not fail; or no noxfile: there is no lint session to fail
    found: list[tuple[str, str, str]] = []
    if lint.ruff or lint.format:
        found += _ruff_measurement(project)
    if lint.mypy != "off":
        found += _mypy_measurement(project)
    return found


def _ruff_measurement(project: Project) -> list[tuple[str, str, str]]:
    lint = project.config.lint
    ruff = provision("ruff", project.config.tools.ruff, cwd=project.root, cached_only=True)
    if ruff.argv is None:
        return [("ok", f"lint debt not re-measured: {ruff.label}", "")]
    debt = lint_debt(project.root, lint_paths(project), ruff)
    if not debt.checked:  # e.g. the pinned ruff is not in uv's cache: nothing is downloaded
        return [("ok", f"lint debt not re-measured: {debt.reason}", "")]
    parts = [counted(debt.findings, "ruff finding")] if lint.ruff and debt.findings else []
    if lint.format and debt.unformatted:
        parts.append(counted(debt.unformatted, "file") + " not ruff-formatted")
    took = f"{ruff.label}, {debt.seconds:.2f} s"
    if not parts:
        return [("ok", f'lint: ruff finds nothing to fail lint.fail-on = "all" ({took})', "")]
    return [
        (
            "warning",
            f'lint.fail-on = "all" but the existing code has {", ".join(parts)} ({took}): '
            "the lint session fails on them",
            f"{FIX_NEW}, or fix them (`ruff check --fix`, `ruff format`)",
        )
    ]


def _lint_session_env(project: Project) -> Path | None:
    """The lint session's environment, when it was made with this configuration's install."""
    plan = lint_plan(project)
    env = project.root / ".nox" / "lint"
    stamp = env / INSTALL_STAMP  # what noxsessions installed there
    try:
        current = stamp.read_text(encoding="utf-8") == plan.fingerprint(project)
    except OSError:
        return None
    return env if current else None


def _mypy_measurement(project: Project) -> list[tuple[str, str, str]]:
    env = _lint_session_env(project)
    bindir = env / ("Scripts" if os.name == "nt" else "bin") if env else None
    mypy = [c for c in lint_plan(project).commands if c.argv[:1] == ("mypy",)]
    if bindir is None or not (bindir / "mypy").exists() or not mypy:
        return [
            (
                "ok",
                "mypy not re-measured: the lint session has not run with this configuration "
                "(`nox -s lint` makes its environment)",
                "",
            )
        ]
    argv = [str(bindir / "mypy"), *mypy[0].argv[1:]]
    path = f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        proc = run(
            argv,
            cwd=project.root,
            env={"PATH": path, "VIRTUAL_ENV": str(env)},
            check=False,
            quiet=True,
            timeout=MYPY_TIMEOUT,
        )
    except ToolError as exc:
        return [("warning", f"mypy not re-measured: {exc}", "")]
    if proc.returncode == 0:
        return [
            ("ok", 'lint: mypy passes in the lint session\'s environment (fail-on = "all")', "")
        ]
    m = re.search(r"Found (\d+) errors?", proc.stdout)
    errors = counted(int(m.group(1)), "error") if m else "errors"
    return [
        (
            "warning",
            f'lint.mypy is on and lint.fail-on = "all", but mypy finds {errors} in the lint '
            "session's environment: the lint session fails on them",
            f'{FIX_NEW}, or set tool.mlrelease.lint.mypy = "off", or fix them',
        )
    ]
