"""Publishing from a dirty tree: what decides a publication must be what the release commit holds.

``publish wheels|images|all`` refuse (unless ``--allow-dirty``) when the files that decide what is
published differ from HEAD: ``pyproject.toml``'s ``[tool.mlrelease]`` table (targets, tags, images)
and ``[project]`` table (name, version, dependencies), and the Dockerfile of each configured image.
A change elsewhere in pyproject.toml (a linter's settings, say) is not one. Outside git nothing is
checked (the release-tag preflight says what is wrong there).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mlrelease._util.git import Repo
from mlrelease.errors import EnvironmentProblem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

if TYPE_CHECKING:
    from mlrelease.project import Project

PYPROJECT_TABLES = (("tool", "mlrelease"), ("project",))


def _table(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    for key in path:
        data = data.get(key, {}) if isinstance(data, dict) else {}
    return data


def _committed(repo: Repo, rel: str) -> str | None:
    """The file's text at HEAD (``rel`` relative to the repository's working directory)."""
    result = repo.run("show", f"HEAD:./{rel}")
    return result.stdout if result.returncode == 0 else None


def _changed(repo: Repo, rel: str) -> bool:
    """Uncommitted (staged or not) or untracked."""
    out = repo.query("status", "--porcelain", "--untracked-files=all", "--", rel)
    return bool(out)


def dirty_publish_inputs(project: Project, *, images: bool) -> list[str]:
    """What differs from HEAD among the files that decide the publication, one line each."""
    repo = Repo(project.root)
    if repo.head_sha() is None:
        return []
    found: list[str] = []
    if _changed(repo, "pyproject.toml"):
        text = _committed(repo, "pyproject.toml")
        try:
            head = tomllib.loads(text) if text is not None else {}
        except tomllib.TOMLDecodeError:
            head = {}
        for path in PYPROJECT_TABLES:
            if _table(head, path) != _table(project.pyproject, path):
                found.append(f"pyproject.toml: [{'.'.join(path)}] has uncommitted changes")
    if images:
        for image in project.config.publish.images:
            if image.dockerfile is None:
                continue  # the built-in template is mlrelease's own
            rel = Path(str(image.dockerfile)).as_posix()
            if _changed(repo, rel) and f"{rel}: has uncommitted changes" not in found:
                found.append(f"{rel}: has uncommitted changes")
    return found


def refuse_dirty(project: Project, *, images: bool, allow_dirty: bool) -> list[str]:
    """Raise when the publication's inputs are dirty, unless ``allow_dirty``; return what was
    dirty (for a note when it was allowed)."""
    dirty = dirty_publish_inputs(project, images=images)
    if dirty and not allow_dirty:
        raise EnvironmentProblem(
            "refusing to publish from a dirty tree: what decides the publication differs from "
            "the commit being released:\n" + "\n".join(f"  - {d}" for d in dirty),
            hint="commit the changes (and release again), or `git stash` them; "
            "--allow-dirty publishes anyway",
        )
    return dirty
