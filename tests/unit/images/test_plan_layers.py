"""The images plan imports no backend, and the runner gets its backends as parameters."""

from __future__ import annotations

import ast
from pathlib import Path

IMAGES = Path(__file__).resolve().parents[3] / "src" / "mlrelease" / "images"
BACKEND_MODULES = {"mlrelease.images.registry", "mlrelease.images.engines", "mlrelease.auth"}
BACKEND_NAMES = {
    "LayoutTarget", "RegistryTarget", "TARGET_BACKENDS", "open_target", "get_engine",
    "Buildah", "Podman", "Docker", "registry_credential",
}  # fmt: skip


def imported(module: str) -> set[str]:
    """Every ``module`` and ``module.name`` the file imports (TYPE_CHECKING included)."""
    tree = ast.parse((IMAGES / f"{module}.py").read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found |= {node.module, *(f"{node.module}.{a.name}" for a in node.names)}
    return found


def test_the_plan_imports_no_backend_and_nothing_that_builds_or_sends() -> None:
    for module in ("plan", "mounts"):
        names = imported(module)
        wrong = {n for n in names if n.startswith("mlrelease.images.") and n.count(".") == 2}
        wrong -= {"mlrelease.images.mounts"}
        assert not wrong, f"{module}.py imports {sorted(wrong)}"
        assert not {n for n in names if n.rsplit(".", 1)[-1] in BACKEND_NAMES}


def test_the_runner_gets_its_targets_and_engine_as_parameters() -> None:
    names = imported("runner")
    backends = {n for n in names if BACKEND_MODULES & {n, n.rsplit(".", 1)[0]}}
    assert backends == {"mlrelease.images.engines", "mlrelease.images.engines.Engine"}  # a type
    assert not {n for n in names if n.rsplit(".", 1)[-1] in BACKEND_NAMES}
