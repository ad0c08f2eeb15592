"""Handlers of the configuration commands: check, plan, matrix, schema.

`matrix` runs in every CI job's first step: each handler imports what only it needs, so `matrix`
loads the project and nothing of the stages, feeds or images.
"""

from __future__ import annotations

import argparse
import json

from mlrelease._util import console
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_FAILURE, EXIT_OK
from mlrelease.project import load_project, matrix


def cmd_check(args: argparse.Namespace) -> int:
    from mlrelease.monorepo.members import is_monorepo

    if is_monorepo(project_dir(args)):
        from mlrelease.cli.monorepo import cmd_monorepo_check

        return cmd_monorepo_check(args)
    from mlrelease.adopt.callers import Check
    from mlrelease.adopt.checks import Finding, environment_findings
    from mlrelease.infra.output import module_findings

    findings: list[Finding | Check] = [
        *environment_findings(project_dir(args), getattr(args, "python", ())),
        *module_findings(project_dir(args).resolve()),  # a generated Terraform module out of date
    ]
    failed = any(f.level == "error" for f in findings)
    if getattr(args, "json", False):
        data = {
            "ok": not failed,
            "findings": [{"level": f.level, "what": f.what, "hint": f.hint} for f in findings],
        }
        console.out(json.dumps(data, indent=2))
        return EXIT_FAILURE if failed else EXIT_OK
    for f in findings:
        if f.level == "ok":
            console.out(f"ok: {f.what}")
        else:
            console.out(f"{f.level}: {f.what}" + (f" (hint: {f.hint})" if f.hint else ""))
            if f.level == "error":
                console.annotate_error(f"{f.what} ({f.hint})")
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_plan(args: argparse.Namespace) -> int:
    from mlrelease.monorepo.members import is_monorepo

    if is_monorepo(project_dir(args)):
        from mlrelease.cli.monorepo import cmd_monorepo_plan

        return cmd_monorepo_plan(args)
    from mlrelease.preview import preview, render_text  # every stage: only `plan` needs them
    from mlrelease.versioning.stamping import stamp_targets

    project = load_project(project_dir(args))
    stamp_targets(project)  # what `release` would reject about version.stamp: exit 2 here too
    stages = tuple(args.stage) if args.stage else None
    plan = preview(project, stages=stages)
    console.out(json.dumps(plan, indent=2, sort_keys=False) if args.json else render_text(plan))
    return EXIT_OK


def cmd_matrix(args: argparse.Namespace) -> int:
    from mlrelease.monorepo.members import is_monorepo

    if is_monorepo(project_dir(args)):
        from mlrelease.cli.monorepo import cmd_monorepo_matrix

        return cmd_monorepo_matrix(args)
    project = load_project(project_dir(args))
    data = matrix(project)
    if getattr(args, "python", ()):
        data["python"] = list(args.python)
    console.out(json.dumps(data, separators=(",", ":")))
    return EXIT_OK


def cmd_schema(args: argparse.Namespace) -> int:
    from mlrelease.config.schema import schemastore_text, tool_schema

    if getattr(args, "schemastore", False):
        console.out(schemastore_text().rstrip("\n"))
    else:
        console.out(json.dumps(tool_schema(), indent=2))
    return EXIT_OK
