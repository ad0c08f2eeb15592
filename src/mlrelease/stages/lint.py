"""The lint stage: ruff check, ruff format --check and mypy, as the repository configures them.

:func:`lint_plan` is pure planning. With ``fail-on = "new"`` the ruff steps go through this
module's own command, ``python -m mlrelease.stages.lint_new --base REF PATH...``: ruff has no
baseline, so it runs ruff with JSON output and fails only on findings in lines changed against
``lint.base`` (parsed from ``git diff -U0``), and format-checks only the changed files; mypy
goes through :mod:`mlrelease.stages.mypy_new` alike.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mlrelease._util import console
from mlrelease._util.git import git
from mlrelease._util.runner import echo, run
from mlrelease.errors import MlreleaseError, ToolError
from mlrelease.project import Project
from mlrelease.stages.plan import Command, Install, StagePlan, existing, source_root

_HUNK_RE = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@")
MYPY_CONFIG_FILES = ("mypy.ini", ".mypy.ini", "setup.cfg")


def lint_paths(project: Project) -> list[str]:
    """Package source, test paths and ``lint.paths`` that exist, plus the noxfile."""
    src = source_root(project)
    wanted = [*([src] if src else []), *project.test_paths, *project.config.lint.paths]
    wanted.append("noxfile.py")
    return existing(project, wanted)


def mypy_configures_files(root: Path, pyproject: dict[str, Any]) -> bool:
    """Whether the repository's mypy configuration already names what to check."""
    tool = pyproject.get("tool", {})
    mypy = tool.get("mypy", {}) if isinstance(tool, dict) else {}
    if isinstance(mypy, dict) and ("files" in mypy or "packages" in mypy or "modules" in mypy):
        return True
    for name in MYPY_CONFIG_FILES:
        path = root / name
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if "[mypy]" in text and re.search(r"^\s*(files|packages|modules)\s*=", text, re.M):
                return True
    return False


def _mypy_configures_files(project: Project) -> bool:
    return mypy_configures_files(project.root, project.pyproject)


def lint_plan(project: Project) -> StagePlan:
    cfg = project.config.lint
    tools = project.config.tools
    paths = lint_paths(project)
    if not paths:
        return StagePlan(stage="lint", skip_reason="no package source or test paths found")
    requirements: list[str] = []
    commands: list[Command] = []
    if cfg.ruff or cfg.format:
        requirements.append(tools.requirement("ruff"))
    if cfg.fail_on == "new" and (cfg.ruff or cfg.format):
        argv = ["python", "-m", "mlrelease.stages.lint_new", "--base", cfg.base]
        if not cfg.ruff:
            argv.append("--no-check")
        if cfg.format:
            argv.append("--format")
        commands.append(
            Command(
                argv=(*argv, *paths),
                why=f"ruff: only findings in lines changed against {cfg.base} fail",
                hint="fix the findings listed above (they are in lines you changed); "
                "`ruff check --fix` and `ruff format` fix many",
                core=True,
            )
        )
    else:
        if cfg.ruff:
            commands.append(
                Command(
                    argv=("ruff", "check", *paths),
                    why="ruff check",
                    hint="fix the findings listed above; `ruff check --fix` fixes many",
                )
            )
        if cfg.format:
            commands.append(
                Command(
                    argv=("ruff", "format", "--check", "--diff", *paths),
                    why="ruff format --check",
                    hint="run `ruff format` to apply the diff shown above",
                )
            )
    mypy_on = cfg.mypy != "off"
    if mypy_on:
        requirements.append(tools.requirement("mypy"))
        src = source_root(project)
        targets = [] if _mypy_configures_files(project) else [*([src] if src else [])]
        extra = ["--strict"] if cfg.mypy == "strict" else []
        if targets or _mypy_configures_files(project):
            commands.append(_mypy_command(cfg.fail_on, cfg.base, ("mypy", *extra, *targets)))
    requirements += cfg.requirements
    notes = []
    if mypy_on:
        notes.append("mypy sees the package's own dependencies (the project is installed)")
    return StagePlan(
        stage="lint",
        install=Install(requirements=tuple(requirements), project=mypy_on),
        commands=tuple(commands),
        notes=tuple(notes),
    )


def _mypy_command(fail_on: str, base: str, mypy: tuple[str, ...]) -> Command:
    """mypy as configured; with ``fail-on = "new"`` through :mod:`mlrelease.stages.mypy_new`,
    which fails only on errors in lines changed against ``base`` (as ruff's new findings)."""
    if fail_on == "new":
        return Command(
            argv=("python", "-m", "mlrelease.stages.mypy_new", "--base", base, "--", *mypy),
            why=f"mypy: only errors in lines changed against {base} fail",
            hint="fix the type errors listed above (they are in lines you changed)",
            core=True,
        )
    return Command(
        argv=mypy, why="mypy", hint="fix the type errors listed above (file:line: error: ...)"
    )


def plan_lint(project: Project) -> dict[str, Any]:
    return lint_plan(project).as_data()


# --- fail-on = "new" ----------------------------------------------------------------------------


