"""Handlers of the configuration commands: check, plan, matrix, schema."""

from __future__ import annotations

import argparse
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlrelease import console
from mlrelease.errors import EXIT_FAILURE, EXIT_OK

if TYPE_CHECKING:
    from mlrelease.project import Project


def project_dir(args: argparse.Namespace) -> Path:
    path: Path = getattr(args, "project", None) or Path()
    return path


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning" | "ok"
    what: str
    hint: str = ""


def environment_findings(root: Path, pythons: tuple[str, ...] = ()) -> list[Finding]:
    """What the configured stages need from the machine and the repository.

    ``pythons`` overrides the test matrix (``--python``, a workflow's python-versions input).
    """
    from mlrelease import git
    from mlrelease.project import available_pythons, load_project, matrix_pythons
    from mlrelease.stamping import stamp_targets

    project = load_project(root)  # raises ConfigError (exit 2) first
    stamp_targets(project)  # what `release` would reject about version.stamp: exit 2 here too
    findings: list[Finding] = [Finding("ok", "configuration [tool.mlrelease] is valid")]
    in_ci = os.environ.get("CI", "").lower() in ("1", "true")
    if shutil.which("git") is None:
        findings.append(Finding("error", "git is not installed", "install git"))
    elif not git.is_repository(project.root):
        findings.append(
            Finding(
                "error",
                f"{project.root} is not a git repository",
                "run `git init` (versions and tags come from git)",
            )
        )
    else:
        findings.append(Finding("ok", "git repository"))
        findings += _lint_base_findings(project)
    wanted = list(pythons) or matrix_pythons(project)
    missing = [v for v in wanted if v not in available_pythons()]
    for version in missing:
        findings.append(
            Finding(
                "error" if in_ci else "warning",
                f"python{version} (test matrix) is not on PATH",
                "install it (uv python install, pyenv, actions/setup-python) or narrow "
                "tool.mlrelease.python",
            )
        )
    if shutil.which("nox") is None:
        findings.append(
            Finding(
                "warning",
                "nox is not on PATH",
                "pipx install nox (or uvx nox) to run the sessions locally",
            )
        )
    if project.config.publish.images:
        from mlrelease.engines import detect_engine_name

        engine = detect_engine_name(project.config.publish.container_engine)
        if engine is None:
            findings.append(
                Finding(
                    "error",
                    "images are configured but no container engine was found",
                    "install docker, podman or buildah",
                )
            )
        else:
            findings.append(Finding("ok", f"container engine: {engine}"))
    if project.docs_dir is None and project.config.docs.enabled:
        findings.append(
            Finding(
                "warning",
                "no Sphinx docs found (docs/, docs/source/, doc/)",
                "set tool.mlrelease.docs.source, or docs.enabled = false",
            )
        )
    return findings


def _lint_base_findings(project: Project) -> list[Finding]:
    """``lint.fail-on = "new"`` compares against ``lint.base``: it must resolve in this clone."""
    from mlrelease import git

    lint = project.config.lint
    if lint.fail_on != "new" or not (lint.ruff or lint.format):
        return []
    code, _ = git.run_git(
        project.root, "rev-parse", "--verify", "--quiet", f"{lint.base}^{{commit}}"
    )
    if code == 0:
        return [Finding("ok", f'lint.base {lint.base} resolves (lint.fail-on = "new")')]
    branch = lint.base.rpartition("/")[2]
    _, shallow = git.run_git(project.root, "rev-parse", "--is-shallow-repository")
    if shallow == "true":  # e.g. CI's plan job: only the lint job fetches the whole history
        return [
            Finding(
                "warning",
                f'lint.base {lint.base!r} is not in this shallow clone (lint.fail-on = "new")',
                "the lint session needs the whole history: fetch-depth: 0 in CI, "
                "or git fetch --unshallow",
            )
        ]
    return [
        Finding(
            "error",
            f'lint.base {lint.base!r} is not a commit in this clone: lint.fail-on = "new" '
            "compares against it, so the lint session would fail",
            f"fetch it (git fetch origin {branch}; CI needs fetch-depth: 0), or set "
            "tool.mlrelease.lint.base in pyproject.toml to a ref that exists "
            "(e.g. origin/master, or master without a remote)",
        )
    ]


def cmd_check(args: argparse.Namespace) -> int:
    findings = environment_findings(project_dir(args), getattr(args, "python", ()))
    failed = False
    for f in findings:
        if f.level == "ok":
            console.out(f"ok: {f.what}")
        else:
            failed |= f.level == "error"
            console.out(f"{f.level}: {f.what}" + (f" (hint: {f.hint})" if f.hint else ""))
            if f.level == "error":
                console.annotate_error(f"{f.what} ({f.hint})")
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from mlrelease.plan import build_plan, render_text
    from mlrelease.project import load_project
    from mlrelease.stamping import stamp_targets

    project = load_project(project_dir(args))
    stamp_targets(project)  # what `release` would reject about version.stamp: exit 2 here too
    stages = tuple(args.stage) if args.stage else None
    plan = build_plan(project, stages=stages)
    console.out(json.dumps(plan, indent=2, sort_keys=False) if args.json else render_text(plan))
    return EXIT_OK


def cmd_matrix(args: argparse.Namespace) -> int:
    from mlrelease.plan import matrix
    from mlrelease.project import load_project

    project = load_project(project_dir(args))
    data = matrix(project)
    if getattr(args, "python", ()):
        data["python"] = list(args.python)
    console.out(json.dumps(data, separators=(",", ":")))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from mlrelease.schema import tool_schema

    console.out(json.dumps(tool_schema(), indent=2))
    return EXIT_OK
