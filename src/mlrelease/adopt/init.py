"""``mlrelease init [DIR]``: add mlrelease to an existing repository.

Plan, then write: :func:`plan_init` computes every file change as (path, old text, new text) from
what :mod:`mlrelease.adopt.detect` found; ``--dry-run`` prints them as a unified diff; otherwise they
are written. ``pyproject.toml`` gets a ``[tool.mlrelease]`` table appended (the rest of the file,
comments and formatting included, is untouched; the table is rendered with tomlkit). Existing files
are never overwritten without ``--force``; a second run finds nothing to change.
"""

from __future__ import annotations

import ast
import difflib
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from mlrelease import __version__
from mlrelease.adopt.detect import Detected, detect
from mlrelease.adopt.table import check_appended_toml, table_text
from mlrelease.errors import EnvironmentProblem

NOXFILE = """\
# /// script
# dependencies = ["nox>=2025.10", "mlrelease"]
# ///
import noxsessions

noxsessions.register()
"""
NOX_HEADER = '# /// script\n# dependencies = ["nox>=2025.10", "mlrelease"]\n# ///\n'
WORKFLOW_PATH = ".github/workflows/mlrelease.yml"
# The caller of the reusable workflows (docs/how-to/caller-workflow.md shows the same jobs).
CALLER_WORKFLOW = """\
# CI on pull requests, release on main and on tags, with the reusable workflows of mlrelease.
# Added by `mlrelease init`; see the docs: how-to/caller-workflow and how-to/azure-keyless.
name: mlrelease
on:
  pull_request:
  push:
    branches: [main]
    tags: ["v*"]
permissions: {{}}
jobs:
  ci:
    uses: contoso/mlrelease/.github/workflows/python-ci.yml@v1
    permissions: {{ contents: read }}
    with: {{ mlrelease-version: "{version}" }}
  release:
    if: github.event_name == 'push'
    needs: ci
    uses: contoso/mlrelease/.github/workflows/release.yml@v1
    permissions: {{ contents: write, id-token: write }}
    with:
      mlrelease-version: "{version}"
      environment: release # the publish jobs' environment: Azure sees repo:OWNER/REPO:environment:release
      # To publish to Azure without secrets (docs: how-to/azure-keyless), add the IDs (not secrets):
      # azure-client-id: "<client ID of the Entra app>"
      # azure-tenant-id: "<tenant ID>"
"""
GITIGNORE_LINES = (".nox/", "dist/", ".mlrelease/", "build/")


@dataclass(frozen=True)
class Change:
    path: str  # relative to the repository
    old: str | None  # None: the file does not exist
    new: str
    why: str

    @property
    def changed(self) -> bool:
        return self.old != self.new


@dataclass
class InitPlan:
    root: Path
    detected: Detected
    changes: list[Change] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files left alone, with the reason

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.changed]


def _pyproject_change(root: Path, found: Detected, *, dockerfile: bool) -> Change | None:
    path = root / "pyproject.toml"
    old = path.read_text(encoding="utf-8")
    if found.has_table:
        return None
    sep = "" if old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
    new = old + sep + table_text(found, dockerfile=dockerfile)
    check_appended_toml(new, old)
    return Change("pyproject.toml", old, new, "add the [tool.mlrelease] table")


# --- noxfile, workflow, .gitignore, Dockerfile ---------------------------------------------------


def _noxfile_change(root: Path, *, force: bool) -> tuple[Change | None, str]:
    path = root / "noxfile.py"
    if not path.exists():
        return Change("noxfile.py", None, NOXFILE, "the shared nox sessions"), ""
    old = path.read_text(encoding="utf-8")
    if force:
        return Change("noxfile.py", old, NOXFILE, "the shared nox sessions (--force)"), ""
    if re.search(r"^\s*noxsessions\.register\(", old, re.M):
        return None, ""
    new = _add_registration(old)
    if new is None:
        return (
            None,
            "noxfile.py: could not find where to add noxsessions.register(); add it by hand",
        )
    return Change("noxfile.py", old, new, "register the shared sessions; yours override them"), ""


