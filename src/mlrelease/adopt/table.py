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

from mlrelease.adopt.detect import Detected
from mlrelease.errors import EnvironmentProblem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def _lint_table(found: Detected) -> Any:

    lint = tomlkit.table()
    debt = found.lint
    if debt.checked and (debt.findings or debt.unformatted):
        lint.add(
            tomlkit.comment(
                f"The existing code has {debt.findings} ruff finding(s) and {debt.unformatted} "
                "unformatted file(s):"
            )
        )
        lint.add(tomlkit.comment('only lines changed against `base` fail. Set "all" once clean.'))
        lint.add("fail-on", "new")
    if not found.mypy_configured:
        lint.add(
            tomlkit.comment('No mypy configuration found: set "on" (or "strict") to type-check.')
        )
        lint.add("mypy", "off")
    return lint


def _test_table(found: Detected) -> Any:

    test = tomlkit.table()
    if found.test_paths and found.test_paths != ["tests"]:
        test.add("paths", found.test_paths)
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
        test.add(tomlkit.comment("Hosted CI runners have no GPU: these markers are deselected."))
        test.add("exclude-markers", found.exclude_markers)
    if found.test_extras:
        test.add("extras", found.test_extras)
    if found.test_groups:
        test.add("dependency-groups", found.test_groups)
    return test


def _docs_table(found: Detected) -> Any:

    docs = tomlkit.table()
    docs.add("source", found.docs_dir)
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
    if found.docs_dir:
        ml.add("docs", _docs_table(found))
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
