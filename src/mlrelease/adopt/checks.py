"""What `mlrelease check` and `mlrelease doctor` verify: the configuration and what its stages need."""

from __future__ import annotations

import importlib.util
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement

from mlrelease._util.git import Repo
from mlrelease._util.pyenv import inactive_shim
from mlrelease.adopt.noxheader import header_findings
from mlrelease.adopt.placeholder import PLACEHOLDER_REPO, fix_text, placeholder_uses
from mlrelease.adopt.remeasure import lint_measurements
from mlrelease.auth.feed import TOKEN_ENV
from mlrelease.auth.registry import PASSWORD_ENV, is_acr
from mlrelease.config.pins import DEFAULT_TOOLS
from mlrelease.errors import ConfigError, ToolError
from mlrelease.images.engines import detect_engine_name
from mlrelease.project import available_pythons, load_project, matrix_pythons
from mlrelease.versioning.stamping import stamp_targets
from mlrelease.wheels.backends import resolve as resolve_feed
from mlrelease.wheels.dist import twine_command

if TYPE_CHECKING:
    from mlrelease.project import Project


@dataclass(frozen=True)
class Finding:
    level: str  # "error" | "warning" | "ok"
    what: str
    hint: str = ""


def environment_findings(root: Path, pythons: tuple[str, ...] = ()) -> list[Finding]:
    """What the configured stages need from the machine and the repository.

    ``pythons`` overrides the test matrix (``--python``, a workflow's python-versions input).
    """

    project = load_project(root)  # raises ConfigError (exit 2) first
    stamp_targets(project)  # what `release` would reject about version.stamp: exit 2 here too
    findings: list[Finding] = [Finding("ok", "configuration [tool.mlrelease] is valid")]
    in_ci = os.environ.get("CI", "").lower() in ("1", "true")
    if shutil.which("git") is None:
        findings.append(Finding("error", "git is not installed", "install git"))
    elif not Repo(project.root).is_repository():
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
    findings += [Finding(level, what, hint) for level, what, hint in lint_measurements(project)]
    wanted = list(pythons) or matrix_pythons(project)
    missing = [v for v in wanted if v not in available_pythons()]
    for version in missing:
        findings.append(_missing_python(version, "error" if in_ci else "warning"))
    if shutil.which("nox") is None:
        findings.append(
            Finding(
                "warning",
                "nox is not on PATH",
                "pipx install nox (or uvx nox) to run the sessions locally",
            )
        )
    findings += stage_tool_findings(project)
    findings += caller_findings(project.root)
    if project.config.publish.images:
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


def _missing_python(version: str, level: str) -> Finding:
    """python3.X of the test matrix does not run: absent, or a pyenv shim of an unselected one."""
    shim = inactive_shim(f"python{version}")
    if shim is None:
        return Finding(
            level,
            f"python{version} (test matrix) is not on PATH",
            "install it (uv python install, pyenv, actions/setup-python) or narrow "
            "tool.mlrelease.python",
        )
    installed = (
        f"installed: {', '.join(shim.installed)}" if shim.installed else "no version installs it"
    )
    return Finding(
        level,
        f"python{version} (test matrix) on PATH is a pyenv shim for a version that is not "
        f"selected ({shim.shim}; {installed}; selected: {shim.current or 'unknown'})",
        shim.hint()
        if shim.installed
        else f"pyenv install {version}, then select it (pyenv local), or narrow "
        "tool.mlrelease.python",
    )


def stage_tool_findings(project: Project) -> list[Finding]:
    """The Python tools the release and publish commands drive, in this environment.

    twine (publish wheels) is a dependency of mlrelease; azure-identity (the ``azure`` extra) is
    needed when an Azure target is configured and no token is given in the environment. The version
    needs no tool: python-semantic-release's rules are built in (a pin of another PSR is a warning).
    """

    reinstall = "reinstall mlrelease here (pip install --force-reinstall mlrelease)"
    findings: list[Finding] = _psr_pin_findings(project)

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


def _psr_pin_findings(project: Project) -> list[Finding]:
    """A warning when [tool.mlrelease.tools] pins python-semantic-release to another release than
    the one whose rules mlrelease follows: the version is computed in-process, so the pin changes
    nothing."""

    tool = "python-semantic-release"
    try:
        wanted = Requirement(project.config.tools.requirement(tool))
    except InvalidRequirement:
        return []
    follows = DEFAULT_TOOLS[tool]
    if wanted.specifier.contains(follows, prereleases=True):
        return []
    return [
        Finding(
            "warning",
            f"tool.mlrelease.tools.{tool} wants {wanted.specifier}, but mlrelease computes the "
            f"version with {tool} {follows}'s rules, built in: the pin has no effect",
            f"remove tool.mlrelease.tools.{tool} (or write {follows})",
        )
    ]


def _azure_targets(project: Project) -> list[tuple[str, str]]:
    """(target, environment variable that makes azure-identity unnecessary) for each Azure
    target that has no token in the environment."""

    out: list[tuple[str, str]] = []
    try:
        azure_feed = resolve_feed(project).kind == "azure-artifacts"
    except ConfigError:
        azure_feed = False
    if azure_feed and not os.environ.get(TOKEN_ENV):
        out.append(("the feed (tool.mlrelease.publish.feed)", TOKEN_ENV))
    if not os.environ.get(PASSWORD_ENV):
        for image in project.config.publish.images:
            if image.registry and is_acr(image.registry):
                out.append((f"registry {image.registry} (image {image.name})", PASSWORD_ENV))
    return out


def _lint_base_findings(project: Project) -> list[Finding]:
    """``lint.fail-on = "new"`` compares against ``lint.base``: it must resolve in this clone."""

    lint = project.config.lint
    if lint.fail_on != "new" or not (lint.ruff or lint.format or lint.mypy != "off"):
        return []
    repo = Repo(project.root)
    if repo.query("rev-parse", "--verify", "--quiet", f"{lint.base}^{{commit}}") is not None:
        return [Finding("ok", f'lint.base {lint.base} resolves (lint.fail-on = "new")')]
    branch = lint.base.rpartition("/")[2]
    shallow = repo.query("rev-parse", "--is-shallow-repository")
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


def caller_findings(root: Path) -> list[Finding]:
    """The caller workflows still using the placeholder workflows repository (errors), and the
    noxfile's PEP 723 header against this CLI's version (:mod:`mlrelease.adopt.noxheader`)."""
    findings = [
        Finding(
            "error",
            f"{path}:{line}: uses the placeholder workflows repository {PLACEHOLDER_REPO}, "
            "which does not exist for your organisation",
            fix_text(),
        )
        for path, line in placeholder_uses(root)
    ]
    findings += [Finding(level, what, hint) for level, what, hint in header_findings(root)]
    return findings
