"""``mlrelease plan``: the resolved configuration and what each stage would do, as plain data.

The JSON form is stable (``"plan-version": 1``); keys are only ever added. See docs/reference/plan.md.
Each stage contributes one entry under ``"stages"`` from a pure planning function in its own module;
nothing here runs a tool that changes state.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from mlrelease.config import model as c
from mlrelease.images.plan import plan_images
from mlrelease.project import Project, matrix
from mlrelease.stages.build import plan_build
from mlrelease.stages.docs import plan_docs
from mlrelease.stages.lint import plan_lint
from mlrelease.stages.test import plan_tests
from mlrelease.versioning.release import plan_release
from mlrelease.wheels.publish import plan_wheels

PLAN_VERSION = 1

# (stage name, planner): each planner takes a Project and returns JSON-able data.
STAGES: tuple[tuple[str, Callable[[Project], Any]], ...] = (
    ("lint", plan_lint),
    ("tests", plan_tests),
    ("docs", plan_docs),
    ("build", plan_build),
    ("release", plan_release),
    ("wheels", plan_wheels),
    ("images", plan_images),
)


def config_as_data(obj: object) -> Any:
    """A config object as plain JSON-able data with TOML key names."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {
            c.toml_key(f): config_as_data(getattr(obj, f.name)) for f in c.config_fields(type(obj))
        }
    if isinstance(obj, tuple):
        return [config_as_data(x) for x in obj]
    if isinstance(obj, dict):
        return {k: config_as_data(v) for k, v in obj.items()}
    return obj


def default_keys(config: c.Config) -> list[str]:
    """Dotted keys (below tool.mlrelease) left at their default."""
    keys: list[str] = []

    def walk(cls: type, obj: object, prefix: str) -> None:
        for f in c.config_fields(cls):
            dotted = f"{prefix}{c.toml_key(f)}"
            kind = f.metadata["kind"]
            if kind == "section":
                walk(f.metadata["section"], getattr(obj, f.name), dotted + ".")
            elif c.is_default(config, dotted):
                keys.append(dotted)

    walk(c.Config, config, "")
    return keys


def project_facts(project: Project) -> dict[str, Any]:
    return {
        "root": str(project.root),
        "name": project.name,
        "import-name": project.import_name,
        "version": project.static_version,
        "version-source": project.version_source,
        "requires-python": project.requires_python,
        "build-backend": project.build_backend,
        "layout": project.layout,
        "source": str(project.source_dir.relative_to(project.root)) if project.source_dir else None,
        "docs": str(project.docs_dir.relative_to(project.root)) if project.docs_dir else None,
    }


def preview(project: Project, *, stages: tuple[str, ...] | None = None) -> dict[str, Any]:
    plan: dict[str, Any] = {
        "plan-version": PLAN_VERSION,
        "project": project_facts(project),
        "config": config_as_data(project.config),
        "defaults": default_keys(project.config),
        "matrix": matrix(project),
        "stages": {},
    }
    for name, planner in STAGES:
        if stages is not None and name not in stages:
            continue
        plan["stages"][name] = planner(project)
    return plan


def render_text(plan: dict[str, Any]) -> str:
    """Human form: the resolved configuration (defaults marked) and the stages."""
    lines: list[str] = []
    facts = plan["project"]
    lines.append(
        f"project {facts['name']} ({facts['layout']} layout, version from {facts['version-source']})"
    )
    lines.append("")
    lines.append("[tool.mlrelease] resolved (values marked 'default' were not set):")
    defaults = set(plan["defaults"])

    def walk(data: dict[str, Any], prefix: str) -> None:
        for key, value in data.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict) and key not in (
                "define",
                "build-args",
                "prerelease-branches",
            ):
                walk(value, dotted + ".")
                continue
            if value is None and dotted not in defaults:
                continue
            mark = "  (default)" if dotted in defaults else ""
            lines.append(f"  {dotted} = {_toml_repr(value)}{mark}")

    walk(plan["config"], "")
    lines.append("")
    lines.append(f"test matrix: python {', '.join(plan['matrix']['python'])}")
    for name, stage in plan["stages"].items():
        lines.append("")
        lines.append(f"stage {name}:")
        lines.extend(_stage_lines(stage))
    return "\n".join(lines)


def _stage_lines(stage: Any) -> list[str]:
    if isinstance(stage, dict) and isinstance(stage.get("summary"), list):
        return [f"  {line}" for line in stage["summary"]]
    if isinstance(stage, dict):
        return [f"  {k}: {_toml_repr(v)}" for k, v in stage.items()]
    return [f"  {stage}"]


def _toml_repr(value: Any) -> str:
    if value is None:
        return "(auto)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_repr(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml_repr(v)}" for k, v in value.items()) + " }"
    return str(value)
