"""``mlrelease doctor``: check a repository end to end, changing nothing.

Configuration, git state, the tools the stages need, the caller workflows' permissions, and the
federated-credential subjects the workflows will present to Microsoft Entra ID (derived from the
``origin`` remote and the workflow files), so the Azure side can be set up before the first run.
"""

from __future__ import annotations

import fnmatch
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlrelease._util.console import counted
from mlrelease._util.git import Repo
from mlrelease._util.pipconf import carry_over
from mlrelease._util.uvtool import broken_uv_on_path, find_uv
from mlrelease.adopt.callers import (
    AUDIENCE,
    ISSUER,
    REUSABLE_PERMISSIONS,
    CallerJob,
    Check,
    Subject,
    azure_subjects,
    caller_jobs,
    github_repository,
    perm_text,
    permission_level,
    required_level,
)
from mlrelease.adopt.checks import caller_findings, environment_findings
from mlrelease.errors import ConfigError
from mlrelease.monorepo.members import load_workspace
from mlrelease.project import load_project


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    repository: str | None = None
    subjects: list[Subject] = field(default_factory=list)

    def add(self, area: str, level: str, what: str, hint: str = "") -> None:
        self.checks.append(Check(area, level, what, hint))

    @property
    def failed(self) -> bool:
        return any(c.level == "error" for c in self.checks)


# --- checks --------------------------------------------------------------------------------------


def _check_config(root: Path, report: Report) -> Any:

    try:
        loaded = load_workspace(root)
        if loaded is not None:  # a monorepo root: every member's table, the first for the rest
            names = ", ".join(m.key for m in loaded[0].ordered())
            report.add("config", "ok", f"monorepo root: every member's table is valid ({names})")
            return loaded[1][0]
        project = load_project(root)
    except ConfigError as exc:
        for p in exc.problems:
            report.add("config", "error", str(p))
        return None
    report.add("config", "ok", "[tool.mlrelease] is valid")
    return project


def _git(root: Path, *args: str) -> tuple[int, str]:
    result = Repo(root).run(*args)
    return result.returncode, result.stdout.strip()


def _check_git(root: Path, report: Report, release_branches: tuple[str, ...]) -> str | None:
    if shutil.which("git") is None:
        report.add("git", "error", "git is not installed", "install git")
        return None
    code, _ = _git(root, "rev-parse", "--git-dir")
    if code != 0:
        report.add("git", "error", f"{root} is not a git repository", "git init, then commit")
        return None
    _, branch = _git(root, "branch", "--show-current")
    if not branch:
        report.add(
            "git",
            "warning",
            "detached HEAD",
            "releases are cut on a branch: git checkout main",
        )
    else:
        known = any(_branch_matches(branch, p) for p in release_branches)
        note = (
            "a release branch"
            if known
            else "not a release branch (releases are cut on " + ", ".join(release_branches) + ")"
        )
        report.add("git", "ok", f"on branch {branch}: {note}")
    _, shallow = _git(root, "rev-parse", "--is-shallow-repository")
    if shallow == "true":
        report.add(
            "git",
            "error",
            "shallow clone: versions are computed from the whole history",
            "git fetch --unshallow --tags (actions/checkout: fetch-depth: 0)",
        )
    _, status = _git(root, "status", "--porcelain")
    if status:
        count = len(status.splitlines())
        report.add(
            "git",
            "warning",
            f"{counted(count, 'uncommitted change')}",
            "commit them before mlrelease release",
        )
    code, url = _git(root, "remote", "get-url", "origin")
    if code != 0 or not url:
        report.add(
            "git",
            "warning",
            "no remote named origin",
            "git remote add origin https://github.com/OWNER/REPO.git",
        )
        return None
    repo = github_repository(url)
    if repo is None:
        report.add(
            "git",
            "warning",
            "origin is not a github.com repository: no federated-credential subjects to derive",
        )
    else:
        report.add("git", "ok", f"origin is github.com/{repo}")
    return repo


def _branch_matches(branch: str, pattern: str) -> bool:

    return fnmatch.fnmatchcase(branch, pattern)


