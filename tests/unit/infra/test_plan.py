"""The infra plan: the subjects are doctor's, the ABAC condition names exactly the configured image
repositories, the 20-credential limit, and names Entra accepts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlrelease.adopt.doctor import diagnose
from mlrelease.infra.plan import (
    MAX_CREDENTIALS,
    InfraError,
    abac_condition,
    condition_repositories,
    credential_name,
    plan_infra,
)
from mlrelease.project import load_project
from tests.unit.infra.repos import ACR_AND_FEED, caller, make_repo

CONFIGURATIONS = {
    "defaults, no caller": ("", None),
    "two release branches": (
        '[tool.mlrelease.version]\nrelease-branches = ["main", "stable"]\n',
        None,
    ),
    "prerelease branches, a glob and a name": (
        '[tool.mlrelease.version]\nprerelease-branches = { "rc/*" = "rc", "beta" = "b" }\n',
        None,
    ),
    "bare tag format": ('[tool.mlrelease.version]\ntag-format = "{version}"\n', None),
    "caller with environment release": ("", caller(environment="release")),
    "caller with environment prod, two branches": (
        "",
        caller(environment="prod", branches="[main, next]"),
    ),
    "caller without environment: branches, tags, pull requests": (
        "",
        caller(branches="[main, release/1.x, 'hotfix/*']"),
    ),
    "caller on tags only": ("", caller(branches="[]")),
}


@pytest.mark.parametrize("name", list(CONFIGURATIONS))
def test_module_subjects_equal_doctors(tmp_path: Path, name: str) -> None:
    tool, workflow = CONFIGURATIONS[name]
    root = make_repo(tmp_path / "repo", tool, caller=workflow)
    plan = plan_infra(load_project(root))
    doctor = [s.subject for s in diagnose(root).subjects]
    assert [c.subject for c in plan.entry.credentials] == doctor
    assert doctor  # every configuration here presents at least one subject


def test_prerelease_branch_without_wildcard_is_a_subject(tmp_path: Path) -> None:
    tool = '[tool.mlrelease.version]\nprerelease-branches = { "rc/*" = "rc", "beta" = "b" }\n'
    plan = plan_infra(load_project(make_repo(tmp_path / "repo", tool)))
    subjects = [c.subject for c in plan.entry.credentials]
    assert "repo:contoso/ml-drift:ref:refs/heads/beta" in subjects
    assert not any("rc/" in s for s in subjects)  # no wildcard subjects


def test_tag_warning_uses_the_tag_format(tmp_path: Path) -> None:
    tool = '[tool.mlrelease.version]\ntag-format = "release-{version}"\n'
    root = make_repo(tmp_path / "repo", tool, caller=caller())
    plan = plan_infra(load_project(root))
    notes = " ".join(n.what + n.hint for n in plan.notes)
    assert "refs/tags/release-*" in notes
    assert "refs/tags/v*" not in notes


def test_abac_condition_names_exactly_the_configured_repositories(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", ACR_AND_FEED)
    plan = plan_infra(load_project(root))
    by_server = {r.login_server: r for r in plan.entry.registries}
    assert set(by_server) == {"contosoml.azurecr.io", "other.azurecr.io"}
    contoso = by_server["contosoml.azurecr.io"]
    assert condition_repositories(contoso.abac_condition) == [
        "drift-detector",
        "drift-detector-gpu",
    ]
    assert condition_repositories(by_server["other.azurecr.io"].abac_condition) == ["drift-api"]
    # the condition limits only the repository actions, and lets them through only for those names
    assert contoso.abac_condition.count("ActionMatches") == 4
    assert "drift-api" not in contoso.abac_condition


def test_abac_condition_shape() -> None:
    text = abac_condition(("a", "b/c"))
    assert text.startswith(
        "((!(ActionMatches{'Microsoft.ContainerRegistry/registries/repositories/"
    )
    assert text.endswith(
        "@Request[Microsoft.ContainerRegistry/registries/repositories:name] "
        "StringEqualsIgnoreCase 'b/c'))"
    )
    assert text.count("(") == text.count(")")


def test_registries_outside_azure_and_the_oci_layout_get_no_role(tmp_path: Path) -> None:
    tool = (
        '[[tool.mlrelease.publish.images]]\nname = "local-only"\n\n'
        '[[tool.mlrelease.publish.images]]\nregistry = "ghcr.io"\nname = "contoso/drift"\n'
    )
    plan = plan_infra(load_project(make_repo(tmp_path / "repo", tool)))
    assert plan.entry.registries == ()
    assert any("ghcr.io is not an Azure Container Registry" in n.what for n in plan.notes)


def test_feed_comes_from_azure_artifacts(tmp_path: Path) -> None:
    plan = plan_infra(load_project(make_repo(tmp_path / "repo", ACR_AND_FEED)))
    assert plan.entry.feed is not None
    assert (plan.entry.feed.organization, plan.entry.feed.project, plan.entry.feed.feed) == (
        "contoso",
        "ml",
        "models",
    )


def test_more_subjects_than_an_identity_holds_is_a_clear_error(tmp_path: Path) -> None:
    branches = "[" + ", ".join(f"b{i}" for i in range(MAX_CREDENTIALS + 1)) + "]"
    root = make_repo(tmp_path / "repo", caller=caller(branches=branches, tags=False))
    with pytest.raises(InfraError) as err:
        plan_infra(load_project(root))
    assert f"{MAX_CREDENTIALS + 2} subjects" in err.value.message  # 21 branches + pull_request
    assert "environment" in err.value.hint


def test_exactly_the_limit_is_fine(tmp_path: Path) -> None:
    branches = "[" + ", ".join(f"b{i}" for i in range(MAX_CREDENTIALS - 1)) + "]"
    root = make_repo(tmp_path / "repo", caller=caller(branches=branches, tags=False))
    assert len(plan_infra(load_project(root)).entry.credentials) == MAX_CREDENTIALS


def test_no_github_origin_needs_repository(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", origin="/srv/git/ml-drift.git")
    with pytest.raises(InfraError) as err:
        plan_infra(load_project(root))
    assert "--repository OWNER/REPO" in err.value.hint
    assert plan_infra(load_project(root), "contoso/ml-drift").entry.repository == "contoso/ml-drift"
    with pytest.raises(InfraError):
        plan_infra(load_project(root), "not a repo")


@pytest.mark.parametrize(
    "subject",
    [
        "repo:contoso/ml-drift:ref:refs/heads/feature/x.y",
        "repo:contoso/ml-drift:environment:release",
        "repo:contoso/ml-drift:pull_request",
        "repo:contoso/" + "x" * 150 + ":ref:refs/heads/main",
    ],
)
def test_credential_names_are_valid_for_entra(subject: str) -> None:
    repo = subject.split(":")[1]
    name = credential_name(repo, subject)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{2,119}", name), name
