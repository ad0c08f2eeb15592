"""The one model of ``[tool.mlrelease]``: parsed here, and nowhere else, into frozen typed objects.

Why dataclasses and not pydantic: the model is small, every message is hand-written to name the
dotted key and the fix (pydantic's messages would need rewriting anyway), frozen keyword-only
dataclasses cost nothing at import time (``mlrelease --help`` stays light), and the same field
metadata generates the JSON schema (:mod:`mlrelease.config.schema`) and the reference docs.

Each field carries its TOML key, kind, default and description in ``metadata``; the generic walker
in :func:`_parse_section` validates a raw table against it, collects *every* problem, and builds the
object. Values left at their default are recorded in :attr:`Config.explicit` (what was *not*
defaulted) so ``mlrelease plan`` can mark defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from mlrelease._util.redact import looks_like_secret
from mlrelease.config.toml_errors import describe as describe_toml_error
from mlrelease.errors import ConfigError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TABLE = "tool.mlrelease"

# Versions of the tools the sessions install, tested with this mlrelease release. Overridable per
# repository in [tool.mlrelease.tools] so lint results never change because a tool released overnight.
DEFAULT_TOOLS: dict[str, str] = {
    "ruff": "0.17.5",
    "mypy": "2.4.1",
    "pytest": "9.2.0",
    "pytest-cov": "7.1.0",
    "pytest-xdist": "3.8.0",
    "sphinx": "8.2.3",
    "build": "1.6.1",
    "twine": "7.0.0",
    "check-wheel-contents": "0.6.3",
    "python-semantic-release": "10.7.0",
}

MAX_WORKERS = 1024
MAX_FILE_SIZE_MIB = 1024 * 1024  # 1 TiB: above any feed's limit, below any overflow
TAG_PLACEHOLDERS = ("version", "major", "minor", "patch", "short_sha", "sha")
PRERELEASE_TOKENS = ("a", "b", "rc", "alpha", "beta")
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_IMAGE_NAME_RE = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
_REGISTRY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?$")
_PYVER_RE = re.compile(r"^3\.[0-9]{1,2}$")
_PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
_TAG_CHARS_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")

Kind = Literal[
    "bool",
    "int",
    "number",
    "str",
    "str?",
    "enum",
    "list[str]",
    "map[str,str]",
    "section",
    "section?",
    "list[section]",
    "workers",
]


def opt(
    default: Any,
    doc: str,
    *,
    kind: Kind,
    key: str | None = None,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    check: Callable[[Any], tuple[str, str] | None] | None = None,
    section: type | None = None,
    default_doc: str | None = None,
) -> Any:
    """Declare one configuration key. ``check`` returns ``(message, hint)`` for a bad value."""
    meta = {
        "key": key,
        "kind": kind,
        "doc": doc,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
        "check": check,
        "section": section,
        "default_doc": default_doc,
    }
    if isinstance(default, (list, dict)) or kind in ("section", "section?", "list[section]"):
        frozen = tuple(default) if isinstance(default, list) else default
        if isinstance(default, dict):
            return field(default_factory=lambda: dict(default), metadata=meta)
        if kind == "section" and section is not None:
            return field(default_factory=section, metadata=meta)
        return field(default=frozen, metadata=meta)
    return field(default=default, metadata=meta)


# --- checks used by several fields -------------------------------------------------------------


def _check_tag_format(value: str) -> tuple[str, str] | None:
    if value[:1] in ("-", ".", "/"):
        return (
            f"must not begin with {value[:1]!r}, got {value!r} (git would read a tag beginning "
            "with '-' as an option)",
            'begin with a letter, a digit or {version}: e.g. "v{version}"',
        )
    names = _PLACEHOLDER_RE.findall(value)
    if names.count("version") != 1 or any(n != "version" for n in names):
        return (
            f"must contain {{version}} exactly once and no other placeholder, got {value!r}",
            'use e.g. "v{version}" or "mypkg-v{version}"',
        )
    literal = value.replace("{version}", "1.0.0")
    if not re.fullmatch(r"[A-Za-z0-9._/-]+", literal):
        return (
            f"is not a valid git tag name: {value!r}",
            'use letters, digits, ".", "-", "_" and "/"',
        )
    return None


def _check_image_tag(value: str) -> tuple[str, str] | None:
    names = _PLACEHOLDER_RE.findall(value)
    unknown = [n for n in names if n not in TAG_PLACEHOLDERS]
    if unknown:
        known = ", ".join("{" + n + "}" for n in TAG_PLACEHOLDERS)
        near = difflib.get_close_matches(unknown[0], TAG_PLACEHOLDERS, n=1)
        hint = f"did you mean {{{near[0]}}}? " if near else ""
        return (
            f"unknown placeholder {{{unknown[0]}}} in tag {value!r}",
            f"{hint}placeholders are {known}",
        )
    sample = _PLACEHOLDER_RE.sub("1", value)
    if not _TAG_CHARS_RE.fullmatch(sample):
        return (
            f"{value!r} does not make a valid image tag",
            "tags are 1-128 of A-Z a-z 0-9 _ . - and start with a letter, digit or _",
        )
    return None


def _check_http_url(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"https?://[^/\s]+\S*", value):
        return (
            f"must be an http(s) URL, got {value!r}",
            "write the full URL, e.g. https://host/path/",
        )
    return None


def _check_upload_url(value: str) -> tuple[str, str] | None:
    bad = _check_http_url(value)
    if bad:
        return bad
    if re.search(r"/(simple|\+simple)/?$", value):
        return (
            f"{value!r} is a simple-index URL, not an upload URL",
            "put it in index-url; the upload URL is usually the same path without /simple "
            "(Azure Artifacts: .../_packaging/<feed>/pypi/upload/)",
        )
    return None


def _check_python_version(value: str) -> tuple[str, str] | None:
    if not _PYVER_RE.fullmatch(value):
        return (f"{value!r} is not a Python version of the form 3.X", 'write e.g. "3.11"')
    return None


NAME_MAX = 255  # bytes in one path component (ext4, xfs, btrfs, APFS, NTFS in characters)
PATH_MAX = 1024  # a path inside a project; far below the OS limit of 4096


def _check_relative_path(value: str) -> tuple[str, str] | None:
    if not value or Path(value).is_absolute() or ".." in Path(value).parts:
        return (
            f"must be a relative path inside the project, got {_shown(value)}",
            'write e.g. "src/mypkg"',
        )
    return _check_path_shape(value)


def _check_path_shape(value: str) -> tuple[str, str] | None:
    """Too long for the file system, or read as an option by the tool it is passed to."""
    longest = max((len(part.encode()) for part in Path(value).parts), default=0)
    if longest > NAME_MAX or len(value.encode()) > PATH_MAX:
        return (
            f"is too long to be a path ({len(value)} characters; a file name holds at most "
            f"{NAME_MAX} bytes, a path here at most {PATH_MAX})",
            "write the real, shorter path of the file or directory",
        )
    if value.startswith("-"):
        return (
            f"must not begin with '-', got {_shown(value)} (a tool would read it as an option)",
            f'write "./{value}" for a path that really begins with "-"',
        )
    return None


def _check_stamp(value: str) -> tuple[str, str] | None:
    """``FILE:VARIABLE`` or a plain ``FILE``: the file is a relative path inside the project."""
    file = value.split(":", 1)[0]
    bad = _check_relative_path(file)
    if bad:
        return (
            f"names {_shown(file)}; a stamped file must be a relative path inside the project"
            if file and (Path(file).is_absolute() or ".." in Path(file).parts)
            else bad[0],
            'write e.g. "src/pkg/_version.py:__version__" (relative to the project root, '
            "no leading / and no ..)",
        )
    return None


def _check_not_option(value: str) -> tuple[str, str] | None:
    if value.startswith("-") or not value.strip():
        return (
            f"must not be empty or begin with '-', got {_shown(value)} (a tool would read it as "
            "an option)",
            "write the value itself; options have their own keys",
        )
    return None


def _check_git_ref(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./@{}^~-]*", value) or ".." in value:
        return (
            f"{_shown(value)} is not a git ref (a branch, tag or commit)",
            'write e.g. "origin/main"',
        )
    return None


def _check_requirement(value: str) -> tuple[str, str] | None:
    """A PEP 508 requirement string (``types-requests``, ``foo[bar]>=1``), never a pip option."""
    bad = _check_not_option(value)
    if bad:
        return (bad[0], 'write a requirement, e.g. "types-requests>=2"; pip options are refused')
    try:
        Requirement(value)
    except InvalidRequirement as exc:
        return (
            f"{_shown(value)} is not a PEP 508 requirement: {str(exc).splitlines()[0]}",
            'write e.g. "types-requests" or "torch>=2.2"',
        )
    return None


def check_image_ref(value: str) -> tuple[str, str] | None:
    """An image reference ``[registry[:port]/]name[:tag][@digest]``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}", value):
        return (
            f"{_shown(value)} is not an image reference",
            'write e.g. "python:3.12-slim" or "registry.example/ml/base:1.2"',
        )
    return None


