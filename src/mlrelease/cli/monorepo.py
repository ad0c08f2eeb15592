"""Handlers of the monorepo commands: ``affected``, and ``matrix`` at a monorepo root."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from mlrelease._util import console
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_FAILURE, EXIT_OK, ConfigError, Problem
from mlrelease.monorepo.affected import affected
from mlrelease.monorepo.matrix import member_matrix, pull_request_base
from mlrelease.monorepo.members import Workspace, discover

if TYPE_CHECKING:
    from mlrelease.images.publish import CheckedImages
    from mlrelease.monorepo.publish import MemberTarget
    from mlrelease.monorepo.versions import MemberVersion
    from mlrelease.project import Project
    from mlrelease.wheels.feed import Feed
    from mlrelease.wheels.plan import WheelsPlan

    PlannedWheels = tuple[WheelsPlan, Feed | None]


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
        console.note(f"mlrelease: every member: {reason}")


def cmd_affected(args: argparse.Namespace) -> int:
    workspace = _workspace(args)
    which = affected(workspace, args.base)
    _say_why_all(which.all_reason)
    if args.json:
        console.json(which.as_data())
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
    parse_config(workspace.table)  # the root's own problems alone: every member inherits them
    problems: list[Problem] = []
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
        console.json({"ok": not failed, "members": report})
        return EXIT_FAILURE if failed else EXIT_OK
    console.out(f"ok: monorepo root with {console.counted(len(projects), 'member')}")
    for entry in report:
        for f in entry["findings"]:
            hint = f" (hint: {f['hint']})" if f["hint"] and f["level"] != "ok" else ""
            console.out(f"{f['level']}: {entry['member']}: {f['what']}{hint}")
    return EXIT_FAILURE if failed else EXIT_OK


def _release_stage(mv: MemberVersion) -> dict[str, Any]:
    if mv.releasable:
        summary = [f"next version: {mv.next_version} (tag {mv.tag}; {'; '.join(mv.why)})"]
    else:
        since = f"since {mv.current_tag}" if mv.current_tag else "yet"
        summary = [f"no release: no releasable commits under {mv.member.path} {since}"]
    summary += [f"  {c.sha[:8]} {c.type}: {c.subject}" for c in mv.commits if c.bump]
    return {"available": True, **mv.as_data(), "summary": summary}


def cmd_monorepo_plan(args: argparse.Namespace) -> int:
    from mlrelease.monorepo.versions import plan_versions
    from mlrelease.preview import STAGES, preview, render_text

    workspace, projects = _validated(args)
    wanted = tuple(args.stage) if args.stage else tuple(name for name, _ in STAGES)
    versions = plan_versions(workspace, projects) if "release" in wanted else []
    plans: list[dict[str, Any]] = []
    for i, (member, project) in enumerate(zip(workspace.ordered(), projects, strict=True)):
        plan = preview(project, stages=tuple(s for s in wanted if s != "release"))
        if versions:  # the member's own release: path-scoped commits and its dependencies
            plan["stages"]["release"] = _release_stage(versions[i])
            plan["stages"] = {n: plan["stages"][n] for n, _ in STAGES if n in plan["stages"]}
        plans.append(
            {
                "member": member.key,
                "path": member.path,
                "depends-on": list(member.depends_on),
                "plan": plan,
            }
        )
    if args.json:
        from mlrelease.monorepo.publish import root_outdir

        # "config.build.outdir": where the root's build session gathers every member's files
        # (the reusable workflows upload it as one artifact).
        outdir = root_outdir(workspace).relative_to(workspace.root).as_posix()
        # and "config.version.changelog": the first member's (the GitHub release of the first
        # member's tag takes its notes from it)
        first = projects[0]
        changelog = f"{workspace.ordered()[0].path}/{first.config.version.changelog}"
        config = {"build": {"outdir": outdir}, "version": {"changelog": changelog}}
        data = {"config": config, "members": plans}
        console.json(data)
        return EXIT_OK
    for entry in plans:
        deps = ", ".join(entry["depends-on"]) or "no other member"
        console.out(f"== member {entry['member']} ({entry['path']}; depends on {deps}) ==")
        console.out(render_text(entry["plan"]))
    return EXIT_OK


def cmd_monorepo_version(args: argparse.Namespace) -> int:
    from mlrelease.monorepo.versions import plan_versions

    workspace, projects = _validated(args)
    members = plan_versions(workspace, projects)
    if args.json:
        console.json({"members": [m.as_data() for m in members]})
        return EXIT_OK
    for m in members:
        what = (
            f"{m.next_version} (tag {m.tag}; {'; '.join(m.why) or m.bump})"
            if m.releasable
            else "no release"
        )
        console.out(f"{m.member.key}: {m.current_version or 'unreleased'} -> {what}")
    return EXIT_OK


def cmd_monorepo_release(args: argparse.Namespace) -> int:
    import os

    from mlrelease.errors import ReleaseError
    from mlrelease.monorepo.release import execute, plan_release

    if args.as_version or args.prerelease or args.verify_tag:
        option = (
            "--as" if args.as_version else "--prerelease" if args.prerelease else "--verify-tag"
        )
        raise ReleaseError(
            f"{option} is not supported at a monorepo root: each member's version comes from "
            "its own commits",
            hint="run without it; to release one member by hand, run mlrelease release -C <member>",
        )
    workspace, projects = _validated(args)
    plan = plan_release(
        workspace,
        projects,
        push=not args.no_push,
        dry_run=args.dry_run,
        expect_sha=(args.expect_sha or os.environ.get("MLRELEASE_EXPECT_SHA", "")).strip(),
    )
    if not plan.releases:
        if not args.allow_noop:
            raise ReleaseError(
                "nothing to release: no member has releasable commits (feat, fix, perf or "
                "breaking) since its last tag",
                hint="commit feat:/fix: changes in a member; pipelines that may have nothing to "
                "release pass --allow-noop",
            )
        console.out(
            json.dumps(plan.as_data(), indent=2)
            if args.json
            else "nothing to release: no member has releasable commits (--allow-noop)"
        )
        _release_outputs(_tags_at_head(projects), released=False)
        return EXIT_OK
    if args.dry_run:
        if args.json:
            console.json({**plan.as_data(), "dry-run": True})
            return EXIT_OK
        console.out("dry run: nothing is changed; steps:")
        for i, step in enumerate(plan.describe(), 1):
            console.out(f"  {i}. {step}")
        return EXIT_OK
    data = execute(workspace, plan).as_data()
    if args.json:
        console.json(data)
    else:
        where = "pushed to origin" if data["pushed"] else "local only (--no-push)"
        for mv in plan.releases:
            console.out(f"released {mv.member.key} {mv.next_version}: tag {mv.tag}")
        console.out(f"one commit {data['commit'][:8]}, {where}")
    _release_outputs(
        [(m.member.key, str(m.tag), str(m.next_version)) for m in plan.releases], released=True
    )
    return EXIT_OK


def _tags_at_head(projects: list[Project]) -> list[tuple[str, str, str]]:
    """(member, tag, version) of every member whose release tag points at HEAD (a rerun
    publishes them)."""
    from mlrelease.versioning.versions import format_tag, release_version_at_head

    found = []
    for project in projects:
        version = release_version_at_head(project)
        if version:
            tag = format_tag(project.config.version.tag_format, version)
            found.append((project.normalized_name, tag, version))
    return found


def _release_outputs(tags: list[tuple[str, str, str]], *, released: bool) -> None:
    """The reusable release workflow's outputs: ``tag`` is the first member's (the later jobs run
    when it is set and publish every member tagged at HEAD), ``tags``/``members`` list them all."""
    console.step_outputs(
        {
            "released": "true" if released else "false",
            "tag": tags[0][1] if tags else "",
            "version": tags[0][2] if tags else "",
            "prerelease": "false",
            "tags": " ".join(t for _, t, _ in tags),
            "members": " ".join(m for m, _, _ in tags),
        }
    )


def _publish_member(
    t: MemberTarget,
    args: argparse.Namespace,
    *,
    planned: PlannedWheels | None,
    checked_images: CheckedImages | None,
) -> dict[str, Any]:
    """``planned``: the member's checked wheels plan and its feed, or None (no wheels);
    ``checked_images``: its checked images plan, or None (no images)."""
    from mlrelease.images import publish as images
    from mlrelease.wheels.run import run_wheels

    entry: dict[str, Any] = {"member": t.member.key, "version": t.version}
    lines: list[str] = []
    if planned is not None:
        outcomes = run_wheels(*planned, dry_run=args.dry_run)
        entry["files"] = [{"file": o.dist.filename, "action": o.action} for o in outcomes]
        lines += [f"{o.action}  {o.dist.filename}" for o in outcomes]
    if checked_images is not None:
        image_outcomes = images.run_checked(checked_images)
        entry["images"] = images.digests(image_outcomes)
        lines += images.summary_lines(image_outcomes, dry_run=args.dry_run)
    if not args.json:
        for line in lines:
            console.out(f"{t.member.key}: {line}")
    return entry


def cmd_monorepo_publish(args: argparse.Namespace, target: str) -> int:
    """``publish wheels|images|all`` at the root: each member released at HEAD, in dependency
    order; everything is checked before the first upload."""
    import tempfile
    from pathlib import Path

    from mlrelease.monorepo.publish import released_here, split_dist, targets

    workspace, projects = _validated(args)
    chosen = released_here(targets(workspace, projects))
    with tempfile.TemporaryDirectory(prefix="mlrelease-dist-") as tmp:
        if getattr(args, "dist", None) is not None:
            chosen = split_dist(chosen, args.dist, Path(tmp))
        return _publish_chosen(workspace, chosen, args, target)


def _publish_chosen(
    workspace: Workspace, chosen: list[MemberTarget], args: argparse.Namespace, target: str
) -> int:
    from mlrelease.images import publish as images
    from mlrelease.monorepo.publish import check_sibling_bounds
    from mlrelease.wheels import publish as wheels

    do_wheels, do_images = target in ("wheels", "all"), target in ("images", "all")
    if do_wheels:
        check_sibling_bounds(workspace, chosen)
    planned: dict[str, PlannedWheels] = {}
    checked: dict[str, CheckedImages] = {}
    for t in chosen:  # every member planned and checked before anything goes out
        if do_wheels:
            planned[t.member.key] = wheels.plan_and_check(t.project, dist=t.given)
        if do_images and t.project.config.publish.images:
            checked[t.member.key] = images.plan_and_check(
                t.project, dist=t.given, sbom=getattr(args, "sbom", False), dry_run=args.dry_run
            )
    report = [
        _publish_member(
            t, args, planned=planned.get(t.member.key), checked_images=checked.get(t.member.key)
        )
        for t in chosen
    ]
    if args.json:
        console.json({"dry-run": args.dry_run, "members": report})
    return EXIT_OK
