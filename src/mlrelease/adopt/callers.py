"""What a repository's caller workflows call, with which permissions, and the OpenID Connect
subjects (``sub`` claims) their Azure logins present to Microsoft Entra ID.

Read-only; used by ``mlrelease doctor`` and ``mlrelease infra terraform``. GitHub's subject formats: ``repo:<owner>/<repo>:ref:refs/
heads/<branch>``, ``…:ref:refs/tags/<tag>``, ``…:environment:<name>`` (a job with an environment
presents that instead of the ref) and ``…:pull_request``. Classic federated credentials match the
subject exactly: no wildcards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ISSUER = "https://token.actions.githubusercontent.com"
AUDIENCE = "api://AzureADTokenExchange"
# The permissions each reusable workflow's jobs ask for; a calling job must grant at least these.
# (tests/unit/test_doctor.py holds this in agreement with .github/workflows.)
REUSABLE_PERMISSIONS: dict[str, dict[str, str]] = {
    "python-ci.yml": {"contents": "read"},
    "release.yml": {"contents": "write", "id-token": "write", "attestations": "write"},
    "update.yml": {"contents": "write", "pull-requests": "write"},
}
# Reusable workflows whose jobs log in to Azure (and so present a subject).
AZURE_WORKFLOWS = ("release.yml",)
_LEVEL = {"none": 0, "read": 1, "write": 2}
_GITHUB_REMOTE = re.compile(
    r"^(?:https://(?:[^@/]+@)?github\.com/|git@github\.com:|ssh://git@github\.com/)"
    r"(?P<owner>[A-Za-z0-9_.-]+)/(?P<repo>[A-Za-z0-9_.-]+?)(?:\.git)?/?$"
)


@dataclass(frozen=True)
class Check:
    area: str  # "config", "git", "tools", "workflows", "azure"
    level: str  # "ok", "warning", "error"
    what: str
    hint: str = ""


@dataclass(frozen=True)
class Subject:
    subject: str
    when: str


def github_repository(url: str | None) -> str | None:
    """``owner/repo`` from a github.com remote URL (https or ssh form), else None."""
    if not url:
        return None
    m = _GITHUB_REMOTE.match(url.strip())
    return f"{m.group('owner')}/{m.group('repo')}" if m else None


@dataclass(frozen=True)
class CallerJob:
    file: str
    job: str
    uses: str  # the reusable workflow file name, e.g. "release.yml"
    permissions: dict[str, str] | None  # effective permissions, None: repository default
    environment: str | None
    triggers: dict[str, Any]
    condition: str


def _load_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None


def _permissions(value: Any) -> dict[str, str] | None:
    if value is None:
        return None
    if isinstance(value, str):
        level = {"read-all": "read", "write-all": "write"}.get(value, "none")
        return {"*": level}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items()}
    return {}


def _triggers(data: dict[Any, Any]) -> dict[str, Any]:
    raw = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
    if isinstance(raw, str):
        return {raw: {}}
    if isinstance(raw, list):
        return {str(t): {} for t in raw}
    return {str(k): (v or {}) for k, v in raw.items()} if isinstance(raw, dict) else {}


def caller_jobs(root: Path) -> list[CallerJob]:
    """Jobs in the repository's workflows that call one of the reusable workflows."""
    jobs: list[CallerJob] = []
    directory = root / ".github" / "workflows"
    if not directory.is_dir():
        return jobs
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        data = _load_yaml(path)
        if not isinstance(data, dict) or not isinstance(data.get("jobs"), dict):
            continue
        top = _permissions(data.get("permissions"))
        triggers = _triggers(data)
        for name, job in data["jobs"].items():
            uses = job.get("uses") if isinstance(job, dict) else None
            if not isinstance(uses, str):
                continue
            target = uses.split("@", 1)[0].rsplit("/", 1)[-1]
            if target not in REUSABLE_PERMISSIONS:
                continue
            perms = _permissions(job.get("permissions")) if "permissions" in job else top
            with_ = job.get("with") if isinstance(job.get("with"), dict) else {}
            env = with_.get("environment") or job.get("environment")
            jobs.append(
                CallerJob(
                    file=path.name,
                    job=str(name),
                    uses=target,
                    permissions=perms,
                    environment=str(env) if env else None,
                    triggers=triggers,
                    condition=str(job.get("if", "")),
                )
            )
    return jobs