def _check_arg_name(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value):
        return (
            f"{_shown(value)} is not a valid name",
            "begin with a letter or _, then letters, digits, _ . -",
        )
    return None


def _check_name(value: str) -> tuple[str, str] | None:
    if not _NAME_RE.fullmatch(value):
        return (f"{value!r} is not a valid name", "use letters, digits, '.', '-' and '_'")
    return None


def _check_image_name(value: str) -> tuple[str, str] | None:
    if not value:
        return ("must not be empty", 'give the repository name, e.g. "drift-detector"')
    if not _IMAGE_NAME_RE.fullmatch(value):
        return (
            f"{value!r} is not a valid image repository name",
            'use lowercase letters, digits and separators . _ - /, e.g. "ml/drift-detector"',
        )
    return None


def _check_registry(value: str) -> tuple[str, str] | None:
    if "://" in value or "/" in value:
        return (
            f"{value!r} must be a registry host, without scheme or path",
            'write e.g. "contosoml.azurecr.io"; the image path goes in name',
        )
    if not _REGISTRY_RE.fullmatch(value):
        return (
            f"{value!r} is not a registry host",
            'write e.g. "contosoml.azurecr.io" or "127.0.0.1:5000"',
        )
    return None


def _check_tool_version(value: str) -> tuple[str, str] | None:

    try:
        if value and value[0].isdigit():
            Version(value)
        else:
            SpecifierSet(value)
    except (InvalidVersion, InvalidSpecifier):
        return (
            f"{value!r} is not a version or version specifier",
            'write e.g. "0.17.5" or ">=0.17,<0.18"',
        )
    return None


