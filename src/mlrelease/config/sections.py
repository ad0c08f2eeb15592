"""The tables under ``[tool.mlrelease]``: one frozen keyword-only dataclass each, one :func:`opt`
per key. The top-level table, :class:`mlrelease.config.model.Config`, holds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

from mlrelease.config.checks import (
    check_arg_name,
    check_git_ref,
    check_glob,
    check_http_url,
    check_image_name,
    check_image_ref,
    check_image_tag,
    check_name,
    check_platform,
    check_registry,
    check_relative_path,
    check_requirement,
    check_stamp,
    check_tag_format,
    check_token,
    check_unique_images,
    check_upload_url,
)
from mlrelease.config.fields import Alternatives, opt

MAX_FILE_SIZE_MIB = 1024 * 1024  # 1 TiB: above any feed's limit, below any overflow


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
        check=check_relative_path,
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
        check=check_git_ref,
    )
    requirements: tuple[str, ...] = opt(
        [],
        "Extra requirements installed into the lint environment (PEP 508 strings): type stubs, "
        'ruff or mypy plugins, e.g. "types-requests".',
        kind="list[str]",
        check=check_requirement,
    )


@dataclass(frozen=True, kw_only=True)
class TestConfig:
    paths: tuple[str, ...] = opt(
        ["tests"], "Test paths given to pytest.", kind="list[str]", check=check_relative_path
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
        check=check_name,
    )
    extras: tuple[str, ...] = opt(
        [],
        "Optional-dependency extras installed with the package for the tests.",
        kind="list[str]",
        check=check_name,
    )
    dependency_groups: tuple[str, ...] = opt(
        [],
        "PEP 735 dependency groups installed for the tests.",
        kind="list[str]",
        key="dependency-groups",
        check=check_name,
    )
    requirements: tuple[str, ...] = opt(
        [],
        "Extra requirements installed for the tests (PEP 508 strings).",
        kind="list[str]",
        check=check_requirement,
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
        check=check_relative_path,
        default_doc="found at docs/, docs/source/ or doc/",
    )
    warnings_as_errors: bool = opt(
        True, "Pass -W --keep-going to sphinx-build.", kind="bool", key="warnings-as-errors"
    )
    builder: str = opt("html", "Sphinx builder.", kind="str", check=check_name)
    cwd: str | None = opt(
        None,
        "Directory sphinx-build runs from, as the repository's docs Makefile runs it (files "
        "its conf.py writes land there, not in the repository root).",
        kind="str?",
        check=check_relative_path,
        default_doc="the repository root",
    )
    define: dict[str, str] = opt(
        {},
        "Extra `-D name=value` settings for sphinx-build.",
        kind="map[str,str]",
        key_check=check_arg_name,
    )
    extras: tuple[str, ...] = opt(
        [],
        'Extras that install the docs dependencies (e.g. "docs").',
        kind="list[str]",
        check=check_name,
    )
    dependency_groups: tuple[str, ...] = opt(
        [],
        "Dependency groups that install the docs dependencies.",
        kind="list[str]",
        key="dependency-groups",
        check=check_name,
    )
    requirements: tuple[str, ...] = opt(
        [], "Extra requirements for the docs build.", kind="list[str]", check=check_requirement
    )
    linkcheck: bool = opt(
        False, "Also define the docs-linkcheck session in the check tag.", kind="bool"
    )


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
        "dist", "Where the build session writes the files.", kind="str", check=check_relative_path
    )


@dataclass(frozen=True, kw_only=True)
class VersionConfig:
    tag_format: str = opt(
        "v{version}",
        "Git tag format; must contain {version}.",
        kind="str",
        key="tag-format",
        check=check_tag_format,
    )
    release_branches: tuple[str, ...] = opt(
        ["main"],
        "Branches (or glob patterns) that cut final releases.",
        kind="list[str]",
        key="release-branches",
        check=check_glob,
    )
    prerelease_branches: dict[str, str] = opt(
        {},
        'Branch pattern -> prerelease token, e.g. { "rc/*" = "rc" }.',
        kind="map[str,str]",
        key="prerelease-branches",
        key_check=check_glob,
        check=check_token,
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
        check=check_relative_path,
    )
    stamp: tuple[str, ...] = opt(
        [],
        'Extra FILE:VARIABLE entries to stamp, e.g. "src/pkg/_version.py:__version__", or a '
        'plain version file whose whole content is the version, e.g. "VERSION".',
        kind="list[str]",
        check=check_stamp,
        default_doc="pyproject project.version (or the [tool.setuptools.dynamic] version file) "
        "and the package's __version__",
    )


_AZURE_EXAMPLE = (
    'write e.g. azure-artifacts = { organization = "contoso", project = "ml", feed = "models" }'
)


@dataclass(frozen=True, kw_only=True)
class AzureArtifactsFeed:
    organization: str = opt(
        "",
        "Azure DevOps organization.",
        kind="str",
        check=check_name,
        required=("is required", _AZURE_EXAMPLE),
    )
    project: str | None = opt(
        None,
        "Azure DevOps project (omit for an organization-scoped feed).",
        kind="str?",
        check=check_name,
    )
    feed: str = opt(
        "",
        "Azure Artifacts feed name.",
        kind="str",
        check=check_name,
        required=("is required", _AZURE_EXAMPLE),
    )


@dataclass(frozen=True, kw_only=True)
class FeedConfig:
    ALTERNATIVES: ClassVar[Alternatives] = Alternatives(
        missing=(
            "names no feed",
            "set azure-artifacts = { organization, feed } or upload-url (+ index-url); "
            "remove the table to publish to the embedded directory feed",
        ),
        conflict_hint="use either azure-artifacts (URLs are derived) or upload-url + index-url",
    )

    azure_artifacts: AzureArtifactsFeed | None = opt(
        None,
        "Azure Artifacts feed: { organization, project, feed }.",
        kind="section?",
        key="azure-artifacts",
        section=AzureArtifactsFeed,
        alternative="azure-artifacts",
    )
    upload_url: str | None = opt(
        None,
        "Upload URL of a PyPI-compatible feed.",
        kind="str?",
        key="upload-url",
        check=check_upload_url,
        alternative="urls",
    )
    index_url: str | None = opt(
        None,
        "Simple index URL (PEP 503) of that feed.",
        kind="str?",
        key="index-url",
        check=check_http_url,
        alternative="urls",
    )
    max_file_size_mib: int = opt(
        500,
        "Largest file the feed accepts, in MiB (Azure Artifacts: 500).",
        kind="int",
        key="max-file-size-mib",
        minimum=1,
        maximum=MAX_FILE_SIZE_MIB,
    )


_IMAGE_NAME_MISSING = (
    "is required and must not be empty",
    'give the repository name, e.g. name = "drift-detector"',
)


@dataclass(frozen=True, kw_only=True)
class ImageConfig:
    name: str = opt(
        "",
        'Image repository name, e.g. "ml/drift-detector".',
        kind="str",
        check=check_image_name,
        required=_IMAGE_NAME_MISSING,
        nonempty=_IMAGE_NAME_MISSING,
    )
    registry: str | None = opt(
        None,
        "Registry host, e.g. contosoml.azurecr.io.",
        kind="str?",
        check=check_registry,
        default_doc="none: an OCI image layout under .mlrelease/images",
    )
    dockerfile: str | None = opt(
        None,
        "The project's own Dockerfile.",
        kind="str?",
        check=check_relative_path,
        default_doc="the built-in template",
    )
    context: str = opt(
        ".", "Build context for a project Dockerfile.", kind="str", check=check_relative_path
    )
    base_image: str = opt(
        "python:3.12-slim",
        "Base image of the built-in template.",
        kind="str",
        key="base-image",
        check=check_image_ref,
    )
    build_args: dict[str, str] = opt(
        {}, "Build arguments.", kind="map[str,str]", key="build-args", key_check=check_arg_name
    )
    platforms: tuple[str, ...] = opt(
        ["linux/amd64"], "Target platforms.", kind="list[str]", check=check_platform
    )
    tags: tuple[str, ...] = opt(
        ["{version}", "{major}.{minor}", "sha-{short_sha}", "latest"],
        "Tag templates; 'latest' and partial versions only on final releases.",
        kind="list[str]",
        check=check_image_tag,
        nonempty=("must list at least one tag", 'e.g. tags = ["{version}"]'),
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
        [],
        "Container images to build and push.",
        kind="list[section]",
        section=ImageConfig,
        items_check=check_unique_images,
    )
    container_engine: Literal["auto", "docker", "podman", "buildah"] = opt(
        "auto",
        "Container engine (env MLRELEASE_CONTAINER_ENGINE wins).",
        kind="enum",
        key="container-engine",
        choices=("auto", "docker", "podman", "buildah"),
    )
