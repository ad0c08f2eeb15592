"""What the Azure side of keyless publishing must hold for one repository: a pure, typed plan.

The subjects are :func:`mlrelease.adopt.callers.azure_subjects`, the list ``mlrelease doctor``
prints; the image repositories come from ``publish.images`` (registries ending in ``.azurecr.io``);
the feed from ``publish.feed.azure-artifacts``. Nothing here reads a secret or writes a file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlrelease._util.git import Repo
from mlrelease.adopt.callers import AUDIENCE, ISSUER, Check, azure_subjects, github_repository
from mlrelease.errors import MlreleaseError
from mlrelease.project import Project

# Entra ID: at most 20 federated identity credentials on one identity (app or managed identity).
MAX_CREDENTIALS = 20
# The ACR data actions of "Container Registry Repository Writer" that the ABAC condition limits.
ACR_REPOSITORY_ACTIONS = (
    "Microsoft.ContainerRegistry/registries/repositories/content/read",
    "Microsoft.ContainerRegistry/registries/repositories/metadata/read",
    "Microsoft.ContainerRegistry/registries/repositories/content/write",
    "Microsoft.ContainerRegistry/registries/repositories/metadata/write",
)
ACR_REPOSITORY_ATTRIBUTE = "@Request[Microsoft.ContainerRegistry/registries/repositories:name]"
_OWNER_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")
_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]+")


class InfraError(MlreleaseError):
    """The Azure module cannot be generated as asked (the message says why, the hint the fix)."""


@dataclass(frozen=True)
class FederatedCredential:
    name: str  # the credential's name on the identity: 3-120 letters, digits, '-', '_'
    subject: str
    when: str


@dataclass(frozen=True)
class RegistryGrant:
    login_server: str
    repositories: tuple[str, ...]  # the image repositories this repository pushes, sorted

    @property
    def abac_condition(self) -> str:
        return abac_condition(self.repositories)


@dataclass(frozen=True)
class FeedGrant:
    organization: str
    project: str | None
    feed: str


@dataclass(frozen=True)
class RepositoryEntry:
    """This repository's entry in the module's ``repositories`` map."""

    repository: str  # owner/repo on github.com
    credentials: tuple[FederatedCredential, ...]
    registries: tuple[RegistryGrant, ...]
    feed: FeedGrant | None

    def as_data(self) -> dict[str, Any]:
        """The entry as the module's variable takes it (HCL object / JSON)."""
        data: dict[str, Any] = {
            "federated_credentials": {c.name: c.subject for c in self.credentials},
            "registries": {
                r.login_server: {
                    "repositories": list(r.repositories),
                    "abac_condition": r.abac_condition,
                }
                for r in self.registries
            },
        }
        if self.feed is not None:
            data["feed"] = {
                "organization": self.feed.organization,
                "project": self.feed.project,
                "name": self.feed.feed,
            }
        return data


@dataclass(frozen=True)
class InfraPlan:
    entry: RepositoryEntry
    notes: tuple[Check, ...]  # what the module cannot cover (doctor's Azure warnings, skips)
    issuer: str = ISSUER
    audience: str = AUDIENCE

    @property
    def inputs_digest(self) -> str:
        """A digest of what the module holds for this repository (the staleness check's key)."""
        return digest(self.entry.repository, self.entry.as_data())


