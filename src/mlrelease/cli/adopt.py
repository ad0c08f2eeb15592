"""Handlers of the adoption commands: init and doctor."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path

from mlrelease._util import console
from mlrelease.adopt.callers import AUDIENCE, ISSUER
from mlrelease.adopt.doctor import diagnose, render
from mlrelease.adopt.init import InitPlan, explain, plan_init, unified_diff
from mlrelease.adopt.record import init_record_change
from mlrelease.adopt.writes import apply
from mlrelease.errors import EXIT_FAILURE, EXIT_OK, EnvironmentProblem
from mlrelease.infra.output import module_findings


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
    plan.changes.extend(init_record_change(plan, getattr(args, "workflows_repo", None)))
    if getattr(args, "json", False):
        return _init_json(root, plan, dry_run=args.dry_run)
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
        files = console.counted(len(plan.pending), "file")
        console.out(f"dry run: {files} would change; nothing was written")
        return EXIT_OK
    _write_changes(root, plan)
    console.out("next: mlrelease check, then nox -t check")
    return EXIT_OK


def _write_changes(root: Path, plan: InitPlan, *, say: Callable[[str], None] = console.out) -> None:
    """Write the pending changes, saying each on stdout (``say``: on stderr under ``--json``)."""
    for line in apply(root, plan.pending):
        say(line)


def _init_json(root: Path, plan: InitPlan, *, dry_run: bool) -> int:
    """``init --json``: what was detected and each change, written unless ``dry_run``."""
    changes: list[dict[str, str]] = []
    for change in plan.pending:
        entry = {
            "path": change.path,
            "action": "create" if change.old is None else "update",
            "why": change.why,
        }
        if dry_run:
            entry["diff"] = unified_diff(change)
        changes.append(entry)
    if not dry_run:
        _write_changes(root, plan, say=console.note)  # stdout carries only the JSON
    data = {
        "ok": True,
        "dry-run": dry_run,
        "root": str(root),
        "detected": explain(plan.detected),
        "notes": list(plan.skipped),
        "changes": changes,
        "written": not dry_run and bool(changes),
    }
    console.json(data)
    return EXIT_OK


def cmd_doctor(args: argparse.Namespace) -> int:
    root = Path(getattr(args, "project", None) or Path()).resolve()
    report = diagnose(root)
    report.checks.extend(module_findings(root))  # a generated Terraform module out of date
    if args.json:
        data = {
            "repository": report.repository,
            "issuer": ISSUER,
            "audience": AUDIENCE,
            "subjects": [asdict(s) for s in report.subjects],
            "checks": [asdict(c) for c in report.checks],
        }
        console.json(data)
    else:
        for line in render(report):
            console.out(line)
    return EXIT_FAILURE if report.failed else EXIT_OK
