"""What a repository already says about itself, for ``mlrelease init``: its default branch, its tag
format, its changelog, the tool versions its extras and pre-commit pin, how it formats code, where
its tests and its Read the Docs dependencies are.

Read-only: git is only queried, nothing is fetched. Each function returns plain data and a reason
that ``init`` prints.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from mlrelease._util.git import Repo
from mlrelease.config.model import DEFAULT_TOOLS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

# Changelog files, in order of preference; mlrelease writes Markdown (Keep a Changelog).
CHANGELOG_CANDIDATES = (
    "CHANGELOG.md",
    "HISTORY.md",
    "CHANGES.md",
    "NEWS.md",
    "CHANGELOG.rst",
    "HISTORY.rst",
    "CHANGES.rst",
    "NEWS.rst",
)
# Tools whose version mlrelease pins ([tool.mlrelease.tools]) and that repositories pin too.
PINNED_TOOLS = ("ruff", "mypy", "pytest", "pytest-cov", "pytest-xdist", "sphinx")
# pre-commit hook repositories -> the tool their rev is the version of.
PRE_COMMIT_TOOLS = {
    "astral-sh/ruff-pre-commit": "ruff",
    "charliermarsh/ruff-pre-commit": "ruff",
    "pre-commit/mirrors-mypy": "mypy",
}
_VERSION_TAIL = r"(?P<version>\d+(?:\.\d+){1,2}(?:[.-]?(?:a|b|rc|alpha|beta|dev|post)\.?\d*)*)"
_TAG_RE = re.compile(rf"^(?P<prefix>.*?){_VERSION_TAIL}$")


def _git(root: Path, *args: str) -> str | None:
    return Repo(root).query(*args)


@dataclass(frozen=True)
class Branch:
    name: str  # the default branch, e.g. "master"
    base: str  # the ref lint.fail-on = "new" compares against, e.g. "origin/master"
    why: str


def default_branch(root: Path) -> Branch:
    """origin/HEAD, else the local main/master, else the current branch, else git's default."""
    has_origin = _git(root, "remote", "get-url", "origin") is not None
    head = _git(root, "symbolic-ref", "--short", "refs/remotes/origin/HEAD")
    if head and head.startswith("origin/"):
        name = head.removeprefix("origin/")
        return Branch(name, head, f"origin/HEAD points at {name}")
    local = (_git(root, "for-each-ref", "--format=%(refname:short)", "refs/heads") or "").split()
    common = [b for b in ("main", "master") if b in local]
    current = _git(root, "symbolic-ref", "--short", "HEAD")
    if len(common) == 1:
        name, why = common[0], f"the repository's {common[0]} branch"
    elif current:
        name, why = current, f"the current branch {current}"
    else:
        configured = _git(root, "config", "init.defaultBranch")
        name, why = configured or "main", "git's init.defaultBranch" if configured else "default"
    remote_ref = f"origin/{name}"
    if has_origin:
        return Branch(name, remote_ref, why)
    return Branch(name, name, why + " (no origin remote: lint compares with the local branch)")


@dataclass(frozen=True)
class TagFormat:
    format: str | None  # None: no tags
    count: int
    example: str = ""  # the newest tag of that format
    calver: bool = False  # the tags are calendar versions (2025.1.0), not semantic ones
    version: str = ""  # the version of the newest tag


def is_calver(version: str) -> bool:
    """``2025.1.0``, ``24.04``, ``2025.01.15``: a year (and month) first, not a semver major."""
    m = re.match(r"^(\d+)\.(\d+)", version)
    if not m:
        return False
    year, month = int(m.group(1)), int(m.group(2))
    return (2000 <= year <= 2200 or 15 <= year <= 99) and 1 <= month <= 12


