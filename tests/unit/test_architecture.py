"""The layer rule of src/mlrelease (docs/explanation/architecture.md), enforced on the source.

Data flows down: ``cli`` -> ``preview`` -> capabilities (``adopt``, ``images``, ``wheels``,
``versioning``, ``stages``) -> ``project`` / ``auth`` / ``config`` -> ``_util`` -> ``errors``.
A module may import only from its own component or from one listed below it here, no module
imports from ``cli`` (except the entry points), and the module import graph has no cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "mlrelease"

# component -> the components it may import (its own is always allowed).
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "_util": {"errors", "version"},
    "config": {"_util", "errors"},
    "auth": {"_util", "errors"},
    # the public door of noxsessions/ to the few _util helpers it needs (counted, find_uv, ...)
    "session_support": {"_util", "errors"},
    "project": {"config", "_util", "errors"},
    "stages": {"project", "config", "_util", "errors"},
    "versioning": {"project", "config", "_util", "errors"},
    "wheels": {"versioning", "auth", "project", "config", "_util", "errors"},
    "images": {"wheels", "versioning", "auth", "project", "config", "_util", "errors"},
    "adopt": {
        "monorepo",
        "images",
        "wheels",
        "stages",
        "versioning",
        "project",
        "auth",
        "config",
        "_util",
        "errors",
    },
    "infra": {
        "monorepo",
        "adopt",
        "images",
        "wheels",
        "versioning",
        "stages",
        "project",
        "auth",
        "config",
        "_util",
        "errors",
    },
    "preview": {
        "monorepo",
        "adopt",
        "images",
        "wheels",
        "versioning",
        "stages",
        "project",
        "config",
        "_util",
        "errors",
    },
    "monorepo": {
        "wheels",
        "versioning",
        "stages",
        "project",
        "auth",
        "config",
        "_util",
        "errors",
    },
    "cli": {
        "monorepo",
        "infra",
        "preview",
        "adopt",
        "images",
        "wheels",
        "versioning",
        "stages",
        "project",
        "auth",
        "config",
        "_util",
        "errors",
        "version",
    },
    "entry": {"cli", "version"},
}


def module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def component(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 1:  # mlrelease itself: its __init__ holds __version__ and the public API
        return "version"
    if parts[1] == "__main__":
        return "entry"
    return parts[1]


def imports_of(path: Path) -> set[str]:
    """mlrelease modules ``path`` imports (anywhere in the file, TYPE_CHECKING included)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    modules = {module_name(p) for p in SRC.rglob("*.py")}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("mlrelease")}
        elif (
            isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("mlrelease")
        ):
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found.add(sub if sub in modules else node.module)
    return found


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(SRC.rglob("*.py"))}


def test_no_module_imports_from_a_higher_layer() -> None:
    wrong = []
    for module, deps in graph().items():
        mine = component(module)
        for dep in deps:
            theirs = component(dep)
            if theirs not in (mine, "version") and theirs not in ALLOWED[mine]:
                wrong.append(f"{module} ({mine}) imports {dep} ({theirs})")
    assert not wrong, "\n".join(sorted(wrong))


def test_the_module_graph_has_no_cycle() -> None:
    edges = graph()
    # The package __init__ only carries __version__ and re-exports; it is not a dependency node.
    edges = {
        m: {d for d in deps if d != "mlrelease"} for m, deps in edges.items() if m != "mlrelease"
    }
    state: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(edges.get(node, ())):
            if state.get(dep) == 1:
                cycles.append([*stack[stack.index(dep) :], dep])
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    assert not cycles, "\n".join(" -> ".join(c) for c in cycles)


def test_only_the_cli_dispatch_imports_lazily() -> None:
    """Imports sit at module top in the core; function-level imports are for optional
    dependencies (azure-identity, keyring, twine, uv, PyYAML, tomli, rich: twine's, for progress
    bars on a terminal only) and the CLI dispatch."""
    optional = ("azure", "keyring", "twine", "uv", "yaml", "tomli", "semantic_release", "importlib")
    optional += ("rich",)
    lazy = []
    for path in sorted(SRC.rglob("*.py")):
        if path.parent.name == "cli":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Import):
                    names = [a.name for a in node.names]
                elif isinstance(node, ast.ImportFrom):
                    names = [node.module or ""]
                else:
                    continue
                if not all(n.split(".")[0] in optional for n in names):
                    lazy.append(f"{path.relative_to(ROOT)}:{node.lineno}: {', '.join(names)}")
    assert not lazy, "\n".join(lazy)


def test_the_rule_is_not_vacuous() -> None:
    """The graph really has edges across components (the checks above look at something)."""
    edges = graph()
    assert "mlrelease.wheels.feed" in edges["mlrelease.wheels.publish"]
    assert component("mlrelease.cli.main") == "cli"
    crossing = {(component(m), component(d)) for m, deps in edges.items() for d in deps}
    assert ("wheels", "versioning") in crossing
    assert len(crossing) > 20
