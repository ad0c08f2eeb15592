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

    project = load_project(root)  # raises ConfigError (exit 2) first
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
    findings += stage_tool_findings(project)
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


def stage_tool_findings(project: Project) -> list[Finding]:
    """The Python tools the release and publish commands drive, in this environment.

    python-semantic-release (version, release) and twine (publish wheels) are dependencies of
    mlrelease; azure-identity (the ``azure`` extra) is needed when an Azure target is configured
    and no token is given in the environment.
    """
    import importlib.util

    from mlrelease import semrel
    from mlrelease.errors import ToolError

    reinstall = "reinstall mlrelease here (pip install --force-reinstall mlrelease)"
    findings: list[Finding] = []
    if semrel.available():
        findings.append(Finding("ok", "python-semantic-release (version, release)"))
        findings += _pin_findings(project, "python-semantic-release")
    else:
        findings.append(
            Finding(
                "error",
                "python-semantic-release is not installed: mlrelease version and release "
                "cannot run",
                reinstall,
            )
        )
    from mlrelease.distfiles import twine_command

    try:
        twine_command()
        findings.append(Finding("ok", "twine (publish wheels)"))
    except ToolError:
        findings.append(
            Finding(
                "error",
                "twine is not installed: mlrelease publish wheels cannot run",
                reinstall,
            )
        )
    needs = _azure_targets(project)
    try:
        azure_identity = importlib.util.find_spec("azure.identity") is not None
    except ImportError:  # no azure namespace package at all
        azure_identity = False
    if needs and not azure_identity:
        for what, env in needs:
            findings.append(
                Finding(
                    "error",
                    f"{what} is an Azure target but azure-identity is not installed",
                    f"pip install 'mlrelease[azure]' (the setup action does), or set {env}",
                )
            )
    elif needs:
        findings.append(Finding("ok", "azure-identity (Azure targets)"))
    return findings


def _pin_findings(project: Project, tool: str) -> list[Finding]:
    """A warning when [tool.mlrelease.tools] pins ``tool`` to a version other than the one
    installed with mlrelease (the installed one is what the commands run)."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import InvalidRequirement, Requirement

    try:
        installed = version(tool)
        wanted = Requirement(project.config.tools.requirement(tool))
    except (PackageNotFoundError, InvalidRequirement):
        return []
    if wanted.specifier.contains(installed, prereleases=True):
        return []
    return [
        Finding(
            "warning",
            f"tool.mlrelease.tools.{tool} wants {wanted.specifier} but {installed} is installed "
            "with mlrelease, and that one runs",
            f"pip install '{wanted}' into mlrelease's environment, or remove the pin",
        )
    ]


def _azure_targets(project: Project) -> list[tuple[str, str]]:
    """(target, environment variable that makes azure-identity unnecessary) for each Azure
    target that has no token in the environment."""
    from mlrelease.acr import PASSWORD_ENV, is_acr
    from mlrelease.credentials import TOKEN_ENV
    from mlrelease.errors import ConfigError
    from mlrelease.feeds import resolve_target

    out: list[tuple[str, str]] = []
    try:
        azure_feed = resolve_target(project).kind == "azure-artifacts"
    except ConfigError:
        azure_feed = False
    if azure_feed and not os.environ.get(TOKEN_ENV):
        out.append(("the feed (tool.mlrelease.publish.feed)", TOKEN_ENV))
    if not os.environ.get(PASSWORD_ENV):
        for image in project.config.publish.images:
            if image.registry and is_acr(image.registry):
                out.append((f"registry {image.registry} (image {image.name})", PASSWORD_ENV))
    return out


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

    project = load_project(project_dir(args))
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