def tag_format(root: Path) -> TagFormat:
    """The format most existing version tags follow: ``v1.2.3`` -> ``v{version}``, ``1.2.3``
    -> ``{version}``, ``pkg-v1.2.3`` -> ``pkg-v{version}``; the example is the newest tag (by
    creation date), not the lexically largest."""
    # newest first: by creation date, ties (tags made in the same second) by version
    sorting = ("--sort=-v:refname", "--sort=-creatordate")
    tags = (_git(root, "tag", "--list", *sorting) or "").split()
    formats: dict[str, list[tuple[str, str]]] = {}
    for tag in tags:
        m = _TAG_RE.match(tag)
        if m and re.fullmatch(r"[A-Za-z0-9._/-]*", m["prefix"]):
            formats.setdefault(m["prefix"] + "{version}", []).append((tag, m["version"]))
    if not formats:
        return TagFormat(None, 0)
    best = max(formats, key=lambda f: len(formats[f]))
    newest, version = formats[best][0]
    calver = all(is_calver(v) for _, v in formats[best])
    return TagFormat(best, len(formats[best]), newest, calver, version)


@dataclass(frozen=True)
class Changelog:
    path: str | None  # what to write into version.changelog (None: keep the default)
    why: str


def changelog(root: Path) -> Changelog:
    found = [c for c in CHANGELOG_CANDIDATES if (root / c).is_file()]
    if not found or found[0] == "CHANGELOG.md":
        return Changelog(None, "CHANGELOG.md" + (" (exists)" if found else " (created at release)"))
    markdown = [c for c in found if c.endswith(".md")]
    if markdown:
        return Changelog(markdown[0], f"{markdown[0]} (found; release sections are added to it)")
    return Changelog(
        None,
        f"{found[0]} is reStructuredText and mlrelease writes Markdown: release notes go to "
        "CHANGELOG.md (set version.changelog to a .md file to change it)",
    )


# --- tool pins ----------------------------------------------------------------------------------


@dataclass
class ToolPins:
    values: dict[str, str] = field(default_factory=dict)  # tool -> version or specifier
    why: dict[str, str] = field(default_factory=dict)
    conflicts: list[str] = field(default_factory=list)
    lint_requirements: list[str] = field(default_factory=list)  # the mypy hook's stubs


def pre_commit_hooks(root: Path) -> list[dict[str, Any]]:
    """The ``repos`` of ``.pre-commit-config.yaml`` (empty when absent or unreadable)."""
    path = root / ".pre-commit-config.yaml"
    if not path.is_file():
        return []
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError):
        return []
    repos = data.get("repos") if isinstance(data, dict) else None
    return [r for r in repos if isinstance(r, dict)] if isinstance(repos, list) else []


def _hook_ids(root: Path) -> set[str]:
    ids = set()
    for repo in pre_commit_hooks(root):
        for hook in repo.get("hooks") or []:
            if isinstance(hook, dict) and isinstance(hook.get("id"), str):
                ids.add(hook["id"])
    return ids