def _check_platform(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"linux/(amd64|arm64|arm/v7|arm/v6|386|ppc64le|s390x|riscv64)", value):
        return (f"{value!r} is not a supported platform", 'use e.g. "linux/amd64" or "linux/arm64"')
    return None


def _check_glob(value: str) -> tuple[str, str] | None:
    if not value or value[0] in "/-" or " " in value:
        return (f"{value!r} is not a branch name or pattern", 'write e.g. "main" or "rc/*"')
    return None


def _check_token(value: str) -> tuple[str, str] | None:
    if value not in PRERELEASE_TOKENS:
        return (
            f"prerelease token must be one of {', '.join(PRERELEASE_TOKENS)}, got {value!r}",
            'PEP 440 knows a, b and rc; e.g. { "rc/*" = "rc" }',
        )
    return None


# --- the model ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class LintConfig:
    ruff: bool = opt(True, "Run `ruff check`.", kind="bool")
    format: bool = opt(True, "Run `ruff format --check`.", kind="bool")
    mypy: Literal["off", "on", "strict"] = opt(
        "on",
        "Type-check with mypy: off, on (the repository's own mypy configuration) or strict "
        "(adds --strict).",
        kind="enum",
        choices=("off", "on", "strict"),
    )
    paths: tuple[str, ...] = opt(
        [],
        "Extra paths to lint besides the package source and tests.",
        kind="list[str]",
        check=_check_relative_path,
    )
    fail_on: Literal["all", "new"] = opt(
        "all",
        "'all' fails on any finding; 'new' fails only on findings in lines changed against "
        "the base branch (for repositories that arrive with lint debt).",
        kind="enum",
        key="fail-on",
        choices=("all", "new"),
    )
    base: str = opt(
        "origin/main",
        "The git ref that 'fail-on = \"new\"' compares against.",
        kind="str",
        check=_check_git_ref,
    )
    requirements: tuple[str, ...] = opt(
        [],
        "Extra requirements installed into the lint environment (PEP 508 strings): type stubs, "
        'ruff or mypy plugins, e.g. "types-requests".',
        kind="list[str]",
        check=_check_requirement,
    )


@dataclass(frozen=True, kw_only=True)
class TestConfig:
    paths: tuple[str, ...] = opt(
        ["tests"], "Test paths given to pytest.", kind="list[str]", check=_check_relative_path
    )
    coverage_min: float = opt(
        80,
        "Coverage floor in percent (0-100), passed as --cov-fail-under.",
        kind="number",
        key="coverage-min",
        minimum=0,
        maximum=100,
    )
    exclude_markers: tuple[str, ...] = opt(
        [],
        'pytest markers to deselect, e.g. gpu or slow (`-m "not gpu"`).',
        kind="list[str]",
        key="exclude-markers",
        check=_check_name,
    )
    extras: tuple[str, ...] = opt(
        [],
        "Optional-dependency extras installed with the package for the tests.",
        kind="list[str]",
        check=_check_name,
    )
    dependency_groups: tuple[str, ...] = opt(
        [],
        "PEP 735 dependency groups installed for the tests.",
        kind="list[str]",
        key="dependency-groups",
        check=_check_name,
    )
    requirements: tuple[str, ...] = opt(
        [],
        "Extra requirements installed for the tests (PEP 508 strings).",
        kind="list[str]",
        check=_check_requirement,
    )
    pytest_args: tuple[str, ...] = opt(
        [],
        "Extra arguments for pytest, after the repository's own pytest configuration.",
        kind="list[str]",
        key="pytest-args",
    )
    workers: int | Literal["auto"] = opt(
        0, 'Parallel pytest-xdist workers: 0 (off), a number, or "auto".', kind="workers"
    )


@dataclass(frozen=True, kw_only=True)
class DocsConfig:
    enabled: bool = opt(
        True, "Build the Sphinx docs (when a docs source directory exists).", kind="bool"
    )
    source: str | None = opt(
        None,
        "Sphinx source directory (the one with conf.py).",
        kind="str?",
        check=_check_relative_path,
        default_doc="found at docs/, docs/source/ or doc/",
    )
    warnings_as_errors: bool = opt(
        True, "Pass -W --keep-going to sphinx-build.", kind="bool", key="warnings-as-errors"
    )
    builder: str = opt("html", "Sphinx builder.", kind="str", check=_check_name)
    cwd: str | None = opt(
        None,
        "Directory sphinx-build runs from, as the repository's docs Makefile runs it (files "
        "its conf.py writes land there, not in the repository root).",
        kind="str?",
        check=_check_relative_path,
        default_doc="the repository root",
    )
    define: dict[str, str] = opt(
        {}, "Extra `-D name=value` settings for sphinx-build.", kind="map[str,str]"
    )
    extras: tuple[str, ...] = opt(
        [],
        'Extras that install the docs dependencies (e.g. "docs").',
        kind="list[str]",
        check=_check_name,
    )
    dependency_groups: tuple[str, ...] = opt(
        [],
        "Dependency groups that install the docs dependencies.",
        kind="list[str]",
        key="dependency-groups",
        check=_check_name,
    )
    requirements: tuple[str, ...] = opt(
        [], "Extra requirements for the docs build.", kind="list[str]", check=_check_requirement
    )
    linkcheck: bool = opt(
        False, "Also define the docs-linkcheck session in the check tag.", kind="bool"
    )


