"""Handlers of ``mlrelease new`` and ``mlrelease update``."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from mlrelease import __version__
from mlrelease._util import console
from mlrelease.adopt import record as rec
from mlrelease.adopt.init import Change, unified_diff
from mlrelease.adopt.update import CURRENT, REMOVED, apply, plan_update
from mlrelease.errors import EXIT_FAILURE, EXIT_OK, ConfigError, Problem


def _ask(key: str, default: str) -> str:
    try:
        return input(f"{key} [{default}]: ")
    except EOFError:  # the terminal closed (Ctrl-D): the default
        return ""


def _key_value(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key.strip():
        raise ConfigError(
            [Problem("--data", "", f"{text!r} is not KEY=VALUE", "e.g. --data project_name=churn")]
        )
    return key.strip(), value


def _warn_placeholder(target: Path) -> None:
    """`check` fails while a caller uses the placeholder workflows repository: say so now."""
    from mlrelease.adopt.placeholder import PLACEHOLDER_REPO, fix_text, placeholder_uses

    uses = placeholder_uses(target)
    if uses:
        where = ", ".join(f"{path}:{line}" for path, line in uses)
        console.warn(
            f"the callers use the placeholder workflows repository {PLACEHOLDER_REPO} ({where})",
            hint=fix_text(),
        )


def cmd_new(args: argparse.Namespace) -> int:
    from mlrelease.adopt.new import create, resolve_answers  # tomlkit: not for update's start-up

    flags = {
        "description": args.description,
        "python": args.python_range,
        "license": args.license,
        "feed": args.feed,
        "registry": args.registry,
        "workflows-repo": args.workflows_repo,
        "image": args.image or None,
    }
    interactive = sys.stdin.isatty() and not args.no_input
    base = getattr(args, "project", None) or Path()
    target = Path(args.dir or Path(base) / args.name).resolve()
    if args.template:
        from mlrelease.adopt.template import create_from_template

        repo = resolve_answers(args.name, flags, ask=None).workflows_repo
        data = dict(_key_value(item) for item in args.data or [])
        written = create_from_template(
            args.name, target, args.template, data=data, workflows_repo=repo,
            interactive=interactive,
        )  # fmt: skip
        for change in written:
            console.out(f"added {change.path}: {change.why}")
        console.out(f"new repository {target} from {args.template} (branch main, 1 commit)")
        _warn_placeholder(target)
        console.out(f"next: cd {target} && mlrelease check && nox -t check")
        return EXIT_OK
    answers = resolve_answers(args.name, flags, ask=_ask if interactive else None)
    written = create(target, answers)
    for path in dict.fromkeys(change.path for change in written):
        console.out(f"created {path}")
    console.out(
        f"new repository {target} (branch main, 1 commit): {answers.name}, import {answers.module}"
    )
    _warn_placeholder(target)
    console.out(f"next: cd {target} && mlrelease check && nox -t check")
    return EXIT_OK


def cmd_update(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    root = Path(getattr(args, "project", None) or Path()).resolve()
    plan = plan_update(root, workflows_repo=args.workflows_repo)
    source = (
        f"render of mlrelease {plan.previous.version}"
        if plan.previous.recorded
        else f"no {rec.RECORD_PATH}: inferred from the caller (mlrelease {plan.previous.version})"
    )
    for item in plan.files:
        if item.status == REMOVED:
            console.out(
                f"  {item.path}: deleted in the repository: left deleted, no longer managed"
            )
        elif item.status != CURRENT:
            console.out(f"  {item.path}: {item.status}")
    if args.check:
        if not plan.behind:
            console.out(f"current: the files mlrelease owns are those of mlrelease {__version__}")
            return EXIT_OK
        paths = list(dict.fromkeys(f.path for f in plan.pending + plan.conflicted))
        paths = paths or [rec.RECORD_PATH]
        console.out(f"behind ({source}): mlrelease update would move to {__version__}: "
                    f"{', '.join(paths)}")  # fmt: skip
        return EXIT_FAILURE
    if args.dry_run:
        for item in plan.pending:
            if item.after is not None and item.changes:
                change = Change(item.path, item.before, item.after, item.status)
                console.out(unified_diff(change).rstrip("\n"))
        files = console.counted(len(plan.pending), "file")
        console.out(f"dry run: {files} would change; nothing was written")
        return EXIT_OK
    written = apply(plan)
    elapsed = time.perf_counter() - started
    if plan.conflicted:
        names = ", ".join(
            f"{f.path} ({console.counted(f.conflicts, 'conflict') if f.conflicts else 'unresolved conflicts'})"
            for f in plan.conflicted
        )
        console.error(
            f"conflicts in {names}: the repository and mlrelease {__version__} changed the same "
            "lines; both sides are in the file between <<<<<<< repository and >>>>>>> mlrelease "
            f"{__version__}, the previous render between them after |||||||",
            hint="edit the files to keep what you want, remove the markers, then commit",
        )
        return EXIT_FAILURE
    if not written:
        console.out(f"current: nothing to update for mlrelease {__version__}")
    else:
        console.out(f"updated to mlrelease {__version__} ({source}) in {elapsed:.2f} s: "
                    f"{', '.join(written)}; review with git diff, then commit")  # fmt: skip
    return EXIT_OK