def _requirement_strings(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, requirement) from every extra and dependency group."""
    out: list[tuple[str, str]] = []
    project = data.get("project") if isinstance(data.get("project"), dict) else {}
    extras = project.get("optional-dependencies") if isinstance(project, dict) else None
    groups = data.get("dependency-groups")
    for label, table in (("extra", extras), ("dependency group", groups)):
        for name, reqs in (table or {}).items() if isinstance(table, dict) else []:
            for req in reqs if isinstance(reqs, list) else []:
                if isinstance(req, str):
                    out.append((f"{label} {name!r}", req))
    return out


# Tools the lint session installs on their own (not beside the project's extras): the version the
# repository runs them at (pre-commit, poetry.lock) wins over a loose range in an extra.
LINT_TOOLS = ("ruff", "mypy")


def _poetry_spec(value: object) -> str | None:
    """A poetry constraint as a PEP 440 specifier: ``^0.4.8`` -> ``>=0.4.8,<0.5``, ``~1.2``
    -> ``>=1.2,<1.3``, ``0.4.8`` -> ``==0.4.8``; None for what has no simple equivalent."""
    if isinstance(value, dict):
        value = value.get("version")
    if not isinstance(value, str) or value.strip() in ("", "*"):
        return None
    text = value.strip()
    m = re.fullmatch(r"([\^~])\s*(\d+(?:\.\d+){0,2})", text)
    if m:
        parts = [int(p) for p in m.group(2).split(".")]
        if m.group(1) == "^":
            i = next((k for k, p in enumerate(parts) if p != 0), len(parts) - 1)
        else:
            i = min(1, len(parts) - 1) if len(parts) > 1 else 0
        upper = [*parts[:i], parts[i] + 1]
        return f">={m.group(2)},<{'.'.join(map(str, upper))}"
    if re.fullmatch(r"\d+(?:\.\d+)*", text):
        return f"=={text}"
    try:
        return str(SpecifierSet(text))
    except ValueError:
        return None


def poetry_dev_requirements(data: dict[str, Any]) -> list[tuple[str, str]]:
    """(where, requirement) from ``[tool.poetry.group.*.dependencies]`` and
    ``[tool.poetry.dev-dependencies]``, for the pinned tools."""
    tool = data.get("tool") if isinstance(data.get("tool"), dict) else {}
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    if not isinstance(poetry, dict):
        return []
    tables: list[tuple[str, object]] = [("poetry dev-dependencies", poetry.get("dev-dependencies"))]
    groups = poetry.get("group")
    for name, group in groups.items() if isinstance(groups, dict) else []:
        deps = group.get("dependencies") if isinstance(group, dict) else None
        tables.append((f"poetry group {name!r}", deps))
    out = []
    for where, deps in tables:
        for name, value in deps.items() if isinstance(deps, dict) else []:
            spec = _poetry_spec(value)
            if canonicalize_name(str(name)) in PINNED_TOOLS and spec:
                out.append((where, f"{name}{spec}"))
    return out


def poetry_locked(root: Path) -> dict[str, str]:
    """The versions ``poetry.lock`` locks the pinned tools at."""
    path = root / "poetry.lock"
    if not path.is_file():
        return {}
    try:
        lock = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        return {}
    out: dict[str, str] = {}
    for package in lock.get("package") or []:
        if isinstance(package, dict):
            name = canonicalize_name(str(package.get("name", "")))
            if name in PINNED_TOOLS and isinstance(package.get("version"), str):
                out[str(name)] = str(package["version"])
    return out


def _pre_commit_pins(root: Path) -> ToolPins:
    """The revs of the ruff and mypy pre-commit hooks, and the mypy hook's dependencies."""
    pins = ToolPins()
    for repo in pre_commit_hooks(root):
        url, rev = str(repo.get("repo", "")), repo.get("rev")
        tool = next((t for key, t in PRE_COMMIT_TOOLS.items() if url.endswith(key)), None)
        if tool and isinstance(rev, str) and re.fullmatch(r"v?\d+(\.\d+)*", rev):
            pins.values[tool] = rev.removeprefix("v")
            pins.why[tool] = f".pre-commit-config.yaml ({url.rsplit('/', 1)[-1]} {rev})"
        if tool == "mypy":
            for hook in repo.get("hooks") or []:
                deps = hook.get("additional_dependencies") if isinstance(hook, dict) else None
                pins.lint_requirements += [d for d in deps or [] if isinstance(d, str)]
    return pins


def tool_pins(root: Path, data: dict[str, Any]) -> ToolPins:
    """``[tool.mlrelease.tools]`` values that satisfy what the repository pins.

    pre-commit revs (``astral-sh/ruff-pre-commit`` at ``v0.6.9``) pin exactly, then ``poetry.lock``:
    the lint session then runs the ruff the team runs, even where an extra asks for a newer range
    (the lint session does not install the extras). Extras, dependency groups and poetry's dev
    dependencies constrain the others (``pytest>=7,<8``): when mlrelease's default version does not
    satisfy them, the tool gets their specifier, so the tests session's install never asks for two
    incompatible versions.
    """

    pins = _pre_commit_pins(root)
    for tool, version in poetry_locked(root).items():
        if tool not in pins.values:
            pins.values[tool] = version
            pins.why[tool] = f"poetry.lock ({tool} {version})"
    constraints: dict[str, list[tuple[str, SpecifierSet]]] = {}
    for where, text in [*_requirement_strings(data), *poetry_dev_requirements(data)]:
        try:
            req = Requirement(text)
        except InvalidRequirement:
            continue
        name = canonicalize_name(req.name)
        if name in PINNED_TOOLS and str(req.specifier):
            constraints.setdefault(name, []).append((where, req.specifier))
    for tool, specs in constraints.items():
        wanted = pins.values.get(tool, DEFAULT_TOOLS[tool])
        unmet = [(w, s) for w, s in specs if not s.contains(wanted, prereleases=True)]
        if not unmet:
            continue
        if tool in pins.values and tool in LINT_TOOLS:
            pins.conflicts.append(
                f"{tool}: {unmet[0][0]} wants {unmet[0][1]}, but the repository runs {wanted} "
                f"({pins.why[tool]}): the lint session runs {wanted}"
            )
            continue
        if tool in pins.values:  # the extras must install beside the project: they win
            pins.conflicts.append(
                f"{tool}: {pins.why[tool]} pins {wanted} but {unmet[0][0]} wants {unmet[0][1]}"
            )
        combined = SpecifierSet(",".join(str(s) for _, s in specs))
        exact = [str(s)[2:] for s in combined if s.operator == "=="]
        pins.values[tool] = exact[0] if len(exact) == 1 else str(combined)
        pins.why[tool] = ", ".join(f"{w} ({s})" for w, s in specs)
    return pins


