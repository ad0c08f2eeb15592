"""The CI matrix of a monorepo: one entry per member and Python, for ``strategy.matrix``.

On a pull request (``GITHUB_BASE_REF`` set) or with an explicit base only the affected members
are listed; on a push to main every member is.
"""

from __future__ import annotations

import os
from typing import Any

from mlrelease.monorepo.affected import Affected, affected
from mlrelease.monorepo.members import Workspace, load_member_project
from mlrelease.project import matrix_pythons


def pull_request_base() -> str | None:
    """``origin/<base branch>`` on a GitHub pull request, else None."""
    branch = os.environ.get("GITHUB_BASE_REF", "").strip()
    return f"origin/{branch}" if branch else None


def member_matrix(
    workspace: Workspace, base: str | None, pythons: tuple[str, ...] = ()
) -> tuple[dict[str, Any], Affected]:
    """``{"include": [{member, path, python, session}, ...]}`` and the affected set behind it."""
    which = affected(workspace, base)
    include: list[dict[str, str]] = []
    for key in which.members:
        member = workspace.members[key]
        project = load_member_project(workspace, member)
        for python in pythons or tuple(matrix_pythons(project)):
            include.append(
                {
                    "member": key,
                    "path": member.path,
                    "python": python,
                    "session": f"tests-{key}-{python}",
                }
            )
    return {"include": include}, which
