"""The one model of ``[tool.mlrelease]``: parsed here, and nowhere else, into frozen typed objects.

Why dataclasses and not pydantic: the model is small, every message is hand-written to name the
dotted key and the fix (pydantic's messages would need rewriting anyway), frozen keyword-only
dataclasses cost nothing at import time (``mlrelease --help`` stays light), and the same field
metadata generates the JSON schema (:mod:`mlrelease.config.schema`) and the reference docs.

The model in five jobs, one module each:

- :mod:`~mlrelease.config.fields`: how a key is declared (:func:`opt`) and its metadata;
- :mod:`~mlrelease.config.checks`: the checks of single values;
- :mod:`~mlrelease.config.pins` and :mod:`~mlrelease.config.sections`: the tables (the tool pins,
  the stages, versioning, publishing), and here the top-level :class:`Config`;
- :mod:`~mlrelease.config.parser`: the generic walker that validates a raw table against the
  metadata, collects *every* problem and builds the object;
- :mod:`~mlrelease.config.reader`: pyproject.toml read into a raw table.

This module is the entry point the rest of mlrelease imports: :class:`Config`,
:func:`parse_config`, :func:`load_config`, :func:`is_default`, and the names below it re-exports.
Values left at their default are recorded in :attr:`Config.explicit` (what was *not* defaulted)
so ``mlrelease plan`` can mark defaults.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from mlrelease.config.checks import check_image_ref, check_python_version, check_relative_path
from mlrelease.config.fields import TABLE, config_fields, opt, toml_key
from mlrelease.config.parser import Collector, parse_section, type_name
from mlrelease.config.pins import DEFAULT_TOOLS, ToolsConfig
from mlrelease.config.reader import read_pyproject, tomllib
from mlrelease.config.sections import (
    AzureArtifactsFeed,
    BuildConfig,
    DocsConfig,
    FeedConfig,
    ImageConfig,
    LintConfig,
    PublishConfig,
    TestConfig,
    VersionConfig,
)
from mlrelease.errors import ConfigError, Problem

__all__ = [
    "DEFAULT_TOOLS",
    "TABLE",
    "AzureArtifactsFeed",
    "BuildConfig",
    "Config",
    "DocsConfig",
    "FeedConfig",
    "ImageConfig",
    "LintConfig",
    "PublishConfig",
    "TestConfig",
    "ToolsConfig",
    "VersionConfig",
    "check_image_ref",
    "config_fields",
    "is_default",
    "load_config",
    "parse_config",
    "read_pyproject",
    "toml_key",
    "tomllib",
]


@dataclass(frozen=True, kw_only=True)
class Config:
    python: tuple[str, ...] = opt(
        [],
        "Python versions of the test matrix.",
        kind="list[str]",
        check=check_python_version,
        default_doc="from requires-python and the interpreters that exist",
    )
    source: str | None = opt(
        None,
        "Package directory.",
        kind="str?",
        check=check_relative_path,
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
        check=check_relative_path,
        default_doc="none: a single-package repository",
    )
    # Dotted keys the user set explicitly (everything else is a default).
    explicit: frozenset[str] = field(default=frozenset(), metadata={"internal": True})


def parse_config(raw: Mapping[str, object] | None, *, file: str = "pyproject.toml") -> Config:
    """Validate the ``[tool.mlrelease]`` table (``None``: absent, all defaults).

    Raises :class:`ConfigError` listing every problem found.
    """
    out = Collector(file)
    if raw is None:
        return Config()
    if not isinstance(raw, Mapping):
        raise ConfigError(
            problems=[
                Problem(
                    file,
                    TABLE,
                    f"must be a table, got {type_name(raw)}",
                    "write it as [tool.mlrelease]",
                )
            ]
        )
    try:
        cfg = parse_section(Config, raw, TABLE, out)
    except RecursionError:
        out.add(TABLE, "nests arrays or tables too deeply", "flatten the deeply nested value")
        cfg = None
    if out.problems or cfg is None:
        raise ConfigError(problems=out.problems)
    return dataclasses.replace(cfg, explicit=frozenset(out.explicit))


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