def version_ahead_of_tag(declared: str, tag: str, tagged: str) -> list[str]:
    """A note when the declared version is ahead of the newest tag: it is the next release."""
    try:
        ahead = Version(declared) > Version(tagged)
    except InvalidVersion:
        return []
    if not ahead:
        return []
    return [
        f"the declared version {declared} is ahead of the newest tag {tag}: it is the next "
        f"release once a feat, fix or perf commit is there (not the next patch of {tagged}); "
        f"or release it now with `mlrelease release --as {declared}`"
    ]


# --- formatting ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Formatter:
    ruff_format: bool  # the repository formats with ruff
    other: str | None  # black, yapf, autopep8: another formatter is configured


def formatter(root: Path, data: dict[str, Any]) -> Formatter:
    raw = data.get("tool")
    tool: dict[str, Any] = raw if isinstance(raw, dict) else {}
    ruff = tool.get("ruff")
    uses_ruff = isinstance(ruff, dict) and "format" in ruff
    for name in ("ruff.toml", ".ruff.toml"):
        path = root / name
        if path.is_file() and re.search(r"^\[format\]", path.read_text(encoding="utf-8"), re.M):
            uses_ruff = True
    hooks = _hook_ids(root)
    uses_ruff = uses_ruff or "ruff-format" in hooks
    other = next((f for f in ("black", "yapf", "autopep8") if f in tool or f in hooks), None)
    return Formatter(uses_ruff, other)


# --- tests --------------------------------------------------------------------------------------


def _has_tests(path: Path) -> bool:
    return path.is_dir() and (any(path.rglob("test_*.py")) or any(path.rglob("*_test.py")))


def in_package_tests(root: Path, package: Path | None) -> list[str]:
    """``<pkg>/tests`` -> that directory; several ``<pkg>/**/tests`` -> the package itself."""
    if package is None or not package.is_dir():
        return []
    found = sorted({p for name in ("tests", "test") for p in package.rglob(name) if _has_tests(p)})
    found = [p for p in found if not any(q in p.parents for q in found)]
    if not found:
        return []
    if len(found) == 1:
        return [found[0].relative_to(root).as_posix()]
    return [package.relative_to(root).as_posix()]


# --- Read the Docs ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReadTheDocs:
    extras: tuple[str, ...] = ()
    requirement_files: tuple[str, ...] = ()
    file: str | None = None


def read_the_docs(root: Path) -> ReadTheDocs:
    """``python.install`` of ``.readthedocs.yaml``: the extras and requirement files it installs."""
    import yaml

    for name in (".readthedocs.yaml", ".readthedocs.yml", "readthedocs.yaml", "readthedocs.yml"):
        path = root / name
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return ReadTheDocs(file=name)
        python = data.get("python") if isinstance(data, dict) else None
        steps = python.get("install") if isinstance(python, dict) else None
        extras: list[str] = []
        files: list[str] = []
        for step in steps if isinstance(steps, list) else []:
            if not isinstance(step, dict):
                continue
            if isinstance(step.get("requirements"), str):
                files.append(step["requirements"])
            elif step.get("path") in (".", "./") and isinstance(
                step.get("extra_requirements"), list
            ):
                extras += [str(e) for e in step["extra_requirements"]]
        return ReadTheDocs(tuple(extras), tuple(files), name)
    return ReadTheDocs()