@dataclass(frozen=True, kw_only=True)
class ToolsConfig:
    ruff: str = opt(DEFAULT_TOOLS["ruff"], "ruff version.", kind="str", check=_check_tool_version)
    mypy: str = opt(DEFAULT_TOOLS["mypy"], "mypy version.", kind="str", check=_check_tool_version)
    pytest: str = opt(
        DEFAULT_TOOLS["pytest"], "pytest version.", kind="str", check=_check_tool_version
    )
    pytest_cov: str = opt(
        DEFAULT_TOOLS["pytest-cov"],
        "pytest-cov version.",
        kind="str",
        key="pytest-cov",
        check=_check_tool_version,
    )
    pytest_xdist: str = opt(
        DEFAULT_TOOLS["pytest-xdist"],
        "pytest-xdist version.",
        kind="str",
        key="pytest-xdist",
        check=_check_tool_version,
    )
    sphinx: str = opt(
        DEFAULT_TOOLS["sphinx"], "Sphinx version.", kind="str", check=_check_tool_version
    )
    build: str = opt(
        DEFAULT_TOOLS["build"], "build version.", kind="str", check=_check_tool_version
    )
    twine: str = opt(
        DEFAULT_TOOLS["twine"], "twine version.", kind="str", check=_check_tool_version
    )
    check_wheel_contents: str = opt(
        DEFAULT_TOOLS["check-wheel-contents"],
        "check-wheel-contents version.",
        kind="str",
        key="check-wheel-contents",
        check=_check_tool_version,
    )
    python_semantic_release: str = opt(
        DEFAULT_TOOLS["python-semantic-release"],
        "python-semantic-release version.",
        kind="str",
        key="python-semantic-release",
        check=_check_tool_version,
    )

    def requirement(self, tool: str) -> str:
        """``"ruff"`` -> ``"ruff==0.17.5"`` (a specifier is kept as written)."""
        spec: str = getattr(self, tool.replace("-", "_"))
        return f"{tool}=={spec}" if spec[:1].isdigit() else f"{tool}{spec}"


@dataclass(frozen=True, kw_only=True)
class BuildConfig:
    sdist: bool = opt(True, "Build an sdist.", kind="bool")
    wheel: bool = opt(True, "Build a wheel.", kind="bool")
    reproducible: bool = opt(
        True,
        "Set SOURCE_DATE_EPOCH from the last commit so two builds of one commit are identical.",
        kind="bool",
    )
    outdir: str = opt(
        "dist", "Where the build session writes the files.", kind="str", check=_check_relative_path
    )


@dataclass(frozen=True, kw_only=True)
class VersionConfig:
    tag_format: str = opt(
        "v{version}",
        "Git tag format; must contain {version}.",
        kind="str",
        key="tag-format",
        check=_check_tag_format,
    )
    release_branches: tuple[str, ...] = opt(
        ["main"],
        "Branches (or glob patterns) that cut final releases.",
        kind="list[str]",
        key="release-branches",
        check=_check_glob,
    )
    prerelease_branches: dict[str, str] = opt(
        {},
        'Branch pattern -> prerelease token, e.g. { "rc/*" = "rc" }.',
        kind="map[str,str]",
        key="prerelease-branches",
    )
    major_on_zero: bool = opt(
        False,
        "Whether a breaking change on 0.x goes to 1.0.0 (default: stay in 0.x).",
        kind="bool",
        key="major-on-zero",
    )
    changelog: str = opt(
        "CHANGELOG.md",
        "Changelog file (Keep a Changelog style).",
        kind="str",
        check=_check_relative_path,
    )
    stamp: tuple[str, ...] = opt(
        [],
        'Extra FILE:VARIABLE entries to stamp, e.g. "src/pkg/_version.py:__version__", or a '
        'plain version file whose whole content is the version, e.g. "VERSION".',
        kind="list[str]",
        check=_check_stamp,
        default_doc="pyproject project.version (or the [tool.setuptools.dynamic] version file) "
        "and the package's __version__",
    )


@dataclass(frozen=True, kw_only=True)
class AzureArtifactsFeed:
    organization: str = opt("", "Azure DevOps organization.", kind="str", check=_check_name)
    project: str | None = opt(
        None,
        "Azure DevOps project (omit for an organization-scoped feed).",
        kind="str?",
        check=_check_name,
    )
    feed: str = opt("", "Azure Artifacts feed name.", kind="str", check=_check_name)