def digest(repository: str, data: dict[str, Any]) -> str:
    text = json.dumps({"repository": repository, "entry": data}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def abac_condition(repositories: tuple[str, ...]) -> str:
    """An Azure ABAC condition (version 2.0) that lets the repository actions through only for
    ``repositories``: every other action of the role is unaffected."""
    actions = " AND ".join(f"!(ActionMatches{{'{a}'}})" for a in ACR_REPOSITORY_ACTIONS)
    names = " OR ".join(
        f"{ACR_REPOSITORY_ATTRIBUTE} StringEqualsIgnoreCase '{r}'" for r in repositories
    )
    return f"(({actions}) OR ({names}))"


def condition_repositories(condition: str) -> list[str]:
    """The repository names an ABAC condition made by :func:`abac_condition` lets through."""
    pattern = re.escape(ACR_REPOSITORY_ATTRIBUTE) + r" StringEqualsIgnoreCase '([^']*)'"
    return re.findall(pattern, condition)


def origin_repository(root: Path) -> str | None:
    """``owner/repo`` of the ``origin`` remote when it is on github.com, else None."""
    result = Repo(root).run("remote", "get-url", "origin")
    return github_repository(result.stdout.strip()) if result.returncode == 0 else None


def credential_name(repository: str, subject: str) -> str:
    """A readable, valid credential name for ``subject``: ``gh-<owner>-<repo>-<kind>-<value>``."""
    rest = subject.split(":", 2)[2] if subject.count(":") >= 2 else subject
    rest = rest.replace("ref:refs/heads/", "branch-").replace("ref:refs/tags/", "tag-")
    rest = rest.replace("environment:", "env-")
    raw = f"gh-{repository.replace('/', '-')}-{rest}"
    name = _NAME_CHARS.sub("-", raw).strip("-_")
    if len(name) > 120:
        name = name[:111].rstrip("-_") + "-" + hashlib.sha256(subject.encode()).hexdigest()[:8]
    return name


def _credentials(
    repository: str, subjects: list[tuple[str, str]]
) -> tuple[FederatedCredential, ...]:
    out: list[FederatedCredential] = []
    seen: set[str] = set()
    for subject, when in subjects:
        name = credential_name(repository, subject)
        if name in seen:  # two subjects that differ only in characters a name cannot hold
            name = f"{name[:111]}-{hashlib.sha256(subject.encode()).hexdigest()[:8]}"
        seen.add(name)
        out.append(FederatedCredential(name, subject, when))
    return tuple(out)


def _registries(project: Project) -> tuple[tuple[RegistryGrant, ...], list[Check]]:
    by_server: dict[str, set[str]] = {}
    notes: list[Check] = []
    for image in project.config.publish.images:
        if not image.registry:
            continue  # the embedded OCI layout: nothing to grant
        server = image.registry.lower()
        if not server.endswith(".azurecr.io"):
            notes.append(
                Check(
                    "infra",
                    "warning",
                    f"image {image.name}: {image.registry} is not an Azure Container Registry: "
                    "the module grants nothing there",
                    "its credentials come from MLRELEASE_REGISTRY_USERNAME/_PASSWORD",
                )
            )
            continue
        by_server.setdefault(server, set()).add(image.name)
    grants = tuple(RegistryGrant(s, tuple(sorted(names))) for s, names in sorted(by_server.items()))
    return grants, notes


def _feed(project: Project) -> FeedGrant | None:
    feed = project.config.publish.feed
    azure = feed.azure_artifacts if feed else None
    if azure is None:
        return None
    return FeedGrant(azure.organization, azure.project, azure.feed)


def plan_infra(project: Project, repository: str | None = None) -> InfraPlan:
    """The plan for ``project``: ``repository`` (``owner/repo``) or the github.com ``origin``."""
    if repository is not None and not _OWNER_REPO.match(repository):
        raise InfraError(
            f"--repository {repository!r} is not OWNER/REPO",
            hint="pass the GitHub repository as it appears in its URL, e.g. contoso/ml-drift",
        )
    repo = repository or origin_repository(project.root)
    if repo is None:
        raise InfraError(
            f"{project.root}: the origin remote is not a github.com repository, so there are no "
            "federated-credential subjects to derive",
            hint="pass --repository OWNER/REPO (the repository whose workflows publish), or "
            "git remote add origin https://github.com/OWNER/REPO.git",
        )
    version = project.config.version
    subjects, checks = azure_subjects(
        project.root,
        repo,
        version.release_branches,
        prerelease_branches=tuple(version.prerelease_branches),
        tag_format=version.tag_format,
    )
    if len(subjects) > MAX_CREDENTIALS:
        raise InfraError(
            f"{repo}: the workflows present {len(subjects)} subjects, and an identity holds at most "
            f"{MAX_CREDENTIALS} federated credentials",
            hint="give the publish jobs an environment (with: environment: release): every run "
            "then presents the one subject repo:OWNER/REPO:environment:release",
        )
    registries, notes = _registries(project)
    entry = RepositoryEntry(
        repository=repo,
        credentials=_credentials(repo, [(s.subject, s.when) for s in subjects]),
        registries=registries,
        feed=_feed(project),
    )
    return InfraPlan(entry=entry, notes=(*checks, *notes))
