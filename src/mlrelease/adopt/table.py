"""The ``[tool.mlrelease]`` table ``mlrelease init`` proposes, rendered with tomlkit.

Every inferred value carries a comment saying where it came from and how to change it. The table is
appended to ``pyproject.toml`` as text (the rest of the file is untouched), and
:func:`check_appended_toml` proves the result parses and changed nothing else.
"""

from __future__ import annotations

import re
import sys
from typing import Any

import tomlkit

from mlrelease._util.console import counted
from mlrelease.adopt.detect import Detected
from mlrelease.config.model import DEFAULT_TOOLS
from mlrelease.errors import EnvironmentProblem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def lint_format_decision(found: Detected) -> tuple[bool, str]:
    """Whether the lint session runs ``ruff format --check``, and why.

    Only where the repository's own tooling would ask for it: it formats with ruff, or it has no
    formatter at all and its code is already ruff-formatted. A repository formatted with black (or
    not formatted) would otherwise fail on a check its own linters never make.
    """
    debt = found.lint
    if found.formatter.ruff_format:
        return True, "the repository formats with ruff: ruff format --check runs"
    if found.formatter.other:
        return False, (
            f"the repository formats with {found.formatter.other}: ruff format --check is off "
            "(lint.format = false)"
        )
    if not debt.checked:
        return True, f"ruff format --check runs (formatting not checked: {debt.reason})"
    if debt.unformatted:
        return False, (
            f"no formatter configured and {counted(debt.unformatted, 'file')} "
            f"{'is' if debt.unformatted == 1 else 'are'} not ruff-formatted: "
            "ruff format --check is off (set lint.format = true after `ruff format`)"
        )
    return True, "no formatter configured and the code is ruff-formatted: ruff format --check runs"


def lint_fail_on_new(found: Detected) -> bool:
    """The existing code has ruff findings (or unformatted files) or mypy errors: only lines
    changed against ``lint.base`` fail."""
    debt = found.lint
    fmt, _ = lint_format_decision(found)
    ruff_debt = debt.checked and bool(debt.findings or (fmt and debt.unformatted))
    return ruff_debt or found.mypy.errors > 0


def existing_debt(found: Detected) -> str:
    """``2 ruff findings, 0 unformatted files, 3 mypy errors``: what the existing code has."""
    debt = found.lint
    fmt, _ = lint_format_decision(found)
    parts = []
    if debt.checked:
        parts.append(counted(debt.findings, "ruff finding"))
        if fmt:
            parts.append(counted(debt.unformatted, "unformatted file"))
    if found.mypy.errors:
        parts.append(counted(found.mypy.errors, "mypy error"))
    return ", ".join(parts)


def _lint_table(found: Detected) -> Any:

    lint = tomlkit.table()
    debt = found.lint
    fmt, why = lint_format_decision(found)
    if not fmt:
        lint.add(tomlkit.comment(why[:1].upper() + why[1:] + "."))
        lint.add("format", False)
    if lint_fail_on_new(found):
        lint.add(tomlkit.comment(f"The existing code has {existing_debt(found)}:"))
        lint.add(tomlkit.comment('only lines changed against `base` fail. Set "all" once clean.'))
        lint.add("fail-on", "new")
    if (
        (lint_fail_on_new(found) or not debt.checked)  # not checked: the hint says "new"
        and found.branch
        and found.branch.base != "origin/main"
    ):
        lint.add("base", found.branch.base)
    if not found.mypy.on:
        why = found.mypy.why.split("; lint.mypy", 1)[0]
        lint.add(tomlkit.comment(f"mypy: {why}."[:98]))
        lint.add("mypy", "off")
    elif found.pins.lint_requirements:
        lint.add(tomlkit.comment("The mypy hook's additional_dependencies (.pre-commit-config)."))
        lint.add("requirements", list(found.pins.lint_requirements))
    return lint


def _version_table(found: Detected) -> Any:

    version = tomlkit.table()
    if found.tags.calver:
        version.add(
            tomlkit.comment(
                f"Calendar versions ({found.tags.example}), not bumped as semver: the next"
            )
        )
        version.add(tomlkit.comment("follows the calendar (YEAR.N+1.0, YEAR.N.P+1, YEAR.1.0)."))
    if found.tags.format and found.tags.format != "v{version}":
        version.add(
            tomlkit.comment(
                f"The existing tags look like {found.tags.example} ({counted(found.tags.count, 'tag')})."
            )
        )
        version.add("tag-format", found.tags.format)
    if found.branch and found.branch.name != "main":
        version.add("release-branches", [found.branch.name])
    if found.changelog.path:
        version.add("changelog", found.changelog.path)
    return version


def _tools_table(found: Detected) -> Any:

    tools = tomlkit.table()
    for tool, value in sorted(found.pins.values.items()):
        if value != DEFAULT_TOOLS.get(tool):
            tools.add(tomlkit.comment(f"As the repository pins it: {found.pins.why[tool]}"))
            tools.add(tool, value)
    return tools


