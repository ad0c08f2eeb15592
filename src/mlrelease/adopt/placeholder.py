"""Where the caller workflow finds the reusable workflows, and the placeholder used when unknown.

A platform team hosts the reusable workflows in a repository of its own. ``init`` takes it from
``--workflows-repo``, else ``$MLRELEASE_WORKFLOWS_REPO``, else ``workflows-repo`` in the
organisation's defaults file (:mod:`mlrelease.adopt.orgdefaults`); without any of them it writes
:data:`PLACEHOLDER_REPO`, says so, and ``check``/``doctor`` fail until the caller names a real one.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from mlrelease.adopt.orgdefaults import load_org_defaults, org_defaults_path
from mlrelease.errors import ConfigError, Problem

PLACEHOLDER_REPO = "contoso/mlrelease"
PLACEHOLDER = f"{PLACEHOLDER_REPO}@v1"
WORKFLOWS_REPO_ENV = "MLRELEASE_WORKFLOWS_REPO"
ORG_KEY = "workflows-repo"
_WORKFLOWS_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(?:@[\w./-]+)?$")
# A caller's job-level `uses:` of a reusable workflow in the placeholder repository (the setup
# action steps inside mlrelease's own reusable workflows are that repository's, not a caller's).
_USES_PLACEHOLDER = re.compile(
    rf"^\s*uses:\s*[\"']?{re.escape(PLACEHOLDER_REPO)}/\.github/workflows/", re.IGNORECASE
)
FIX = (
    f'name the repository that hosts the reusable workflows: set {ORG_KEY} = "OWNER/REPO@REF" '
    f"in {{defaults}} (or ${WORKFLOWS_REPO_ENV}) and run mlrelease init --force, or edit the "
    "uses: lines"
)


@dataclass(frozen=True)
class WorkflowsRepo:
    repo: str  # OWNER/REPO
    ref: str
    source: str  # "--workflows-repo", the variable, the defaults file, or "placeholder"

    @property
    def placeholder(self) -> bool:
        return self.source == "placeholder"


def fix_text() -> str:
    return FIX.format(defaults=org_defaults_path())


def resolve_workflows_repo(value: str | None = None) -> WorkflowsRepo:
    """The workflows repository and where the setting came from (``OWNER/REPO[@REF]``, ref
    defaulting to ``v1``)."""
    source, text = "placeholder", PLACEHOLDER
    if value:
        source, text = "--workflows-repo", value
    elif os.environ.get(WORKFLOWS_REPO_ENV, "").strip():
        source, text = WORKFLOWS_REPO_ENV, os.environ[WORKFLOWS_REPO_ENV]
    else:
        org = load_org_defaults().get(ORG_KEY)
        if org is not None:
            source, text = (
                f"{org_defaults_path()}: {ORG_KEY}",
                str(org) if isinstance(org, str) else "",
            )
    text = text.strip()
    if not _WORKFLOWS_REPO.match(text):
        raise ConfigError(
            [
                Problem(
                    file=source,
                    key="",
                    message=f"{text!r} is not OWNER/REPO or OWNER/REPO@REF",
                    hint="e.g. --workflows-repo my-org/mlrelease@v1",
                )
            ]
        )
    repo, _, ref = text.partition("@")
    return WorkflowsRepo(repo, ref or "v1", source)


def placeholder_uses(root: Path) -> list[tuple[str, int]]:
    """(file relative to ``root``, line number) of each ``uses:`` of the placeholder repository
    in the repository's workflows."""
    found: list[tuple[str, int]] = []
    directory = root / ".github" / "workflows"
    if not directory.is_dir():
        return found
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            continue
        rel = path.relative_to(root).as_posix()
        found += [(rel, n) for n, line in enumerate(lines, 1) if _USES_PLACEHOLDER.match(line)]
    return found
