"""The docs stage: ``sphinx-build`` (warnings as errors, as configured) into ``build/docs/<builder>``,
and a separate link check."""

from __future__ import annotations

import os
import shlex
from typing import Any

from mlrelease.project import Project
from mlrelease.stages.plan import Command, Install, StagePlan

DOCS_OUTPUT = "build/docs"


def docs_output(builder: str) -> str:
    return f"{DOCS_OUTPUT}/{builder}"


def docs_plan(project: Project, *, builder: str | None = None) -> StagePlan:
    cfg = project.config.docs
    stage = "docs-linkcheck" if builder == "linkcheck" else "docs"
    builder = builder or cfg.builder
    if not cfg.enabled:
        return StagePlan(stage=stage, skip_reason="tool.mlrelease.docs.enabled = false")
    if project.docs_dir is None:
        return StagePlan(
            stage=stage,
            skip_reason="no Sphinx source found at docs/, docs/source/ or doc/ "
            "(set tool.mlrelease.docs.source)",
        )
    if not (project.docs_dir / "conf.py").is_file():
        rel = project.docs_dir.relative_to(project.root).as_posix()
        return StagePlan(
            stage=stage,
            skip_reason=f"{rel}/conf.py does not exist (tool.mlrelease.docs.source = {rel!r})",
        )
    source = project.docs_dir.relative_to(project.root).as_posix()
    out = docs_output(builder)
    cwd = cfg.cwd.strip("/") if cfg.cwd and cfg.cwd not in (".", "./") else ""
    src_arg, out_arg = source, out
    if cwd:  # run where the repository's docs Makefile runs sphinx-build
        src_arg = os.path.relpath(project.docs_dir, project.root / cwd)
        out_arg = os.path.relpath(project.root / out, project.root / cwd)
    argv = ["sphinx-build", "-b", builder]
    if cfg.warnings_as_errors:
        argv += ["-W", "--keep-going"]
    for name, value in sorted(cfg.define.items()):
        argv += ["-D", f"{name}={value}"]
    argv += [src_arg, out_arg]
    req_files = tuple(
        f"{source}/{name}" for name in ("requirements.txt",) if (project.docs_dir / name).is_file()
    )
    return StagePlan(
        stage=stage,
        install=Install(
            requirements=(project.config.tools.requirement("sphinx"), *cfg.requirements),
            project=True,
            extras=cfg.extras,
            groups=cfg.dependency_groups,
            requirement_files=req_files,
        ),
        commands=(
            Command(
                argv=tuple(argv),
                why=f"sphinx-build -b {builder}",
                hint=(
                    "broken links are listed above"
                    if builder == "linkcheck"
                    else "fix the Sphinx warnings above (warnings are errors: "
                    "tool.mlrelease.docs.warnings-as-errors)"
                    if cfg.warnings_as_errors
                    else "see the Sphinx error above"
                ),
                cwd=cwd,
            ),
        ),
        outputs=(out,),
    )


def plan_docs(project: Project) -> dict[str, Any]:
    data = docs_plan(project).as_data()
    link = docs_plan(project, builder="linkcheck").as_data()
    data["linkcheck"] = link
    flag = "in the check tag" if project.config.docs.linkcheck else "run on demand"
    data["summary"].append(
        f"docs-linkcheck ({flag}): " + shlex.join(link["commands"][0]["argv"])
        if link["commands"]
        else f"docs-linkcheck: {link['skipped']}"
    )
    return data