def _test_table(found: Detected) -> Any:

    test = tomlkit.table()
    if found.test_paths and found.test_paths != ["tests"]:
        test.add("paths", found.test_paths)
    if found.pytest_args:
        test.add(tomlkit.comment("As the repository's CI runs pytest."))
        test.add("pytest-args", found.pytest_args)
    if found.test_workers:
        test.add(tomlkit.comment("pytest-xdist, as the repository's CI runs it (-n)."))
        test.add(
            "workers",
            found.test_workers if found.test_workers == "auto" else int(found.test_workers),
        )
    if found.coverage_min is not None:
        test.add(tomlkit.comment("From the repository's own coverage settings."))
        test.add("coverage-min", _number(found.coverage_min))
    else:
        test.add(
            tomlkit.comment(
                "Raise this floor once you know your coverage (mlrelease's default: 80)."
            )
        )
        test.add("coverage-min", 0)
    if found.exclude_markers:
        test.add(
            tomlkit.comment(
                "Hosted CI runners have no GPU, the sessions no network: these are deselected."
            )
        )
        test.add("exclude-markers", found.exclude_markers)
    if found.test_extras:
        if found.test_extras_why.startswith("no test extra"):
            test.add(tomlkit.comment("No test extra or dependency group: the dev extra."))
        test.add("extras", found.test_extras)
    if found.test_groups:
        test.add("dependency-groups", found.test_groups)
    return test


def _docs_table(found: Detected) -> Any:

    docs = tomlkit.table()
    if found.docs_off:
        docs.add(tomlkit.comment(found.docs_off.split(";", 1)[0] + ": not built by mlrelease."))
        docs.add("enabled", False)
        return docs
    docs.add("source", found.docs_dir)
    if found.docs_cwd:
        docs.add(tomlkit.comment(f"sphinx-build runs from here, as {found.docs_cwd_why} runs it."))
        docs.add("cwd", found.docs_cwd)

    docs.add(
        tomlkit.comment(
            "Existing docs start lenient; set true once `nox -s docs` shows no warnings."
        )
    )
    docs.add("warnings-as-errors", False)
    if found.docs_extras:
        docs.add("extras", found.docs_extras)
    if found.docs_groups:
        docs.add("dependency-groups", found.docs_groups)
    if found.docs_requirements:
        docs.add("requirements", found.docs_requirements)
    if found.docs_define:
        docs.add(tomlkit.comment("Offline, as the repository's docs build sets it."))
        define = tomlkit.inline_table()
        define.update(dict(sorted(found.docs_define.items())))
        docs.add("define", define)
    return docs


def _image_text(found: Detected) -> str:

    image = tomlkit.document()
    entry = tomlkit.table()
    entry.add(tomlkit.comment("The released wheel in an image made from ./Dockerfile."))
    entry.add("name", re.sub(r"[^a-z0-9]+", "-", found.name.lower()).strip("-"))
    entry.add("dockerfile", "Dockerfile")
    aot = tomlkit.aot()
    aot.append(entry)
    image.add("tool", {"mlrelease": {"publish": {"images": aot}}})
    return tomlkit.dumps(image)


def table_text(found: Detected, *, dockerfile: bool) -> str:
    """The ``[tool.mlrelease]`` table, with a comment on every inferred value."""

    doc = tomlkit.document()
    tool = tomlkit.table(is_super_table=True)
    ml = tomlkit.table()
    ml.add(tomlkit.comment("Added by `mlrelease init`. Every key: docs, reference/configuration."))
    ml.add(tomlkit.comment("`mlrelease plan` shows the resolved values, defaults included."))
    if found.pythons:
        ml.add("python", found.pythons)
    if found.source:
        ml.add("source", found.source)
    lint = _lint_table(found)
    if lint:
        ml.add("lint", lint)
    ml.add("test", _test_table(found))
    if found.docs_dir or found.docs_off:
        ml.add("docs", _docs_table(found))
    for name, section in (("version", _version_table(found)), ("tools", _tools_table(found))):
        if section:
            ml.add(name, section)
    tool.add("mlrelease", ml)
    doc.add("tool", tool)
    text = tomlkit.dumps(doc)
    return text + "\n" + _image_text(found) if dockerfile else text


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def check_appended_toml(new: str, old: str) -> None:
    """The edited file parses, and everything that was there is unchanged."""
    try:
        before = tomllib.loads(old)
        after = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise EnvironmentProblem(
            f"pyproject.toml: appending [tool.mlrelease] would not be valid TOML: {exc}",
            hint="add the table by hand (mlrelease init --dry-run shows it)",
        ) from None
    tool_after = dict(after.get("tool", {}))
    tool_after.pop("mlrelease", None)
    after["tool"] = tool_after
    if "tool" not in before and not tool_after:
        del after["tool"]
    if after != before:
        raise EnvironmentProblem(
            "pyproject.toml: appending [tool.mlrelease] would change other keys",
            hint="add the table by hand (mlrelease init --dry-run shows it)",
        )
