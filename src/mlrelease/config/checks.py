"""The checks of single values of ``[tool.mlrelease]``: each returns ``(message, hint)`` for a bad
value, or None. A field names its check in :func:`mlrelease.config.fields.opt`; the JSON schema
mirrors the checks it can express (:data:`mlrelease.config.schema._CHECK_PATTERNS`).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

from mlrelease._util.redact import looks_like_secret
from mlrelease.config.fields import Issue

TAG_PLACEHOLDERS = ("version", "major", "minor", "patch", "short_sha", "sha")
PRERELEASE_TOKENS = ("a", "b", "rc", "alpha", "beta")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
IMAGE_NAME_RE = re.compile(
    r"^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
REGISTRY_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.-]*(?::[0-9]{1,5})?$")
PYVER_RE = re.compile(r"^3\.[0-9]{1,2}$")
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")
TAG_CHARS_RE = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$")


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


def shown(value: object) -> str:
    """A value as it may appear in a message: never a secret-looking string, nor a list or table
    holding one (a cut-off repr could show half a token that no mask would then recognise)."""
    if _holds_secret(value):
        return "<hidden>"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


# --- checks used by several fields -------------------------------------------------------------


def check_tag_format(value: str) -> tuple[str, str] | None:
    if value[:1] in ("-", ".", "/"):
        return (
            f"must not begin with {value[:1]!r}, got {value!r} (git would read a tag beginning "
            "with '-' as an option)",
            'begin with a letter, a digit or {version}: e.g. "v{version}"',
        )
    names = PLACEHOLDER_RE.findall(value)
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


def check_image_tag(value: str) -> tuple[str, str] | None:
    names = PLACEHOLDER_RE.findall(value)
    unknown = [n for n in names if n not in TAG_PLACEHOLDERS]
    if unknown:
        known = ", ".join("{" + n + "}" for n in TAG_PLACEHOLDERS)
        near = difflib.get_close_matches(unknown[0], TAG_PLACEHOLDERS, n=1)
        hint = f"did you mean {{{near[0]}}}? " if near else ""
        return (
            f"unknown placeholder {{{unknown[0]}}} in tag {value!r}",
            f"{hint}placeholders are {known}",
        )
    sample = PLACEHOLDER_RE.sub("1", value)
    if not TAG_CHARS_RE.fullmatch(sample):
        return (
            f"{value!r} does not make a valid image tag",
            "tags are 1-128 of A-Z a-z 0-9 _ . - and start with a letter, digit or _",
        )
    return None


def check_http_url(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"https?://[^/\s]+\S*", value):
        return (
            f"must be an http(s) URL, got {value!r}",
            "write the full URL, e.g. https://host/path/",
        )
    return None


def check_upload_url(value: str) -> tuple[str, str] | None:
    bad = check_http_url(value)
    if bad:
        return bad
    if re.search(r"/(simple|\+simple)/?$", value):
        return (
            f"{value!r} is a simple-index URL, not an upload URL",
            "put it in index-url; the upload URL is usually the same path without /simple "
            "(Azure Artifacts: .../_packaging/<feed>/pypi/upload/)",
        )
    return None


def check_python_version(value: str) -> tuple[str, str] | None:
    if not PYVER_RE.fullmatch(value):
        return (f"{value!r} is not a Python version of the form 3.X", 'write e.g. "3.11"')
    return None


NAME_MAX = 255  # bytes in one path component (ext4, xfs, btrfs, APFS, NTFS in characters)
PATH_MAX = 1024  # a path inside a project; far below the OS limit of 4096


def check_relative_path(value: str) -> tuple[str, str] | None:
    if not value or Path(value).is_absolute() or ".." in Path(value).parts:
        return (
            f"must be a relative path inside the project, got {shown(value)}",
            'write e.g. "src/mypkg"',
        )
    return check_path_shape(value)


def check_path_shape(value: str) -> tuple[str, str] | None:
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
            f"must not begin with '-', got {shown(value)} (a tool would read it as an option)",
            f'write "./{value}" for a path that really begins with "-"',
        )
    return None


def check_stamp(value: str) -> tuple[str, str] | None:
    """``FILE:VARIABLE`` or a plain ``FILE``: the file is a relative path inside the project."""
    file = value.split(":", 1)[0]
    bad = check_relative_path(file)
    if bad:
        return (
            f"names {shown(file)}; a stamped file must be a relative path inside the project"
            if file and (Path(file).is_absolute() or ".." in Path(file).parts)
            else bad[0],
            'write e.g. "src/pkg/_version.py:__version__" (relative to the project root, '
            "no leading / and no ..)",
        )
    return None


def check_not_option(value: str) -> tuple[str, str] | None:
    if value.startswith("-") or not value.strip():
        return (
            f"must not be empty or begin with '-', got {shown(value)} (a tool would read it as "
            "an option)",
            "write the value itself; options have their own keys",
        )
    return None


def check_git_ref(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_./@{}^~-]*", value) or ".." in value:
        return (
            f"{shown(value)} is not a git ref (a branch, tag or commit)",
            'write e.g. "origin/main"',
        )
    return None


def check_requirement(value: str) -> tuple[str, str] | None:
    """A PEP 508 requirement string (``types-requests``, ``foo[bar]>=1``), never a pip option."""
    bad = check_not_option(value)
    if bad:
        return (bad[0], 'write a requirement, e.g. "types-requests>=2"; pip options are refused')
    try:
        Requirement(value)
    except InvalidRequirement as exc:
        return (
            f"{shown(value)} is not a PEP 508 requirement: {str(exc).splitlines()[0]}",
            'write e.g. "types-requests" or "torch>=2.2"',
        )
    return None


def check_image_ref(value: str) -> tuple[str, str] | None:
    """An image reference ``[registry[:port]/]name[:tag][@digest]``."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._/:@+-]{0,254}", value):
        return (
            f"{shown(value)} is not an image reference",
            'write e.g. "python:3.12-slim" or "registry.example/ml/base:1.2"',
        )
    return None


