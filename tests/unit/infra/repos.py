"""Throwaway repositories for the infra tests: a pyproject with a [tool.mlrelease] table, a git
repository with a github.com origin, and optionally a caller workflow."""

from __future__ import annotations

import subprocess
from pathlib import Path

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "ml-drift"
version = "0.1.0"
requires-python = ">=3.11"

[tool.mlrelease]
python = ["3.12"]
"""

ACR_AND_FEED = """
[tool.mlrelease.publish.feed]
azure-artifacts = { organization = "contoso", project = "ml", feed = "models" }

[[tool.mlrelease.publish.images]]
registry = "contosoml.azurecr.io"
name = "drift-detector"

[[tool.mlrelease.publish.images]]
registry = "contosoml.azurecr.io"
name = "drift-detector-gpu"

[[tool.mlrelease.publish.images]]
registry = "other.azurecr.io"
name = "drift-api"
"""


def make_repo(
    root: Path,
    tool: str = "",
    *,
    caller: str | None = None,
    origin: str | None = "https://github.com/contoso/ml-drift.git",
) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pyproject.toml").write_text(PYPROJECT + tool, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    if origin:
        subprocess.run(["git", "-C", str(root), "remote", "add", "origin", origin], check=True)
    if caller is not None:
        workflows = root / ".github" / "workflows"
        workflows.mkdir(parents=True, exist_ok=True)
        (workflows / "mlrelease.yml").write_text(caller, encoding="utf-8")
    return root


def caller(*, environment: str | None = None, branches: str = "[main]", tags: bool = True) -> str:
    """A caller of release.yml (and python-ci.yml) with the given triggers."""
    tag_line = '    tags: ["v*"]\n' if tags else ""
    env_line = f"      environment: {environment}\n" if environment else ""
    return (
        "name: ci\n"
        "on:\n"
        "  pull_request:\n"
        "  push:\n"
        f"    branches: {branches}\n"
        f"{tag_line}"
        "permissions: {}\n"
        "jobs:\n"
        "  release:\n"
        "    uses: contoso/mlrelease/.github/workflows/release.yml@v1\n"
        "    permissions: { contents: write, id-token: write, attestations: write }\n"
        "    with:\n"
        '      mlrelease-version: "1.0.0"\n'
        f"{env_line}"
    )
