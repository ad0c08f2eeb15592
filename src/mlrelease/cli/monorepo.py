"""Handlers of the monorepo commands: ``affected``, and ``matrix`` at a monorepo root."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from mlrelease._util import console
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_FAILURE, EXIT_OK, ConfigError, Problem
from mlrelease.monorepo.affected import affected
from mlrelease.monorepo.matrix import member_matrix, pull_request_base
from mlrelease.monorepo.members import Workspace, discover

if TYPE_CHECKING:
    from mlrelease.project import Project


def _workspace(args: argparse.Namespace) -> Workspace:
    workspace = discover(project_dir(args))
    if workspace is None:
        raise ConfigError(
            problems=[
                Problem(
                    "pyproject.toml",
                    "tool.mlrelease.members",
                    "is not set: this is not a monorepo root",
                    'list the member directories, e.g. members = ["packages/*"], or run at the root',
                )
            ]
        )
    return workspace


def _say_why_all(reason: str | None) -> None:
    if reason:
        sys.stderr.write(f"mlrelease: every member: {reason}\n")


def cmd_affected(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    which = affected(workspace, args.base)
    _say_why_all(which.all_reason)
    if args.json:
        console.out(json.dumps(which.as_data(), indent=2))
        return EXIT_OK
    for key in which.members:
        member = workspace.members[key]
        console.out(f"{key}\t{member.path}\t{which.reasons[key]}")
    return EXIT_OK


def cmd_monorepo_matrix(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    base = getattr(args, "base", None) or pull_request_base()
    data, which = member_matrix(workspace, base, tuple(getattr(args, "python", ())))
    _say_why_all(which.all_reason if base else None)
    console.out(json.dumps(data, separators=(",", ":")))
    return EXIT_OK


def _validated(args: argparse.Namespace) -> tuple[Workspace, list[Project]]:
    """The workspace with the root table and every member's merged table validated; the
    problems of all of them at once, each naming its file (the member) and key."""
    from mlrelease.config.model import parse_config
    from mlrelease.monorepo.members import load_member_project

    workspace = _workspace(args)
    problems: list[Problem] = []
    try:
        parse_config(workspace.table)
    except ConfigError as exc:
        problems += exc.problems
    projects: list[Project] = []
    for member in workspace.ordered():
        try:
            projects.append(load_member_project(workspace, member))
        except ConfigError as exc:
            problems += exc.problems
    if problems:
        raise ConfigError(problems=problems)
    return workspace, projects


def cmd_monorepo_check(args: argparse.Namespace) -> int:
    from mlrelease.adopt.checks import environment_findings

    workspace, projects = _validated(args)
    failed = False
    report: list[dict[str, Any]] = []
    for member, project in zip(workspace.ordered(), projects, strict=True):
        findings = environment_findings(project.root, getattr(args, "python", ()))
        failed = failed or any(f.level == "error" for f in findings)
        report.append(
            {
                "member": member.key,
                "path": member.path,
                "findings": [{"level": f.level, "what": f.what, "hint": f.hint} for f in findings],
            }
        )
    if getattr(args, "json", False):
        console.out(json.dumps({"ok": not failed, "members": report}, indent=2))
        return EXIT_FAILURE if failed else EXIT_OK
    console.out(f"ok: monorepo root with {console.counted(len(projects), 'member')}")
    for entry in report:
        for f in entry["findings"]:
            hint = f" (hint: {f['hint']})" if f["hint"] and f["level"] != "ok" else ""
            console.out(f"{f['level']}: {entry['member']}: {f['what']}{hint}")
    return EXIT_FAILURE if failed else EXIT_OK


def cmd_monorepo_plan(args: argparse.Namespace) -> int:
    from mlrelease.preview import preview, render_text

    workspace, projects = _validated(args)
    stages = tuple(args.stage) if args.stage else None
    plans: list[dict[str, Any]] = []
    for member, project in zip(workspace.ordered(), projects, strict=True):
        plans.append(
            {
                "member": member.key,
                "path": member.path,
                "depends-on": list(member.depends_on),
                "plan": preview(project, stages=stages),
            }
        )
    if args.json:
        console.out(json.dumps({"members": plans}, indent=2))
        return EXIT_OK
    for entry in plans:
        deps = ", ".join(entry["depends-on"]) or "no other member"
        console.out(f"== member {entry['member']} ({entry['path']}; depends on {deps}) ==")
        console.out(render_text(entry["plan"]))
    return EXIT_OK