@dataclass(frozen=True, kw_only=True)
class FeedConfig:
    azure_artifacts: AzureArtifactsFeed | None = opt(
        None,
        "Azure Artifacts feed: { organization, project, feed }.",
        kind="section?",
        key="azure-artifacts",
        section=AzureArtifactsFeed,
    )
    upload_url: str | None = opt(
        None,
        "Upload URL of a PyPI-compatible feed.",
        kind="str?",
        key="upload-url",
        check=_check_upload_url,
    )
    index_url: str | None = opt(
        None,
        "Simple index URL (PEP 503) of that feed.",
        kind="str?",
        key="index-url",
        check=_check_http_url,
    )
    max_file_size_mib: int = opt(
        500,
        "Largest file the feed accepts, in MiB (Azure Artifacts: 500).",
        kind="int",
        key="max-file-size-mib",
        minimum=1,
        maximum=MAX_FILE_SIZE_MIB,
    )


@dataclass(frozen=True, kw_only=True)
class ImageConfig:
    name: str = opt(
        "", 'Image repository name, e.g. "ml/drift-detector".', kind="str", check=_check_image_name
    )
    registry: str | None = opt(
        None,
        "Registry host, e.g. contosoml.azurecr.io.",
        kind="str?",
        check=_check_registry,
        default_doc="none: an OCI image layout under .mlrelease/images",
    )
    dockerfile: str | None = opt(
        None,
        "The project's own Dockerfile.",
        kind="str?",
        check=_check_relative_path,
        default_doc="the built-in template",
    )
    context: str = opt(
        ".", "Build context for a project Dockerfile.", kind="str", check=_check_relative_path
    )
    base_image: str = opt(
        "python:3.12-slim",
        "Base image of the built-in template.",
        kind="str",
        key="base-image",
        check=check_image_ref,
    )
    build_args: dict[str, str] = opt({}, "Build arguments.", kind="map[str,str]", key="build-args")
    platforms: tuple[str, ...] = opt(
        ["linux/amd64"], "Target platforms.", kind="list[str]", check=_check_platform
    )
    tags: tuple[str, ...] = opt(
        ["{version}", "{major}.{minor}", "sha-{short_sha}", "latest"],
        "Tag templates; 'latest' and partial versions only on final releases.",
        kind="list[str]",
        check=_check_image_tag,
    )
    build_timeout: int = opt(
        60,
        "Time limit of one platform's build, in minutes (the build is stopped after it).",
        kind="int",
        key="build-timeout",
        minimum=1,
    )


@dataclass(frozen=True, kw_only=True)
class PublishConfig:
    feed: FeedConfig | None = opt(
        None,
        "Where wheels go.",
        kind="section?",
        section=FeedConfig,
        default_doc="a PEP 503 directory feed under .mlrelease/feed",
    )
    images: tuple[ImageConfig, ...] = opt(
        [], "Container images to build and push.", kind="list[section]", section=ImageConfig
    )
    container_engine: Literal["auto", "docker", "podman", "buildah"] = opt(
        "auto",
        "Container engine (env MLRELEASE_CONTAINER_ENGINE wins).",
        kind="enum",
        key="container-engine",
        choices=("auto", "docker", "podman", "buildah"),
    )


@dataclass(frozen=True, kw_only=True)
class Config:
    python: tuple[str, ...] = opt(
        [],
        "Python versions of the test matrix.",
        kind="list[str]",
        check=_check_python_version,
        default_doc="from requires-python and the interpreters that exist",
    )
    source: str | None = opt(
        None,
        "Package directory.",
        kind="str?",
        check=_check_relative_path,
        default_doc="inferred for src/ and flat layouts",
    )
    lint: LintConfig = opt(None, "Lint stage.", kind="section", section=LintConfig)
    test: TestConfig = opt(None, "Test stage.", kind="section", section=TestConfig)
    docs: DocsConfig = opt(None, "Docs stage.", kind="section", section=DocsConfig)
    tools: ToolsConfig = opt(None, "Pinned tool versions.", kind="section", section=ToolsConfig)
    build: BuildConfig = opt(None, "Build stage.", kind="section", section=BuildConfig)
    version: VersionConfig = opt(None, "Versioning.", kind="section", section=VersionConfig)
    publish: PublishConfig = opt(None, "Publishing.", kind="section", section=PublishConfig)
    members: tuple[str, ...] = opt(
        [],
        "Monorepo root only: the member package directories, as globs relative to the root "
        '(e.g. "packages/*"); [tool.uv.workspace] members are added. Each member\'s own '
        "[tool.mlrelease] overrides this table's keys, table by table.",
        kind="list[str]",
        check=_check_relative_path,
        default_doc="none: a single-package repository",
    )
    # Dotted keys the user set explicitly (everything else is a default).
    explicit: frozenset[str] = field(default=frozenset(), metadata={"internal": True})


