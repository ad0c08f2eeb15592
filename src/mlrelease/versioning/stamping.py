"""What carries the version: stamping it into files, and checking a pushed tag against them.

Static versions live in pyproject (``project.version`` or poetry's ``tool.poetry.version``) and in
the package's ``__version__`` when it is a string literal; files listed in
``tool.mlrelease.version.stamp`` join them. Dynamic versions (hatch-vcs, setuptools-scm) are not
stamped: the tag is the version.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import tomlkit

from mlrelease._util.git import git
from mlrelease.errors import ConfigError, Problem, ReleaseError
from mlrelease.project import Project, read_version_file
from mlrelease.versioning.versions import parse_version, version_of_tag, versions_equal

# --- stamping ----------------------------------------------------------------------------------

_VAR_RE = (
    r"^(?P<head>{var}\s*(?::\s*[A-Za-z_][\w.\[\]]*\s*)?=\s*)(?P<q>['\"])(?P<value>[^'\"]*)(?P=q)"
)


WHOLE_FILE = ""  # the key of a plain version file: the whole file is the version


def stamp_targets(project: Project) -> list[tuple[str, str]]:
    """(relative path, key) pairs that carry the version; dynamic versions carry none."""
    targets: list[tuple[str, str]] = []
    if project.version_source == "pyproject" and project.static_version is not None:
        targets.append(("pyproject.toml", "project.version"))
    elif project.version_source == "poetry" and project.static_version is not None:
        targets.append(("pyproject.toml", "tool.poetry.version"))
    if project.source_dir is not None:
        init = (
            project.source_dir / "__init__.py"
            if project.source_dir.is_dir()
            else project.source_dir
        )
        if init.is_file() and re.search(
            _VAR_RE.format(var="__version__"), init.read_text(encoding="utf-8"), re.MULTILINE
        ):
            targets.append((init.relative_to(project.root).as_posix(), "__version__"))
    if project.version_source.startswith("file:"):
        targets.append((project.version_source.removeprefix("file:"), WHOLE_FILE))
    elif project.version_source.startswith("attr:"):
        path, _, var = project.version_source.removeprefix("attr:").rpartition(":")
        if (path, var) not in targets:
            targets.append((path, var))
    problems = []
    for entry in project.config.version.stamp:
        path, sep, key = entry.rpartition(":")
        if not sep:  # a plain version file: the whole file is the version
            path, key = entry, WHOLE_FILE
        problem = _stamp_entry_problem(project.root, entry, path, key)
        if problem is not None:
            problems.append(problem)
        elif (path, key) not in targets:
            targets.append((path, key))
    if problems:
        raise ConfigError(problems=problems)
    return targets


def _stamp_entry_problem(root: Path, entry: str, path: str, key: str) -> Problem | None:
    """What ``release`` would reject about one stamp entry (check and plan say it first)."""
    message = _stamp_entry_message(root, path, key)
    return _stamp_problem(entry, message) if message else None


def _stamp_entry_message(root: Path, path: str, key: str) -> str | None:
    if not path or (key != WHOLE_FILE and not re.fullmatch(r"[A-Za-z_][\w.]*", key)):
        return "must be FILE:VARIABLE, or a plain version file"
    file = root / path
    if not file.is_file():
        return f"{path} does not exist"
    text = file.read_text(encoding="utf-8", errors="replace")
    if key == WHOLE_FILE:
        lines = [ln for ln in text.splitlines() if ln.strip()]
        ok = len(lines) == 1
        return None if ok else f"{path} is not a plain version file (one line, the version)"
    if file.suffix == ".toml":
        return None if _toml_has(text, key) else f"{path} has no key {key}"
    if not re.search(_VAR_RE.format(var=re.escape(key)), text, re.MULTILINE):
        return f'{path} has no {key} = "..." assignment to stamp'
    return None


def _toml_has(text: str, key: str) -> bool:

    try:
        table: Any = tomlkit.parse(text)
        for part in key.split("."):
            table = table[part]
    except Exception:
        return False
    return True


def _stamp_problem(entry: str, message: str) -> Problem:
    return Problem(
        "pyproject.toml",
        "tool.mlrelease.version.stamp",
        f"{entry!r}: {message}",
        'write e.g. "src/pkg/_version.py:__version__", "pyproject.toml:tool.pkg.version" '
        'or "VERSION" (a file that holds only the version)',
    )


def stamp(root: Path, path: str, key: str, version: str) -> None:
    file = root / path
    file.write_text(
        stamped_text(file.read_text(encoding="utf-8"), path, key, version), encoding="utf-8"
    )


def stamped_text(text: str, path: str, key: str, version: str) -> str:
    """``text`` (the content of ``path``) with ``key`` set to ``version``; nothing is written."""
    if key == WHOLE_FILE:
        return f"{version}\n"
    if Path(path).suffix == ".toml":
        doc = tomlkit.parse(text)
        table: Any = doc
        *parents, leaf = key.split(".")
        for part in parents:
            table = table[part]
        table[leaf] = version
        return tomlkit.dumps(doc)
    pattern = re.compile(_VAR_RE.format(var=re.escape(key)), re.MULTILINE)
    new, count = pattern.subn(lambda m: f"{m['head']}{m['q']}{version}{m['q']}", text, count=1)
    if count == 0:
        raise ReleaseError(
            f'{path}: no {key} = "..." assignment to stamp',
            hint="add one or remove the stamp entry",
        )
    return new


# --- the tag-driven flow -----------------------------------------------------------------------


def verify_tag(project: Project) -> dict[str, Any]:
    """CI on a tag push: the tag at HEAD matches tag-format and the package version."""
    root = project.root
    fmt = project.config.version.tag_format
    pushed = (
        os.environ.get("GITHUB_REF_NAME") if os.environ.get("GITHUB_REF_TYPE") == "tag" else None
    )
    at_head = git(root, "tag", "--points-at", "HEAD", check=False).split()
    candidates = [pushed] if pushed else at_head
    if not candidates:
        raise ReleaseError(
            "no tag points at HEAD, so there is no release to verify",
            hint=f"tag the release commit ({fmt.replace('{version}', 'X.Y.Z')}) and push the tag, "
            "or run --verify-tag only on tag pushes",
        )
    matching = [(t, v) for t in candidates if (v := version_of_tag(fmt, t)) is not None]
    if not matching:
        raise ReleaseError(
            f"tag {', '.join(candidates)} does not match tag-format {fmt!r}",
            hint=f"delete it (git push origin :refs/tags/{candidates[0]}) and push a tag like "
            f"{fmt.replace('{version}', '1.2.3')}, or set tool.mlrelease.version.tag-format",
        )
    tag, version = max(matching, key=lambda tv: parse_version(tv[1]))
    if parse_version(version).local is not None:
        raise ReleaseError(
            f"tag {tag} names a local version ({version}); feeds reject local versions",
            hint="delete the tag and push one without +local",
        )
    found: list[tuple[str, str]] = []  # (where, version) that must equal the tag
    if project.static_version is not None and project.version_source in ("pyproject", "poetry"):
        where = "tool.poetry.version" if project.version_source == "poetry" else "project.version"
        found.append((f"pyproject.toml {where}", project.static_version))
    for path, key in stamp_targets(project):
        if key == WHOLE_FILE:
            value = read_version_file(root / path)
            if value is not None:
                found.append((path, value))
            continue
        if Path(path).suffix == ".toml":
            continue
        m = re.search(
            _VAR_RE.format(var=re.escape(key)),
            (root / path).read_text(encoding="utf-8"),
            re.MULTILINE,
        )
        if m:
            found.append((f"{path} {key}", m["value"]))
    for where, value in found:
        if not versions_equal(value, version):
            raise ReleaseError(
                f"tag {tag} says {version} but {where} is {value}",
                hint=f"tag the commit that carries {version} (mlrelease release stamps and tags "
                f"together), or set {where} to {version}, commit, and move the tag",
            )
    checked = ", ".join(w for w, _ in found) or "the tag itself (dynamic version)"
    return {"tag": tag, "version": version, "checked": checked, "ok": True}