def check_arg_name(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_.-]*", value):
        return (
            f"{shown(value)} is not a valid name",
            "begin with a letter or _, then letters, digits, _ . -",
        )
    return None


def check_name(value: str) -> tuple[str, str] | None:
    if not NAME_RE.fullmatch(value):
        return (f"{value!r} is not a valid name", "use letters, digits, '.', '-' and '_'")
    return None


def check_image_name(value: str) -> tuple[str, str] | None:
    if not value:
        return ("must not be empty", 'give the repository name, e.g. "drift-detector"')
    if not IMAGE_NAME_RE.fullmatch(value):
        return (
            f"{value!r} is not a valid image repository name",
            'use lowercase letters, digits and separators . _ - /, e.g. "ml/drift-detector"',
        )
    return None


def check_registry(value: str) -> tuple[str, str] | None:
    if "://" in value or "/" in value:
        return (
            f"{value!r} must be a registry host, without scheme or path",
            'write e.g. "contosoml.azurecr.io"; the image path goes in name',
        )
    if not REGISTRY_RE.fullmatch(value):
        return (
            f"{value!r} is not a registry host",
            'write e.g. "contosoml.azurecr.io" or "127.0.0.1:5000"',
        )
    return None


def check_tool_version(value: str) -> tuple[str, str] | None:

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


def check_platform(value: str) -> tuple[str, str] | None:
    if not re.fullmatch(r"linux/(amd64|arm64|arm/v7|arm/v6|386|ppc64le|s390x|riscv64)", value):
        return (f"{value!r} is not a supported platform", 'use e.g. "linux/amd64" or "linux/arm64"')
    return None


def check_glob(value: str) -> tuple[str, str] | None:
    if not value or value[0] in "/-" or " " in value:
        return (f"{value!r} is not a branch name or pattern", 'write e.g. "main" or "rc/*"')
    return None


def check_token(value: str) -> tuple[str, str] | None:
    if value not in PRERELEASE_TOKENS:
        return (
            f"prerelease token must be one of {', '.join(PRERELEASE_TOKENS)}, got {value!r}",
            'PEP 440 knows a, b and rc; e.g. { "rc/*" = "rc" }',
        )
    return None


# --- checks over the entries of an array of tables ----------------------------------------------


def check_unique_images(raw: list[Any], path: str) -> list[Issue]:
    """Two images with the same registry and name would overwrite each other's tags."""
    issues: list[Issue] = []
    seen: dict[tuple[object, object], int] = {}
    for i, item in enumerate(raw):
        ident = (item.get("registry"), item.get("name"))
        if not isinstance(ident[1], str) or not ident[1]:
            continue
        if not isinstance(ident[0], (str, type(None))):
            continue  # a wrong type, reported by the key's own check
        if ident in seen:
            issues.append(
                (
                    f"{path}[{i}].name",
                    f"duplicate image {ident[1]!r} (same registry and name as {path.rsplit('.', 1)[-1]}[{seen[ident]}])",
                    "give each image its own name or registry",
                )
            )
        else:
            seen[ident] = i
    return issues