def _add_registration(text: str) -> str | None:
    """Add the PEP 723 header and ``noxsessions.register()`` after the top-level imports."""

    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    lines = text.splitlines(keepends=True)
    if imports:
        end = max(n.end_lineno or n.lineno for n in imports)
    else:
        doc = tree.body[0] if tree.body and isinstance(tree.body[0], ast.Expr) else None
        end = doc.end_lineno or 0 if doc else 0
    head, rest = lines[:end], lines[end:]
    while rest and not rest[0].strip():
        rest.pop(0)
    block = [
        "import noxsessions\n",
        "\n",
        "noxsessions.register()  # the shared sessions first: yours below win\n",
    ]
    gap = ["\n", "\n"] if rest and rest[0].lstrip().startswith(("@", "def ", "class ")) else ["\n"]
    body = [*head, *(["\n"] if not imports and head else []), *block, *(gap if rest else []), *rest]
    new = "".join(body)
    if "# /// script" not in text:
        new = NOX_HEADER + new
    return new


def _file_change(
    root: Path, rel: str, content: str, why: str, *, force: bool
) -> tuple[Change | None, str]:
    path = root / rel
    if not path.exists():
        return Change(rel, None, content, why), ""
    old = path.read_text(encoding="utf-8")
    if old == content:
        return None, ""
    if force:
        return Change(rel, old, content, why + " (--force)"), ""
    return None, f"{rel} exists and was left as it is (--force overwrites it)"


def _gitignore_change(root: Path) -> Change | None:
    path = root / ".gitignore"
    old = path.read_text(encoding="utf-8") if path.exists() else None
    present = {ln.strip().rstrip("/") for ln in (old or "").splitlines()}
    missing = [ln for ln in GITIGNORE_LINES if ln.rstrip("/") not in present]
    if not missing:
        return None
    base = old or ""
    if base and not base.endswith("\n"):
        base += "\n"
    header = "# mlrelease: nox environments, built files, reports, local feed\n"
    new = base + ("\n" if base else "") + header + "".join(f"{ln}\n" for ln in missing)
    return Change(".gitignore", old, new, "ignore what the sessions write")


def _dockerfile_text() -> str:

    return (resources.files("mlrelease") / "templates" / "Dockerfile.ml").read_text(
        encoding="utf-8"
    )


def plan_init(root: Path, *, force: bool = False, dockerfile: bool = False) -> InitPlan:
    """Every change ``init`` would make in ``root``, computed without touching anything."""
    if not (root / "pyproject.toml").is_file():
        raise EnvironmentProblem(
            f"{root}: no pyproject.toml: mlrelease init adds to an existing Python project",
            hint="run it in the repository root, or add a pyproject.toml with [build-system] "
            "and [project] first",
        )
    found = detect(root)
    plan = InitPlan(root=root, detected=found)
    change = _pyproject_change(root, found, dockerfile=dockerfile)
    if change:
        plan.changes.append(change)
    else:
        plan.skipped.append("pyproject.toml already has [tool.mlrelease] (left as it is)")
    for result in (
        _noxfile_change(root, force=force),
        _file_change(
            root, WORKFLOW_PATH, caller_workflow(), "CI and release workflow", force=force
        ),
    ):
        if result[0]:
            plan.changes.append(result[0])
        if result[1]:
            plan.skipped.append(result[1])
    if dockerfile:
        docker, why = _file_change(
            root, "Dockerfile", _dockerfile_text(), "container image", force=force
        )
        if docker:
            plan.changes.append(docker)
        if why:
            plan.skipped.append(why)
    workflows = root / ".github" / "workflows"
    others = sorted(
        f.name
        for f in (workflows.iterdir() if workflows.is_dir() else [])
        if f.suffix in (".yml", ".yaml") and f.name != Path(WORKFLOW_PATH).name
    )
    if others:
        plan.skipped.append(
            f"existing workflows left as they are: {', '.join(others)} "
            "(remove the jobs that mlrelease.yml now runs)"
        )
    ignore = _gitignore_change(root)
    if ignore:
        plan.changes.append(ignore)
    return plan