def _check_tools(report: Report, project: Any) -> None:

    if project is None:
        return
    for finding in environment_findings(project.root):
        if finding.what.startswith(("configuration", "git", f"{project.root}", ".github/")):
            continue  # reported above (the caller workflows: under workflows)
        report.add("tools", finding.level, finding.what, finding.hint)
    nox = shutil.which("nox")
    if nox:
        report.add("tools", "ok", f"nox: {nox}")

    uv, broken = find_uv(), broken_uv_on_path()
    carry = carry_over(cwd=project.root) if uv else None
    if uv and carry is not None and carry.blocked:
        report.add(
            "tools",
            "warning",
            f"nox environments are made with virtualenv and pip, not uv ({uv}): {carry.blocked}",
            "optional: give uv the index settings itself (UV_INDEX_URL, uv.toml) to make them faster",
        )
    elif uv and carry is not None:
        note = f" (the uv on PATH, {broken}, does not run: this one is used)" if broken else ""
        if carry.carried:
            note += f"; it follows pip's {', '.join(carry.carried)}"
        elif carry.uv_configured:
            note += f"; its index settings: {carry.uv_configured}"
        report.add("tools", "ok", f"uv: {uv}{note}")
    elif broken:
        report.add(
            "tools",
            "warning",
            f"the uv on PATH ({broken}) does not run: nox environments are made with virtualenv",
            "reinstall mlrelease here (it installs a working uv), or fix the shim, e.g. pyenv's",
        )
    else:
        report.add(
            "tools",
            "warning",
            "no uv runs here: nox environments are made with virtualenv",
            "reinstall mlrelease here (pip install --force-reinstall mlrelease): it installs uv",
        )


# --- workflows -----------------------------------------------------------------------------------


def _check_workflows(report: Report, jobs: list[CallerJob]) -> None:
    if not jobs:
        report.add(
            "workflows",
            "warning",
            "no workflow calls the reusable python-ci.yml or release.yml",
            "mlrelease init adds .github/workflows/mlrelease.yml",
        )
        return
    for job in jobs:
        where = f"{job.file}: jobs.{job.job} ({job.uses})"
        need = REUSABLE_PERMISSIONS[job.uses]
        if job.permissions is None:
            report.add(
                "workflows",
                "warning",
                f"{where}: no permissions set: the repository default applies",
                f"set permissions: {perm_text(need)} on the job and permissions: {{}} at the top",
            )
            continue
        missing = {
            k: v
            for k, v in need.items()
            if permission_level(job.permissions, k) < required_level(v)
        }
        if missing:
            report.add(
                "workflows",
                "error",
                f"{where}: lacks permissions {perm_text(missing)}",
                f"grant permissions: {perm_text(need)} on the job",
            )
        else:
            report.add("workflows", "ok", f"{where}: permissions {perm_text(need)}")


# --- the command ---------------------------------------------------------------------------------


def diagnose(root: Path) -> Report:
    report = Report()
    project = _check_config(root, report)
    branches: tuple[str, ...] = project.config.version.release_branches if project else ("main",)
    repo = _check_git(root, report, branches)
    _check_tools(report, project)
    jobs = caller_jobs(root)
    _check_workflows(report, jobs)
    for finding in caller_findings(root):
        if finding.what.startswith(".github/"):
            report.add("workflows", finding.level, finding.what, finding.hint)
    report.repository = repo
    if repo:
        version = project.config.version if project else None
        subjects, checks = azure_subjects(
            root,
            repo,
            branches,
            prerelease_branches=tuple(version.prerelease_branches) if version else (),
            tag_format=version.tag_format if version else "v{version}",
        )
        report.subjects = subjects
        report.checks.extend(checks)
    return report


def render(report: Report) -> list[str]:
    lines: list[str] = []
    area = ""
    for check in report.checks:
        if check.area != area:
            area = check.area
            lines.append(f"{area}:")
        text = f"  {check.level}: {check.what}"
        if check.hint:
            text += f"\n      hint: {check.hint}"
        lines.append(text)
    if report.repository:
        lines.append("")
        lines.append(
            "federated-credential subjects the workflows will present to Microsoft Entra ID"
        )
        lines.append(f"(issuer {ISSUER}, audience {AUDIENCE}; one credential per subject):")
        for s in report.subjects:
            lines.append(f"  {s.subject}")
            lines.append(f"      for: {s.when}")
    failed = [c for c in report.checks if c.level == "error"]
    warned = [c for c in report.checks if c.level == "warning"]
    lines.append("")
    errors, warnings = counted(len(failed), "error"), counted(len(warned), "warning")
    lines.append(f"{errors}, {warnings}; nothing was changed")
    return lines