def changed_lines(diff: str) -> dict[str, set[int]]:
    """Added or modified line numbers per file (new side) from ``git diff -U0`` output."""
    changed: dict[str, set[int]] = {}
    current: set[int] | None = None
    for line in diff.splitlines():
        if line.startswith("+++ "):
            target = line[4:]
            if target == "/dev/null":
                current = None
                continue
            name = target[2:] if target.startswith("b/") else target
            current = changed.setdefault(name, set())
        elif line.startswith("@@") and current is not None:
            m = _HUNK_RE.match(line)
            if m:
                start, count = int(m.group(1)), int(m.group(2) or "1")
                current.update(range(start, start + count))
    return changed


def changed_against(root: Path, base: str) -> tuple[Path, dict[str, set[int] | None]]:
    """(repository top level, {path: changed lines, or None for a whole new file})."""
    try:
        top = Path(git(root, "rev-parse", "--show-toplevel").strip())
    except ToolError:
        raise MlreleaseError(
            f"{root} is not a git repository, so lint.fail-on = 'new' has nothing to compare",
            hint="run inside a git clone, or set tool.mlrelease.lint.fail-on = 'all'",
        ) from None
    try:
        merge_base = git(root, "merge-base", "--end-of-options", base, "HEAD").strip()
    except ToolError:
        raise MlreleaseError(
            f"lint.base {base!r} is not a commit in this clone",
            hint=f"fetch it (e.g. git fetch origin main; CI needs fetch-depth: 0) or set "
            f"tool.mlrelease.lint.base; now {base!r}",
        ) from None
    diff = git(top, "diff", "-U0", "--no-color", "--no-ext-diff", merge_base)
    result: dict[str, set[int] | None] = dict(changed_lines(diff).items())
    untracked = git(top, "ls-files", "--others", "--exclude-standard")
    for name in untracked.splitlines():
        result[name] = None
    return top, result


def is_changed(
    changed: dict[str, set[int] | None], top: Path, filename: str, row: int | None
) -> bool:
    try:
        rel = Path(filename).resolve().relative_to(top).as_posix()
    except ValueError:
        return True  # outside the repository: cannot be old debt
    if rel not in changed:
        return False
    lines = changed[rel]
    return lines is None or row is None or row in lines


def new_findings(
    findings: list[dict[str, Any]], top: Path, changed: dict[str, set[int] | None]
) -> list[dict[str, Any]]:
    """The ruff findings (JSON output) that sit on changed lines."""
    out = []
    for item in findings:
        location = item.get("location") or {}
        row = location.get("row") if isinstance(location, dict) else None
        if is_changed(changed, top, str(item.get("filename", "")), row):
            out.append(item)
    return out


def _format_finding(item: dict[str, Any], root: Path) -> str:
    location = item.get("location") or {}
    name = Path(str(item.get("filename", "")))
    with contextlib.suppress(ValueError):
        name = name.resolve().relative_to(root)
    return f"{name}:{location.get('row', '?')}:{location.get('column', '?')}: {item.get('code') or 'error'} {item.get('message', '')}"


def check_new(root: Path, base: str, paths: Sequence[str], *, check: bool, fmt: bool) -> int:
    """Run ruff on ``paths``; report and count only what changed against ``base``."""

    top, changed = changed_against(root, base)
    failures = 0
    if check:
        result = run(
            ["ruff", "check", "--output-format", "json", "--exit-zero", "--", *paths], cwd=root
        )
        findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
        fresh = new_findings(findings, top, changed)
        for item in fresh:
            console.out(_format_finding(item, root))
        old = len(findings) - len(fresh)
        echo(
            f"ruff: {console.counted(len(fresh), 'finding')} in lines changed against {base}; "
            f"{console.counted(old, 'older finding')} in unchanged lines not counted "
            "(lint.fail-on = 'new')"
        )
        failures += len(fresh)
    if fmt:
        files = [
            p
            for p in _changed_python_files(root, top, changed)
            if any(_under(p, root / q) for q in paths)
        ]
        if files:
            proc = run(["ruff", "format", "--check", "--diff", "--", *files], cwd=root, check=False)
            if proc.returncode != 0:
                console.write(proc.stdout + proc.stderr)
                failures += 1
        else:
            echo(f"ruff format: no Python file changed against {base}")
    return 1 if failures else 0


def _under(path: str, parent: Path) -> bool:
    p = Path(path).resolve()
    parent = parent.resolve()
    return p == parent or parent in p.parents


def _changed_python_files(root: Path, top: Path, changed: dict[str, set[int] | None]) -> list[str]:
    files = []
    for rel, lines in sorted(changed.items()):
        if rel.endswith((".py", ".pyi")) and (lines is None or lines) and (top / rel).is_file():
            files.append(str((top / rel).resolve()))
    return files


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlrelease.stages.lint_new",
        description="ruff, failing only on findings in lines changed against a base ref",
    )
    parser.add_argument("--base", required=True, help="git ref to compare against")
    parser.add_argument("--no-check", action="store_true", help="skip ruff check")
    parser.add_argument("--format", action="store_true", help="ruff format --check changed files")
    parser.add_argument("paths", nargs="+")
    args = parser.parse_args(argv)
    try:
        return check_new(
            Path.cwd(), args.base, args.paths, check=not args.no_check, fmt=args.format
        )
    except MlreleaseError as exc:
        console.error(exc.message, hint=exc.hint)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