def config_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The user-facing fields of a section class, in declaration order."""
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def toml_key(f: dataclasses.Field[Any]) -> str:
    key = f.metadata.get("key")
    return key if isinstance(key, str) else f.name.replace("_", "-")


# --- parsing -----------------------------------------------------------------------------------

_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "table",
}


def _type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


def _holds_secret(value: object, depth: int = 0) -> bool:
    """Whether a value, or any string nested in a list or table, looks like a secret."""
    if isinstance(value, str):
        return looks_like_secret(value)
    if depth > 20:  # a deep structure is not shown at all
        return True
    if isinstance(value, (list, tuple)):
        return any(_holds_secret(v, depth + 1) for v in value)
    if isinstance(value, dict):
        return any(
            _holds_secret(k, depth + 1) or _holds_secret(v, depth + 1) for k, v in value.items()
        )
    return False


def _shown(value: object) -> str:
    """A value as it may appear in a message: never a secret-looking string, nor a list or table
    holding one (a cut-off repr could show half a token that no mask would then recognise)."""
    if _holds_secret(value):
        return "<hidden>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _Collector:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.explicit: set[str] = set()

    def add(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, key, message, hint))


T = TypeVar("T")


def _secret_check(value: str, path: str, out: _Collector) -> bool:
    if looks_like_secret(value):
        out.add(
            path,
            "looks like a secret (a token, password or credential-bearing URL)",
            "never store credentials in pyproject.toml: remove it and set MLRELEASE_FEED_TOKEN "
            "or MLRELEASE_REGISTRY_PASSWORD in the environment (or use Azure OIDC)",
        )
        return True
    return False


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _control_check(value: str, path: str, out: _Collector) -> bool:
    """A newline, carriage return or other control character (header or argument injection)."""
    if _CONTROL_RE.search(value):
        out.add(
            path,
            f"contains a control character (newline, carriage return, tab...): {_shown(value)}",
            'remove it; a TOML multi-line string ("""...""") keeps its trailing newline',
        )
        return True
    return False


def _run_check(f: dataclasses.Field[Any], value: Any, where: str, out: _Collector) -> bool:
    if isinstance(value, str) and (
        _secret_check(value, where, out) or _control_check(value, where, out)
    ):
        return False
    check = f.metadata["check"]
    if check is not None:
        bad = check(value)
        if bad:
            out.add(where, bad[0], bad[1])
            return False
    return True


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _parse_bool(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    if not isinstance(raw, bool):
        out.add(
            path,
            f"must be true or false, got {_type_name(raw)} {_shown(raw)}",
            f"write {_leaf(path)} = true",
        )
        return None
    return raw


def _parse_number(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    kind = f.metadata["kind"]
    if kind == "workers" and raw == "auto":
        return raw
    ok_types: tuple[type, ...] = (int,) if kind != "number" else (int, float)
    if isinstance(raw, bool) or not isinstance(raw, ok_types):
        expected = {"int": "an integer", "number": "a number"}.get(
            kind, 'a number of workers or "auto"'
        )
        out.add(
            path,
            f"must be {expected}, got {_type_name(raw)} {_shown(raw)}",
            "write a bare number without quotes" if isinstance(raw, str) else "",
        )
        return None
    value: int | float = raw  # type: ignore[assignment]  # int or float, checked above
    bad = _out_of_range(f, value, path)
    if bad:
        out.add(path, bad[0], bad[1])
        return None
    return raw


def _out_of_range(f: dataclasses.Field[Any], value: float, path: str) -> tuple[str, str] | None:
    """(message, hint) when ``value`` is not finite or outside the field's bounds."""
    kind = f.metadata["kind"]
    if isinstance(value, float) and not math.isfinite(value):
        return (
            f"must be a finite number, got {value}",
            f"write a number, e.g. {_leaf(path)} = {f.default:g}",
        )
    lo = f.metadata["minimum"] if kind != "workers" else 0
    hi = f.metadata["maximum"] if kind != "workers" else MAX_WORKERS
    if kind == "number" and hi is not None and (value < lo or value > hi):
        return (
            f"must be between {lo:g} and {hi:.10g}, got {_shown(value)}",
            f"write a value in that range, e.g. {_leaf(path)} = {f.default:g}",
        )
    if lo is not None and value < lo:
        return (f"must be at least {lo:g}, got {_shown(value)}", f"write a value of {lo:g} or more")
    if hi is not None and value > hi:
        return (
            f"must be at most {hi:.10g}, got {_shown(value)}",
            f"write a value of {hi:.10g} or less",
        )
    return None


