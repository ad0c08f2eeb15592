"""``mlrelease new NAME --template SRC``: an organisation's copier template, then adoption as init.

copier (the ``template`` extra of mlrelease) renders ``SRC`` (a directory or a git URL) into the new
directory: with ``--defaults`` and the ``--data`` answers when nothing can be asked (no terminal),
interactively on a terminal. Templates' tasks and migrations are not run (no ``--trust``). The
result must be a Python project (a pyproject.toml); mlrelease then adds what ``init`` adds, writes
the render record and commits on ``main``, as :func:`mlrelease.adopt.new.create` does.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from mlrelease.adopt.init import Change
from mlrelease.adopt.new import adopt_and_commit, check_name, check_target, git_identity
from mlrelease.errors import EnvironmentProblem, ToolError

EXTRA = "template"


def copier_available() -> bool:
    return importlib.util.find_spec("copier") is not None


def create_from_template(
    name: str,
    target: Path,
    template: str,
    *,
    data: dict[str, str],
    workflows_repo: str,
    interactive: bool,
) -> list[Change]:
    check_name(name)
    check_target(target)
    if not copier_available():
        raise EnvironmentProblem(
            "mlrelease new --template renders copier templates, and copier is not installed "
            "with this mlrelease",
            hint=f"copier comes with mlrelease's {EXTRA!r} extra: install mlrelease[{EXTRA}] "
            "(the dev extra includes it)",
        )
    git_identity(target.parent if target.parent.is_dir() else Path.cwd())
    existed = target.exists()
    argv = [sys.executable, "-m", "copier", "copy", "--quiet"]
    if not interactive:
        argv.append("--defaults")
    for key, value in sorted(data.items()):
        argv += ["--data", f"{key}={value}"]
    argv += ["--", template, str(target)]
    proc = subprocess.run(
        argv,
        check=False,
        text=True,
        stdin=None if interactive else subprocess.DEVNULL,
        stdout=None if interactive else subprocess.PIPE,
        stderr=None if interactive else subprocess.PIPE,
    )
    if proc.returncode != 0:
        if not existed:  # nothing half-made is left behind
            shutil.rmtree(target, ignore_errors=True)
        output = ((proc.stdout or "") + (proc.stderr or "")).strip().splitlines()
        raise ToolError(
            f"copier could not render {template}: {output[-1] if output else 'no output'}",
            hint="check the template path or URL; without a terminal give every question that "
            "has no default with --data KEY=VALUE",
            returncode=proc.returncode,
            output="\n".join(output),
        )
    if not (target / "pyproject.toml").is_file():
        raise EnvironmentProblem(
            f"{template}: the template made no pyproject.toml in {target}",
            hint="mlrelease adopts Python projects: use a template that makes a pyproject.toml "
            "with [build-system] and [project]",
        )
    answers = {"name": name, "template": template}
    message = f"feat: {name}, made with mlrelease new from a template"
    return adopt_and_commit(target, workflows_repo, answers, message)
