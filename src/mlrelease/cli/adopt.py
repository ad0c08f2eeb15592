"""Handlers of the adoption commands: init and doctor."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from mlrelease._util import console
from mlrelease.adopt.callers import AUDIENCE, ISSUER
from mlrelease.adopt.doctor import diagnose, render
from mlrelease.adopt.init import explain, plan_init, unified_diff
from mlrelease.errors import EXIT_FAILURE, EXIT_OK, EnvironmentProblem


def cmd_init(args: argparse.Namespace) -> int:
    root: Path = (args.dir or getattr(args, "project", None) or Path()).resolve()
    if not root.is_dir():
        raise EnvironmentProblem(f"{root} is not a directory", hint="pass the repository directory")
    plan = plan_init(
        root,
        force=args.force,
        dockerfile=args.dockerfile,
        workflows_repo=getattr(args, "workflows_repo", None),
    )
    for line in explain(plan.detected):
        console.out(f"  {line}")
    for line in plan.skipped:
        console.out(f"  note: {line}")
    for what, fix in plan.warnings:
        console.warn(what, hint=fix)
    if not plan.pending:
        console.out("nothing to change: mlrelease is already set up here")
        return EXIT_OK
    if args.dry_run:
        for change in plan.pending:
            console.out(unified_diff(change).rstrip("\n"))
        console.out(f"dry run: {len(plan.pending)} file(s) would change; nothing was written")
        return EXIT_OK
    for change in plan.pending:
        path = root / change.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(change.new, encoding="utf-8")
        verb = "created" if change.old is None else "updated"
        console.out(f"{verb} {change.path}: {change.why}")
    console.out("next: mlrelease check, then nox -t check")
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    root = Path(getattr(args, "project", None) or Path()).resolve()
    report = diagnose(root)
    if args.json:
        data = {
            "repository": report.repository,
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "subjects": [asdict(s) for s in report.subjects],
            "checks": [asdict(c) for c in report.checks],
        }
        console.out(json.dumps(data, indent=2))
    else:
        for line in render(report):
            console.out(line)
    return EXIT_FAILURE if report.failed else EXIT_OK