def _parse_str(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    if not isinstance(raw, str):
        out.add(
            path,
            f"must be a string, got {_type_name(raw)} {_shown(raw)}",
            "put the value in quotes",
        )
        return None
    return raw if _run_check(f, raw, path, out) else None


def _parse_enum(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    choices = f.metadata["choices"]
    if not isinstance(raw, str) or raw not in choices:
        near = difflib.get_close_matches(str(raw), choices, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        out.add(
            path,
            f"must be one of {', '.join(repr(c) for c in choices)}, got {_shown(raw)}",
            f"{hint}choose one of the listed values",
        )
        return None
    return raw


def _parse_str_list(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    if not isinstance(raw, list):
        out.add(
            path,
            f"must be an array of strings, got {_type_name(raw)} {_shown(raw)}",
            f'write {_leaf(path)} = ["..."]',
        )
        return None
    good = True
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, str):
            out.add(
                where,
                f"must be a string, got {_type_name(item)} {_shown(item)}",
                "put the value in quotes",
            )
            good = False
        elif not _run_check(f, item, where, out):
            good = False
    return tuple(raw) if good else None


def _parse_str_map(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    if not isinstance(raw, dict):
        out.add(
            path,
            f"must be a table of strings, got {_type_name(raw)} {_shown(raw)}",
            f'write {_leaf(path)} = {{ name = "value" }}',
        )
        return None
    good = True
    for k, v in raw.items():
        where = f"{path}.{k}"
        if not isinstance(v, str):
            out.add(
                where,
                f"must be a string, got {_type_name(v)} {_shown(v)}",
                "put the value in quotes",
            )
            good = False
        elif (
            _control_check(k, where, out)
            or _secret_check(v, where, out)
            or _control_check(v, where, out)
        ):
            good = False
        elif f.name == "prerelease_branches":
            for bad in (_check_glob(k), _check_token(v)):
                if bad:
                    out.add(where, bad[0], bad[1])
                    good = False
        elif f.name in ("build_args", "define") and (bad := _check_arg_name(k)):
            out.add(where, bad[0], bad[1])
            good = False
    return dict(raw) if good else None


def _parse_table(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    if not isinstance(raw, dict):
        out.add(
            path, f"must be a table, got {_type_name(raw)} {_shown(raw)}", f"write it as [{path}]"
        )
        return None
    return _parse_section(f.metadata["section"], raw, path, out)


def _parse_table_list(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        out.add(
            path,
            f"must be an array of tables, got {_type_name(raw)} {_shown(raw)}",
            f"write each entry as [[{path}]]",
        )
        return None
    cls = f.metadata["section"]
    items = [_parse_section(cls, x, f"{path}[{i}]", out) for i, x in enumerate(raw)]
    before = len(out.problems)
    if cls is ImageConfig:
        _duplicate_images(raw, path, out)
    if len(out.problems) > before:
        return None
    return tuple(items) if all(i is not None for i in items) else None


_PARSERS: dict[str, Callable[[dataclasses.Field[Any], object, str, _Collector], Any]] = {
    "bool": _parse_bool,
    "int": _parse_number,
    "number": _parse_number,
    "workers": _parse_number,
    "str": _parse_str,
    "str?": _parse_str,
    "enum": _parse_enum,
    "list[str]": _parse_str_list,
    "map[str,str]": _parse_str_map,
    "section": _parse_table,
    "section?": _parse_table,
    "list[section]": _parse_table_list,
}


def _parse_value(f: dataclasses.Field[Any], raw: object, path: str, out: _Collector) -> Any:
    """The validated value of one key, or None after recording the problems."""
    return _PARSERS[f.metadata["kind"]](f, raw, path, out)


def _parse_section(cls: type[T], raw: Mapping[str, object], path: str, out: _Collector) -> T | None:
    fields = {toml_key(f): f for f in config_fields(cls)}
    values: dict[str, Any] = {}
    failed = False
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key not in fields:
            failed = True
            if re.search(r"(password|passwd|token|secret|api[-_]?key|credential)", key, re.I):
                out.add(
                    where,
                    "secrets never belong in pyproject.toml",
                    "remove the key; mlrelease reads credentials from the environment "
                    "(MLRELEASE_FEED_TOKEN, MLRELEASE_REGISTRY_PASSWORD) or Azure OIDC",
                )
                continue
            near = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}?" if near else f"valid keys: {', '.join(fields)}"
            out.add(where, "unknown key", hint)
            continue
        f = fields[key]
        parsed = _parse_value(f, value, where, out)
        if parsed is None:
            failed = True
            continue
        values[f.name] = parsed
        if f.metadata["kind"] not in ("section",):
            out.explicit.add(where.removeprefix(f"{TABLE}."))
    # Sections that were not given still get their defaults (so every sub-object exists).
    for f in fields.values():
        if f.metadata["kind"] == "section" and f.name not in values:
            values[f.name] = f.metadata["section"]()
    if failed:
        return None
    obj = cls(**values)
    bad = _cross_checks(obj, path)
    for key, message, hint in bad:
        out.add(key, message, hint)
    return None if bad else obj


Issue = tuple[str, str, str]  # (dotted key, message, hint)


def _azure_feed_issues(obj: AzureArtifactsFeed, path: str) -> list[Issue]:
    example = (
        'write e.g. azure-artifacts = { organization = "contoso", project = "ml", feed = "models" }'
    )
    return [
        (f"{path}.{name}", "is required", example)
        for name in ("organization", "feed")
        if not getattr(obj, name)
    ]


def _feed_issues(obj: FeedConfig, path: str) -> list[Issue]:
    if obj.azure_artifacts is not None and (obj.upload_url or obj.index_url):
        key = f"{path}.upload-url" if obj.upload_url else f"{path}.index-url"
        return [
            (
                key,
                "cannot be combined with azure-artifacts",
                "use either azure-artifacts (URLs are derived) or upload-url + index-url",
            )
        ]
    if obj.azure_artifacts is None and not obj.upload_url:
        return [
            (
                path,
                "names no feed",
                "set azure-artifacts = { organization, feed } or upload-url (+ index-url); "
                "remove the table to publish to the embedded directory feed",
            )
        ]
    return []


def _image_issues(obj: ImageConfig, path: str) -> list[Issue]:
    issues: list[Issue] = []
    if not obj.name:
        issues.append(
            (
                f"{path}.name",
                "is required and must not be empty",
                'give the repository name, e.g. name = "drift-detector"',
            )
        )
    if not obj.tags:
        issues.append((f"{path}.tags", "must list at least one tag", 'e.g. tags = ["{version}"]'))
    return issues


_CROSS_CHECKS: dict[type, Callable[[Any, str], list[Issue]]] = {
    AzureArtifactsFeed: _azure_feed_issues,
    FeedConfig: _feed_issues,
    ImageConfig: _image_issues,
}


def _cross_checks(obj: object, path: str) -> list[Issue]:
    """Rules that involve more than one key of one table."""
    check = _CROSS_CHECKS.get(type(obj))
    return check(obj, path) if check else []


def _duplicate_images(raw: list[Any], path: str, out: _Collector) -> None:
    """Two images with the same registry and name would overwrite each other's tags."""
    seen: dict[tuple[object, object], int] = {}
    for i, item in enumerate(raw):
        ident = (item.get("registry"), item.get("name"))
        if not isinstance(ident[1], str) or not ident[1]:
            continue
        if not isinstance(ident[0], (str, type(None))):
            continue  # a wrong type, reported by the key's own check
        if ident in seen:
            out.add(
                f"{path}[{i}].name",
                f"duplicate image {ident[1]!r} (same registry and name as {path.rsplit('.', 1)[-1]}[{seen[ident]}])",
                "give each image its own name or registry",
            )
        else:
            seen[ident] = i


def parse_config(raw: Mapping[str, object] | None, *, file: str = "pyproject.toml") -> Config:
    """Validate the ``[tool.mlrelease]`` table (``None``: absent, all defaults).

    Raises :class:`ConfigError` listing every problem found.
    """
    out = _Collector(file)
    if raw is None:
        return Config()
    if not isinstance(raw, Mapping):
        raise ConfigError(
            problems=[
                Problem(
                    file,
                    TABLE,
                    f"must be a table, got {_type_name(raw)}",
                    "write it as [tool.mlrelease]",
                )
            ]
        )
    try:
        cfg = _parse_section(Config, raw, TABLE, out)
    except RecursionError:
        out.add(TABLE, "nests arrays or tables too deeply", "flatten the deeply nested value")
        cfg = None
    if out.problems or cfg is None:
        raise ConfigError(problems=out.problems)
    return dataclasses.replace(cfg, explicit=frozenset(out.explicit))


def read_pyproject(path: Path) -> dict[str, Any]:
    """Read a pyproject.toml; a TOML syntax error is a :class:`ConfigError` naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            problems=[
                Problem(
                    str(path), "", "file not found", "run inside a project, or pass --project DIR"
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(problems=[Problem(str(path), "", f"cannot be read: {exc}", "")]) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line = describe_toml_error(text, str(exc))
        raise ConfigError(
            problems=[
                Problem(
                    str(path),
                    "",
                    f"is not valid TOML: {message}",
                    f"fix the syntax at line {line}, shown above" if line else "fix the syntax",
                    line=line,
                )
            ]
        ) from None
    except RecursionError:
        key, line = _key_of_line(text, lambda s: s.count("[") + s.count("{") > 200)
        raise ConfigError(
            problems=[
                Problem(
                    str(path),
                    key,
                    "nests arrays or tables too deeply to be read",
                    "flatten the deeply nested value",
                    line,
                )
            ]
        ) from None
    except ValueError:  # an integer with more digits than Python converts
        key, line = _key_of_line(text, lambda s: re.search(r"[0-9_]{1000,}", s) is not None)
        raise ConfigError(
            problems=[
                Problem(
                    str(path),
                    key,
                    "holds an integer too large to read",
                    "write a number of a sensible size",
                    line,
                )
            ]
        ) from None
    return data


def _key_of_line(text: str, bad: Callable[[str], bool]) -> tuple[str, int | None]:
    """The dotted key (and line) of the first line where ``bad`` holds, for messages."""
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.fullmatch(r"\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?", line)
        if header:
            table = header.group(1)
            continue
        if bad(line):
            lhs = line.split("=", 1)[0].strip() if "=" in line else ""
            key = ".".join(k for k in (table, lhs) if k)
            return (key, number)
    return ("", None)


def load_config(project: Path) -> Config:
    """Read and validate ``[tool.mlrelease]`` from ``project/pyproject.toml``."""
    pyproject = project / "pyproject.toml"
    data = read_pyproject(pyproject)
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(problems=[Problem("pyproject.toml", "tool", "must be a table", "")])
    return parse_config(tool.get("mlrelease"), file=pyproject.name)


def is_default(config: Config, dotted: str) -> bool:
    """Whether ``dotted`` (e.g. ``"test.coverage-min"``) was left at its default."""
    return not any(
        k == dotted or k.startswith(dotted + ".") or k.startswith(dotted + "[")
        for k in config.explicit
    )
