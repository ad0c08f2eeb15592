"""Handler of ``mlrelease infra terraform``: the Azure side of keyless publishing as a module."""

from __future__ import annotations

import argparse
import json
from typing import Any

from mlrelease._util import console
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_OK
from mlrelease.infra.module import render_entry, render_module
from mlrelease.infra.output import DEFAULT_OUTPUT, write_module
from mlrelease.infra.plan import InfraPlan, plan_infra
from mlrelease.project import load_project


def _notes(plan: InfraPlan) -> None:
    for note in plan.notes:
        text = f"{note.level}: {note.what}" + (f" (hint: {note.hint})" if note.hint else "")
        if note.level == "error":
            console.error(text)
        else:
            console.out(text)


def cmd_infra_terraform(args: argparse.Namespace) -> int:
    project = load_project(project_dir(args))
    plan = plan_infra(project, getattr(args, "repository", None))
    if args.repo_entry:
        if args.json:
            entry = {plan.entry.repository: plan.entry.as_data()}
            console.out(json.dumps(entry, indent=2))
        else:
            console.out(render_entry(plan).rstrip("\n"))
        return EXIT_OK
    files = render_module(plan)
    output = args.output if args.output is not None else project.root / DEFAULT_OUTPUT
    written = write_module(output, plan, files, force=args.force, root=project.root)
    if args.json:
        data: dict[str, Any] = {
            "repository": plan.entry.repository,
            "output": str(output),
            "files": [{"path": str(w.path), "action": w.action} for w in written],
            "entry": plan.entry.as_data(),
            "notes": [{"level": n.level, "what": n.what, "hint": n.hint} for n in plan.notes],
        }
        console.out(json.dumps(data, indent=2))
        return EXIT_OK
    for w in written:
        console.out(f"{w.action} {w.path}")
    _notes(plan)
    subjects = len(plan.entry.credentials)
    console.out(
        f"the module grants {plan.entry.repository}: "
        f"{console.counted(subjects, 'federated credential')}, "
        f"{console.counted(len(plan.entry.registries), 'registry role')}, "
        f"{'the feed contributor role' if plan.entry.feed else 'no feed'}"
    )
    console.out(
        f"next: cd {output} && terraform init && terraform apply, then set the repository "
        "variables AZURE_CLIENT_ID and AZURE_TENANT_ID from `terraform output github_variables`"
    )
    return EXIT_OK