def perm_text(perms: dict[str, str]) -> str:
    return "{ " + ", ".join(f"{k}: {v}" for k, v in perms.items()) + " }"


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(v) for v in value] if isinstance(value, list) else []


def tag_glob(tag_format: str) -> str:
    """The tag pattern of ``version.tag-format`` (``v{version}`` -> ``v*``)."""
    return tag_format.replace("{version}", "*")


def azure_subjects(
    root: Path,
    repo: str,
    release_branches: tuple[str, ...],
    *,
    prerelease_branches: tuple[str, ...] = (),
    tag_format: str = "v{version}",
) -> tuple[list[Subject], list[Check]]:
    """The subjects of ``root``'s caller workflows: the one list ``doctor`` prints and
    ``mlrelease infra terraform`` federates, so the two cannot disagree."""
    return derive_subjects(
        repo,
        caller_jobs(root),
        release_branches,
        prerelease_branches=prerelease_branches,
        tag_format=tag_format,
    )


def derive_subjects(
    repo: str,
    jobs: list[CallerJob],
    release_branches: tuple[str, ...],
    *,
    prerelease_branches: tuple[str, ...] = (),
    tag_format: str = "v{version}",
) -> tuple[list[Subject], list[Check]]:
    """The ``sub`` claims GitHub will send for the jobs that log in to Azure."""
    subjects: list[Subject] = []
    checks: list[Check] = []
    azure = [j for j in jobs if j.uses in AZURE_WORKFLOWS]
    tags_glob = tag_glob(tag_format)

    def add(subject: str, when: str) -> None:
        if all(s.subject != subject for s in subjects):
            subjects.append(Subject(subject, when))

    if not azure:  # no caller yet: what the default caller will send
        for branch in release_branches:
            if any(ch in branch for ch in "*?["):
                continue
            add(f"repo:{repo}:ref:refs/heads/{branch}", f"a push to {branch} (release branch)")
        for branch in prerelease_branches:
            if any(ch in branch for ch in "*?["):
                continue
            add(f"repo:{repo}:ref:refs/heads/{branch}", f"a push to {branch} (prerelease branch)")
        add(
            f"repo:{repo}:environment:release",
            "publish jobs with environment: release (recommended)",
        )
        return subjects, checks
    for job in azure:
        where = f"{job.file}: jobs.{job.job}"
        if job.environment:
            add(
                f"repo:{repo}:environment:{job.environment}",
                f"{where}: every run of the publish jobs (environment {job.environment}, "
                "for branches and tags alike)",
            )
            continue
        push = job.triggers.get("push") or {}
        for branch in _as_list(push.get("branches") if isinstance(push, dict) else None):
            if any(ch in branch for ch in "*?["):
                checks.append(
                    Check(
                        "azure",
                        "warning",
                        f"{where}: branch pattern {branch!r} cannot be a federated subject "
                        "(no wildcards)",
                        "list the branches, or use an environment",
                    )
                )
                continue
            add(f"repo:{repo}:ref:refs/heads/{branch}", f"{where}: a push to {branch}")
        tags = _as_list(push.get("tags") if isinstance(push, dict) else None)
        if tags:
            checks.append(
                Check(
                    "azure",
                    "warning",
                    f"{where}: runs on tags ({', '.join(tags)}): the subject is "
                    f"repo:{repo}:ref:refs/tags/<tag>, one per tag, and "
                    f"repo:{repo}:ref:refs/tags/{tags_glob} is not allowed as a wildcard",
                    "give the publish jobs an environment (with: environment: release) and "
                    f"federate repo:{repo}:environment:release, or use a flexible federated "
                    "identity credential matching claims['sub'] against "
                    f"repo:{repo}:ref:refs/tags/{tags_glob}",
                )
            )
        cond = job.condition.replace('"', "'")
        only_push = "event_name == 'push'" in cond or "event_name != 'pull_request'" in cond
        if "pull_request" in job.triggers and not only_push:
            add(
                f"repo:{repo}:pull_request",
                f"{where}: pull requests (never federate it for an identity that can publish)",
            )
    return subjects, checks


def permission_level(perms: dict[str, str], scope: str) -> int:
    """0 none, 1 read, 2 write: what ``perms`` grants for ``scope``."""
    return _LEVEL.get(perms.get(scope, perms.get("*", "none")), 0)


def required_level(value: str) -> int:
    return _LEVEL[value]
