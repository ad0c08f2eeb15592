"""The rendered module: every file parses as HCL2 (python-hcl2), is laid out as ``terraform fmt``
leaves it, pins its providers, holds no secret, and has the resources the example package needs."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path
from typing import Any

import hcl2
import pytest
from hcl2.utils import SerializationOptions

from mlrelease.infra import hcl
from mlrelease.infra.module import PROVIDERS, render_entry, render_module
from mlrelease.infra.plan import InfraPlan, condition_repositories, plan_infra
from mlrelease.project import load_project
from tests.unit.infra.repos import ACR_AND_FEED, make_repo

REPO = Path(__file__).resolve().parents[3]
_OPTIONS = SerializationOptions(
    strip_string_quotes=True, with_comments=False, explicit_blocks=False
)


def parse(text: str) -> dict[str, Any]:
    data: dict[str, Any] = hcl2.load(io.StringIO(text), serialization_options=_OPTIONS)
    return data


def driftwatch(tmp_path: Path, extra: str = "") -> Path:
    """A copy of examples/driftwatch with a github.com origin (and ``extra`` configuration)."""
    root = tmp_path / "driftwatch"
    shutil.copytree(
        REPO / "examples" / "driftwatch",
        root,
        ignore=shutil.ignore_patterns(
            ".nox", "dist", "build", "__pycache__", "*_cache", ".mlrelease"
        ),
    )
    if extra:
        with (root / "pyproject.toml").open("a", encoding="utf-8") as fh:
            fh.write(extra)
    import subprocess

    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(
        [
            "git",
            "-C",
            str(root),
            "remote",
            "add",
            "origin",
            "https://github.com/contoso/driftwatch.git",
        ],
        check=True,
    )
    return root


def blocks(data: dict[str, Any], kind: str) -> set[tuple[str, str]]:
    return {(t, n) for item in data.get(kind, []) for t, named in item.items() for n in named}


def module(plan: InfraPlan) -> dict[str, dict[str, Any]]:
    return {name: parse(text) for name, text in render_module(plan).items()}


_ASSIGN = re.compile(r'^(\s*)("[^"]*"|[A-Za-z_][\w-]*)( +)= ')


def assert_fmt_layout(text: str) -> None:
    """hclwrite's layout: a line that opens brackets indents what follows by one level (however
    many it opens), the line that closes them comes back; in a run of one-line attributes, one
    column of '=' with one space after the longest key."""
    levels: list[int] = []  # brackets each open level holds
    run: list[str] = []

    def check_run() -> None:
        columns = {line.index(" = ") for line in run}
        assert len(columns) <= 1, "\n".join(run)
        if run:
            spaces = [len(m.group(3)) for m in map(_ASSIGN.match, run) if m]
            assert min(spaces) == 1, "\n".join(run)
        run.clear()

    for line in text.splitlines():
        net = hcl._net_brackets(line)
        closed = -net if net < 0 else 0
        while closed > 0 and levels:
            if closed >= levels[-1]:
                closed -= levels.pop()
            else:
                levels[-1] -= closed
                closed = 0
        if line.strip():
            indent = len(line) - len(line.lstrip(" "))
            assert indent == 2 * len(levels), (
                f"indent {indent}, expected {2 * len(levels)}: {line!r}"
            )
            assert "\t" not in line
            assert line == line.rstrip()
        if net > 0:
            levels.append(net)
        if _ASSIGN.match(line) and net == 0:
            run.append(line)
        else:
            check_run()
    check_run()
    assert not levels


def test_driftwatch_golden_structure(tmp_path: Path) -> None:
    plan = plan_infra(load_project(driftwatch(tmp_path)))
    files = module(plan)
    assert set(files) == {"versions.tf", "variables.tf", "main.tf", "outputs.tf"}
    main = files["main.tf"]
    assert blocks(main, "resource") == {
        ("azurerm_user_assigned_identity", "github"),
        ("azurerm_federated_identity_credential", "github"),
        ("azurerm_role_assignment", "acr_push"),
        ("azurerm_role_assignment", "acr_repository_writer"),
    }
    assert blocks(main, "data") == {("azurerm_user_assigned_identity", "existing")}
    assert {n for o in files["outputs.tf"]["output"] for n in o} == {
        "tenant_id",
        "client_ids",
        "github_variables",
    }
    variables = {n: v for item in files["variables.tf"]["variable"] for n, v in item.items()}
    assert set(variables) == {
        "subscription_id",
        "resource_group_name",
        "location",
        "identity_name_prefix",
        "tags",
        "existing_identity_ids",
        "container_registries",
        "repositories",
    }
    # driftwatch: no registry (the embedded OCI layout), no feed; the default caller's subjects
    assert variables["repositories"]["default"] == {
        "contoso/driftwatch": {
            "federated_credentials": {
                "gh-contoso-driftwatch-branch-main": "repo:contoso/driftwatch:ref:refs/heads/main",
                "gh-contoso-driftwatch-env-release": "repo:contoso/driftwatch:environment:release",
            },
            "registries": {},
        }
    }
    fic = main["resource"][1]["azurerm_federated_identity_credential"]["github"]
    assert fic["issuer"] == "https://token.actions.githubusercontent.com"
    assert fic["audience"] == ["api://AzureADTokenExchange"]
    # no feed configured: the Azure DevOps part and its provider are left out
    providers = files["versions.tf"]["terraform"][0]["required_providers"][0]
    assert set(providers) == {"azurerm"}


def test_driftwatch_with_acr_and_feed(tmp_path: Path) -> None:
    plan = plan_infra(load_project(driftwatch(tmp_path, ACR_AND_FEED)))
    files = module(plan)
    main = files["main.tf"]
    assert ("azuredevops_service_principal_entitlement", "github") in blocks(main, "resource")
    assert ("azuredevops_feed_permission", "github") in blocks(main, "resource")
    assert blocks(main, "data") >= {("azuredevops_feed", "feed"), ("azuredevops_project", "feed")}
    by_type = {t: named for item in main["resource"] for t, named in item.items() for _ in named}
    permission = by_type["azuredevops_feed_permission"]["github"]
    assert permission["role"] == "contributor"
    assert "azuredevops_service_principal_entitlement.github" in permission["identity_descriptor"]
    writer = next(
        item["azurerm_role_assignment"]
        for item in main["resource"]
        if "acr_repository_writer" in item.get("azurerm_role_assignment", {})
    )["acr_repository_writer"]
    assert writer["role_definition_name"] == "Container Registry Repository Writer"
    assert writer["condition_version"] == "2.0"
    push = next(
        item["azurerm_role_assignment"]
        for item in main["resource"]
        if "acr_push" in item.get("azurerm_role_assignment", {})
    )["acr_push"]
    assert push["role_definition_name"] == "AcrPush"
    # the conditions the module applies, read back from the parsed file, name exactly the images
    variables = {n: v for item in files["variables.tf"]["variable"] for n, v in item.items()}
    entry = variables["repositories"]["default"]["contoso/driftwatch"]
    conditions = {
        s: condition_repositories(g["abac_condition"]) for s, g in entry["registries"].items()
    }
    assert conditions == {
        "contosoml.azurecr.io": ["drift-detector", "drift-detector-gpu"],
        "other.azurecr.io": ["drift-api"],
    }
    assert entry["feed"] == {"organization": "contoso", "project": "ml", "name": "models"}
    assert variables["azure_devops_organization"]["default"] == "contoso"
    providers = files["versions.tf"]["terraform"][0]["required_providers"][0]
    for name, (source, version) in PROVIDERS.items():
        assert providers[name] == {"source": source, "version": version}
        assert re.fullmatch(r"\d+\.\d+\.\d+", version)  # pinned exactly


@pytest.mark.parametrize("extra", ["", ACR_AND_FEED])
def test_every_file_is_laid_out_as_terraform_fmt(tmp_path: Path, extra: str) -> None:
    plan = plan_infra(load_project(make_repo(tmp_path / "repo", extra)))
    for name, text in render_module(plan).items():
        assert_fmt_layout(text)
        assert hcl.fmt(text) == text, name


def test_fmt_aligns_runs_and_leaves_multiline_values_alone() -> None:
    text = 'a = 1\nlong_name = "x = y"\ntype = map(object({\n  id = string\n  mode = optional(string)\n}))\nb = 2\n'
    assert hcl.fmt(text) == (
        'a         = 1\nlong_name = "x = y"\ntype = map(object({\n  id   = string\n'
        "  mode = optional(string)\n}))\nb = 2\n"
    )


def test_strings_cannot_interpolate() -> None:
    assert hcl.string("${var.x} %{if}") == '"$${var.x} %%{if}"'
    assert parse(f"a = {hcl.string('${x}')}\n")["a"] == "$${x}"


def test_repo_entry_parses_and_matches_the_default(tmp_path: Path) -> None:
    plan = plan_infra(load_project(make_repo(tmp_path / "repo", ACR_AND_FEED)))
    entry = parse("repositories = {\n" + render_entry(plan) + "}\n")["repositories"]
    variables = {n: v for item in module(plan)["variables.tf"]["variable"] for n, v in item.items()}
    assert entry == variables["repositories"]["default"]


def test_nothing_secret_or_machine_specific(tmp_path: Path) -> None:
    plan = plan_infra(load_project(make_repo(tmp_path / "repo", ACR_AND_FEED)))
    text = "\n".join(render_module(plan).values())
    secret_keys = re.compile(
        r"^\s*(client_secret|client_certificate\w*|password|personal_access_token|access_key|"
        r"sas_token)\s*=",
        re.MULTILINE,
    )
    assert not secret_keys.search(text)
    assert str(tmp_path) not in text