def caller_workflow() -> str:
    return CALLER_WORKFLOW.format(version=__version__)


def unified_diff(change: Change) -> str:
    old = [] if change.old is None else change.old.splitlines(keepends=True)
    new = change.new.splitlines(keepends=True)
    before = "/dev/null" if change.old is None else f"a/{change.path}"
    return "".join(difflib.unified_diff(old, new, before, f"b/{change.path}"))


def _explain_project(found: Detected) -> list[str]:
    lines = [f"project {found.name}: {found.build_backend}, {found.layout} layout"]
    if found.requires_python:
        lines.append(
            f"python: {', '.join(found.pythons)} (from requires-python {found.requires_python})"
        )
    else:
        lines.append(
            "python: no requires-python: the matrix is every interpreter found "
            "(set requires-python, or tool.mlrelease.python)"
        )
    if found.version_source.startswith("dynamic:"):
        tool = found.version_source.removeprefix("dynamic:")
        lines.append(f"version: from git tags ({tool}); releases tag, nothing is stamped")
    else:
        where = "[tool.poetry]" if found.version_source == "poetry" else "[project]"
        lines.append(f"version: static, in {where}; releases stamp it")
    lines.append(f"package: {found.source_found or 'not found (set tool.mlrelease.source)'}")
    return lines


def _explain_tests(found: Detected) -> list[str]:
    lines = []
    if found.test_paths:
        from_ini = " (pytest testpaths)" if found.pytest_options.get("testpaths") else ""
        lines.append(
            f"tests: {', '.join(found.test_paths)}{from_ini}; your pytest options are kept"
        )
    else:
        lines.append("tests: none found; the tests session is skipped until tests/ exists")
    if found.coverage_min is None:
        lines.append(
            "coverage: no floor configured; coverage-min = 0 (raise it: test.coverage-min)"
        )
    if found.exclude_markers:
        lines.append(f"markers deselected in CI: {', '.join(found.exclude_markers)}")
    return lines


def _explain_lint(found: Detected) -> list[str]:
    debt = found.lint
    if not debt.checked:
        line = (
            f"lint: could not look for existing findings ({debt.reason}); if `nox -s lint` "
            'fails on old code, set lint.fail-on = "new"'
        )
    elif debt.findings or debt.unformatted:
        line = (
            f"lint: {debt.findings} existing ruff finding(s), {debt.unformatted} unformatted "
            'file(s): lint.fail-on = "new" (only changed lines fail; set "all" when clean)'
        )
    else:
        line = 'lint: ruff finds nothing; every finding fails (fail-on = "all")'
    lines = [line]
    if not found.mypy_configured:
        lines.append('mypy: no configuration found; lint.mypy = "off" (set "on" to type-check)')
    return lines


def _explain_docs(found: Detected) -> list[str]:
    if not found.docs_dir:
        return ["docs: no Sphinx conf.py found; the docs session is skipped"]
    deps = found.docs_extras or found.docs_groups or found.docs_requirements
    dep_text = ", ".join(deps) if deps else (found.docs_requirement_file or "sphinx only")
    return [
        f"docs: {found.docs_dir} (dependencies: {dep_text}); warnings-as-errors = false "
        "for now: set tool.mlrelease.docs.warnings-as-errors = true once the build is clean"
    ]


def explain(found: Detected) -> list[str]:
    """What init inferred, one line each (printed before the diff or the writes)."""
    return [
        *_explain_project(found),
        *_explain_tests(found),
        *_explain_lint(found),
        *_explain_docs(found),
    ]


def init_summary(plan: InitPlan) -> dict[str, Any]:
    """JSON-able form of a plan (for tests and tools)."""
    return {
        "changes": [
            {"path": c.path, "new-file": c.old is None, "why": c.why} for c in plan.pending
        ],
        "skipped": plan.skipped,
        "notes": explain(plan.detected),
    }
