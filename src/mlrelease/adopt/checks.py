"""Handlers of the configuration commands: check, plan, matrix, schema."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from mlrelease._util.git import Repo
from mlrelease.images.engines import detect_engine_name
from mlrelease.project import available_pythons, load_project, matrix_pythons


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
