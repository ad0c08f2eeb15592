"""What `mlrelease check` and `mlrelease doctor` verify: the configuration and what its stages need."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from mlrelease._util.git import Repo
from mlrelease.images.engines import detect_engine_name
from mlrelease.project import available_pythons, load_project, matrix_pythons
from mlrelease.versioning.stamping import stamp_targets

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

    lint = project.config.lint
    if lint.fail_on != "new" or not (lint.ruff or lint.format):
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
