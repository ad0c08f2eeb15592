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
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from mlrelease import __version__
from mlrelease._util.runner import run
from mlrelease.adopt.detect import Detected, detect
from mlrelease.adopt.measure import ruff_command
from mlrelease.adopt.monorepo_init import detect_monorepo, monorepo_table_text
from mlrelease.adopt.noxheader import header_text
from mlrelease.adopt.placeholder import (
    PLACEHOLDER,
    fix_text,
    resolve_workflows_repo,
)
from mlrelease.adopt.table import (
    check_appended_toml,
    existing_debt,
    lint_fail_on_new,
    lint_format_decision,
    table_text,
)
from mlrelease.config.model import DEFAULT_TOOLS, read_pyproject
from mlrelease.errors import EnvironmentProblem

# The PEP 723 header pins the compatible range of this CLI (mlrelease.adopt.noxheader).
NOX_HEADER = header_text()
NOXFILE = (
    NOX_HEADER
    + """\
\"\"\"The shared nox sessions of mlrelease (`nox -l` lists them).\"\"\"

import noxsessions

noxsessions.register()
"""
)
WORKFLOW_PATH = ".github/workflows/mlrelease.yml"
DEPENDABOT_PATH = ".github/dependabot.yml"
# The caller of the reusable workflows (docs/examples/caller.yml shows the same jobs). What
# repo-review expects of a CI workflow: workflow_dispatch, a concurrency group that cancels
# superseded pull request runs, and one job to require in branch protection (all-green).
CALLER_WORKFLOW = """\
# CI on pull requests, release on {branch} and on tags, with the reusable workflows of mlrelease.
# Added by `mlrelease init`; see the docs: how-to/caller-workflow and how-to/azure-keyless.
name: mlrelease
on:
  pull_request:
  push:
    branches: [{branch}]
    tags: ["{tag_glob}"]
  workflow_dispatch: # Run workflow: a release run, or finishing one on a tag
permissions: {{}}
concurrency:
  group: ${{{{ github.workflow }}}}-${{{{ github.ref }}}}
  cancel-in-progress: ${{{{ github.event_name == 'pull_request' }}}}
jobs:
  ci:
    uses: {repo}/.github/workflows/python-ci.yml@{ref}
    permissions: {{ contents: read }}
    with: {{ mlrelease-version: "{version}" }}
  release:
    if: github.event_name != 'pull_request'
    needs: ci
    uses: {repo}/.github/workflows/release.yml@{ref}
    permissions: {{ contents: write, id-token: write, attestations: write }}
    with:
      mlrelease-version: "{version}"
      environment: release # the publish jobs' environment: Azure sees repo:OWNER/REPO:environment:release
      # To publish to Azure without secrets (docs: how-to/azure-keyless), add the IDs (not secrets):
      # azure-client-id: "<client ID of the Entra app>"
      # azure-tenant-id: "<tenant ID>"
  # The one check to require in branch protection: fails unless every job succeeded or was skipped.
  all-green:
    if: always()
    needs: [ci, release]
    runs-on: ubuntu-latest
    permissions: {{}}
    steps:
      - env: {{ RESULTS: "${{{{ toJSON(needs.*.result) }}}}" }}
        run: jq -e 'all(.[]; . == "success" or . == "skipped")' <<< "$RESULTS"
"""
DEPENDABOT = """\
# Keeps the SHA-pinned actions and the reusable workflows' tag current. Added by `mlrelease init`.
version: 2
updates:
  - package-ecosystem: github-actions
    directory: /
    schedule:
      interval: weekly
    groups:
      actions:
        patterns: ["*"]
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
    detected: Detected | None  # None at a monorepo root (its members are the projects)
    changes: list[Change] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # files left alone, with the reason
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (what, the fix)

    @property
    def pending(self) -> list[Change]:
        return [c for c in self.changes if c.changed]


def _monorepo_change(root: Path) -> tuple[Change | None, str] | None:
    """At a monorepo root: the root table naming the members (None: not a monorepo)."""
    data = read_pyproject(root / "pyproject.toml")
    found = detect_monorepo(root, data)
    if found is None:
        return None
    globs, why = found
    path = root / "pyproject.toml"
    old = path.read_text(encoding="utf-8")
    tool = data.get("tool")
    if isinstance(tool, dict) and "mlrelease" in tool:
        return (
            None,
            f"monorepo ({why}): pyproject.toml already has [tool.mlrelease] (left as it is)",
        )
    sep = "" if old.endswith("\n\n") else ("\n" if old.endswith("\n") else "\n\n")
    new = old + sep + monorepo_table_text(globs, why)
    check_appended_toml(new, old)
    return Change("pyproject.toml", old, new, f"add the monorepo root table ({why})"), ""


def _root_table(root: Path, *, dockerfile: bool) -> tuple[Detected | None, Change | None, str]:
    """What was detected, the pyproject change (None: none) and why there is none."""
    monorepo = _monorepo_change(root)
    if monorepo is not None:
        return None, monorepo[0], monorepo[1]
    found = detect(root)
    change = _pyproject_change(root, found, dockerfile=dockerfile)
    note = "" if change else "pyproject.toml already has [tool.mlrelease] (left as it is)"
    return found, change, note


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


def noxfile_text(root: Path, *, ruff_version: str | None = None) -> str:
    """The noxfile, passing the repository's own ruff rules (formatted its way; a file-level
    ``# ruff: noqa`` for what its rules would still flag, e.g. a copyright notice), checked with
    the ruff the lint session pins (``ruff_version``, default mlrelease's). Every line is short
    (under 80 characters), so it passes any line length without ruff."""

    ruff = ruff_command(ruff_version)
    if ruff is None:
        return NOXFILE
    text = NOXFILE
    lint = [*ruff, "check", "--no-cache", "--stdin-filename", "noxfile.py"]
    proc = run([*lint, "--output-format", "json", "--exit-zero", "-"], cwd=root, input=text,
               check=False, quiet=True)  # fmt: skip
    try:
        codes = sorted({str(f["code"]) for f in json.loads(proc.stdout or "[]") if f.get("code")})
    except (json.JSONDecodeError, TypeError, AttributeError):
        codes = []
    if codes:
        head, sep, rest = text.partition("# ///\n")
        text = f"{head}{sep}# ruff: noqa: {', '.join(codes)}\n{rest}"
    fmt = run([*ruff, "format", "--no-cache", "--stdin-filename", "noxfile.py", "-"], cwd=root,
              input=text, check=False, quiet=True)  # fmt: skip
    if fmt.returncode == 0 and fmt.stdout.strip():
        text = fmt.stdout
    return text


def _noxfile_change(
    root: Path, *, force: bool, ruff_version: str | None = None
) -> tuple[Change | None, str]:
    path = root / "noxfile.py"
    if not path.exists():
        text = noxfile_text(root, ruff_version=ruff_version)
        return Change("noxfile.py", None, text, "the shared nox sessions"), ""
    old = path.read_text(encoding="utf-8")
    if force:
        text = noxfile_text(root, ruff_version=ruff_version)
        return Change("noxfile.py", old, text, "the shared nox sessions (--force)"), ""
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


def plan_init(
    root: Path, *, force: bool = False, dockerfile: bool = False, workflows_repo: str | None = None
) -> InitPlan:
    """Every change ``init`` would make in ``root``, computed without touching anything."""
    if not (root / "pyproject.toml").is_file():
        raise EnvironmentProblem(
            f"{root}: no pyproject.toml: mlrelease init adds to an existing Python project",
            hint="run it in the repository root, or add a pyproject.toml with [build-system] "
            "and [project] first",
        )
    found, change, note = _root_table(root, dockerfile=dockerfile)
    plan = InitPlan(root=root, detected=found)
    if change:
        plan.changes.append(change)
    if note:
        plan.skipped.append(note)
    for result in (
        _noxfile_change(
            root, force=force, ruff_version=found.pins.values.get("ruff") if found else None
        ),
        _file_change(
            root,
            WORKFLOW_PATH,
            caller_workflow(
                found.branch.name if found and found.branch else "main",
                workflows_repo=workflows_repo,
                tag_format=(found.tags.format if found else None) or "v{version}",
            ),
            "CI and release workflow",
            force=force,
        ),
        _dependabot_change(root),
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
    if resolve_workflows_repo(workflows_repo).placeholder and any(
        c.path == WORKFLOW_PATH for c in plan.pending
    ):
        plan.warnings.append(
            (
                f"{WORKFLOW_PATH}: no workflows repository is known, so the caller uses the "
                f"placeholder {PLACEHOLDER}: it fails on GitHub, and mlrelease check fails, "
                "until it names yours",
                fix_text(),
            )
        )
    return plan


def workflows_repo_setting(value: str | None = None) -> tuple[str, str]:
    """(``OWNER/REPO``, ref) of the reusable workflows: ``value``, else $MLRELEASE_WORKFLOWS_REPO,
    else the organisation's defaults file, else the placeholder; ``OWNER/REPO[@REF]``, the ref defaulting to ``v1``."""

    found = resolve_workflows_repo(value)
    return found.repo, found.ref


def caller_workflow(
    branch: str = "main",
    workflows_repo: str | None = None,
    tag_format: str = "v{version}",
    *,
    version: str = __version__,
) -> str:
    """The caller workflow: pushes to ``branch`` release, tags in ``tag_format`` are verified;
    ``version`` is the mlrelease the jobs install (``mlrelease update`` renders older ones)."""
    repo, ref = workflows_repo_setting(workflows_repo)
    prefix = tag_format.split("{version}", 1)[0]
    tag_glob = f"{prefix}*" if prefix else "[0-9]*"  # v1.2.3 -> "v*"; bare 1.2.3 -> "[0-9]*"
    return CALLER_WORKFLOW.format(
        version=version, branch=branch, repo=repo, ref=ref, tag_glob=tag_glob
    )


def _dependabot_change(root: Path) -> tuple[Change | None, str]:
    """Add .github/dependabot.yml for the actions; an existing one is never rewritten."""
    path = root / DEPENDABOT_PATH
    if not path.exists():
        return Change(DEPENDABOT_PATH, None, DEPENDABOT, "keep the pinned actions current"), ""
    if "github-actions" in path.read_text(encoding="utf-8"):
        return None, ""
    return None, (
        f"{DEPENDABOT_PATH} has no github-actions entry: add one (package-ecosystem: "
        "github-actions, directory: /) to keep the pinned actions current"
    )


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
    elif found.version_source.startswith("attr:"):
        path, _, var = found.version_source.removeprefix("attr:").rpartition(":")
        how = (
            "[tool.setuptools.dynamic] version = {attr}"
            if "setuptools" in found.build_backend
            else f"read by {found.build_backend.split('.')[0]}"
        )
        lines.append(f"version: {var} in {path} ({how}); releases stamp it")
    elif found.version_source.startswith("file:"):
        path = found.version_source.removeprefix("file:")
        lines.append(
            f"version: in {path} ([tool.setuptools.dynamic] version = {{file}}); "
            "releases stamp that file"
        )
    else:
        where = "[tool.poetry]" if found.version_source == "poetry" else "[project]"
        lines.append(f"version: static, in {where}; releases stamp it")
    lines.append(f"package: {found.source_found or 'not found (set tool.mlrelease.source)'}")
    return lines


def _explain_tests(found: Detected) -> list[str]:
    lines = []
    if found.test_paths:
        why = f" ({found.test_paths_why})" if found.test_paths_why else ""
        lines.append(f"tests: {', '.join(found.test_paths)}{why}; your pytest options are kept")
    else:
        lines.append("tests: none found; the tests session is skipped until tests/ exists")
    if found.coverage_min is None:
        lines.append(
            "coverage: no floor configured; coverage-min = 0 (raise it: test.coverage-min)"
        )
    elif "coverage_min" in found.ci.why and found.ci.coverage_min == found.coverage_min:
        lines.append(
            f"coverage: coverage-min = {found.coverage_min:g}, as {found.ci.why['coverage_min']} "
            "runs the tests"
        )
    skipped = [p for p in found.ci.ignored if f"--ignore={p}" not in found.pytest_args]
    if skipped:
        lines.append(
            f"tests: not {', '.join(skipped)} (pytest testpaths has it, but "
            f"{found.ci.why['ignored']} runs pytest --ignore={skipped[0]})"
        )
    if found.ci.deselected:
        lines.append(
            f"markers deselected as {found.ci.why['deselected']} runs pytest: "
            f"{', '.join(found.ci.deselected)}"
        )
    if found.pytest_args:
        where = found.ci.why.get("ignored", "CI")
        lines.append(f"pytest: {' '.join(found.pytest_args)} (as {where} runs pytest)")
    if found.test_workers:
        lines.append(
            f"workers: {found.test_workers} (pytest-xdist, -n as {found.ci.why['workers']} runs it)"
        )
    elif found.ci.workers:
        lines.append(
            f"workers: {found.ci.why['workers']} runs pytest -n {found.ci.workers}, but no test "
            "extra or group installs pytest-xdist: tests run in one process"
        )
    hosted = [m for m in found.exclude_markers if m not in found.ci.deselected]
    if hosted:
        lines.append(
            f"markers deselected (no GPU, no network in the sessions): {', '.join(hosted)}"
        )
    deps = [*(f"extra {e}" for e in found.test_extras), *(f"group {g}" for g in found.test_groups)]
    if deps:
        why = f" ({found.test_extras_why})" if found.test_extras_why else ""
        lines.append(f"test dependencies: {', '.join(deps)}{why}")
    return lines


def _explain_lint(found: Detected) -> list[str]:

    debt = found.lint
    _, fmt_why = lint_format_decision(found)
    if lint_fail_on_new(found):
        base = found.branch.base if found.branch else "origin/main"
        unchecked = "" if debt.checked else f" (ruff not measured: {debt.reason})"
        line = (
            f"lint: {existing_debt(found)} in the existing code{unchecked}: lint.fail-on = "
            f'"new" against {base} (only changed lines fail; set "all" when clean)'
        )
    elif not debt.checked:
        line = (
            f"lint: could not look for existing findings ({debt.reason}); if `nox -s lint` "
            'fails on old code, set lint.fail-on = "new"'
        )
        if found.branch and found.branch.base != "origin/main":
            line += f" (lint.base is {found.branch.base})"
    else:
        line = 'lint: ruff finds nothing; every finding fails (fail-on = "all")'
    lines = [line]
    if debt.checked and debt.tool:
        lines.append(f"lint: measured with {debt.tool} in {debt.seconds:.2f} s")
    lines.append(f"format: {fmt_why}")
    if not found.mypy.on:
        lines.append(f"mypy: off: {found.mypy.why}")
    else:
        lines.append(f"mypy: {found.mypy.why}")
        if found.pins.lint_requirements:
            reqs = ", ".join(found.pins.lint_requirements)
            lines.append(f"mypy: lint.requirements from the pre-commit mypy hook: {reqs}")
    return lines


def _explain_repository(found: Detected) -> list[str]:

    lines = []
    if found.branch is None:
        lines.append("git: not a repository yet; release branch main, tags v{version}")
    else:
        lines.append(
            f"branch: {found.branch.name} ({found.branch.why}): releases and the workflow's "
            "push trigger follow it"
        )
        if found.tags.format:
            lines.append(
                f"tags: {found.tags.count} like {found.tags.example} (the newest): tag-format = "
                f'"{found.tags.format}"'
            )
            if found.tags.calver:
                lines.append(
                    f"note: the tags are calendar versions ({found.tags.example}), not "
                    "bumped as semver: the next follows the calendar (YEAR.N+1.0 for a feat, "
                    "YEAR.N.P+1 for fixes, YEAR.1.0 in a new year; or `mlrelease release --as`)"
                )
        else:
            lines.append('tags: none yet; tag-format = "v{version}" (the first release tags it)')
    lines.append(f"changelog: {found.changelog.why}")
    for tool, value in sorted(found.pins.values.items()):
        if value != DEFAULT_TOOLS.get(tool):
            lines.append(f"tools.{tool} = {value!r}: as {found.pins.why[tool]} pins it")
    lines += [f"warning: {c}" for c in found.pins.conflicts]
    lines += [f"warning: {w}" for w in found.warnings]
    return lines


def _explain_docs(found: Detected) -> list[str]:
    if found.docs_off:
        return [f"docs: {found.docs_off}"]
    if not found.docs_dir:
        return ["docs: no Sphinx conf.py found; the docs session is skipped"]
    extra = []
    if found.docs_cwd:
        extra.append(
            f"docs: sphinx-build runs from {found.docs_cwd}/ as {found.docs_cwd_why} runs it "
            f"(docs.cwd = {found.docs_cwd!r})"
        )
    if found.docs_define:
        flags = " ".join(f"-D {k}={v}" for k, v in sorted(found.docs_define.items()))
        extra.append(f"docs: {flags}, as the repository's build sets it (docs.define)")
    deps = found.docs_extras or found.docs_groups or found.docs_requirements
    dep_text = ", ".join(deps) if deps else (found.docs_requirement_file or "sphinx only")
    why = f" {found.docs_why}" if found.docs_why else ""
    return [
        f"docs: {found.docs_dir} (dependencies: {dep_text}{why}); warnings-as-errors = false "
        "for now: set tool.mlrelease.docs.warnings-as-errors = true once the build is clean",
        *extra,
    ]


def explain(found: Detected | None) -> list[str]:
    """What init inferred, one line each (printed before the diff or the writes)."""
    if found is None:
        return [
            "monorepo root: each member keeps its own pyproject.toml; `mlrelease init -C <member>` "
            "proposes a member's own [tool.mlrelease] for what differs from the root's"
        ]
    return [
        *_explain_project(found),
        *_explain_tests(found),
        *_explain_lint(found),
        *_explain_docs(found),
        *_explain_repository(found),
    ]
