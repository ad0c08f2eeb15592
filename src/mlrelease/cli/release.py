"""Handlers of ``mlrelease version`` and ``mlrelease release`` (parsing lives in :mod:`mlrelease.cli.main`).

Results go to stdout (``--json`` for machines), progress to stderr. On GitHub Actions the result is
also written to ``$GITHUB_OUTPUT`` (``version``, ``tag``, ``released``, ``prerelease``) and the step summary.
"""

from __future__ import annotations

import argparse
import json
import os
from typing import TYPE_CHECKING, Any

from mlrelease._util import console
from mlrelease.cli.common import project_dir
from mlrelease.errors import EXIT_FAILURE, EXIT_OK, ReleaseError
from mlrelease.versioning.commitlint import FORM, lint, since_last_release
from mlrelease.versioning.versions import BUMP_TYPES

if TYPE_CHECKING:
    from mlrelease.project import Project
    from mlrelease.versioning.release import ReleaseOutcome, ReleasePlan


def _project(args: argparse.Namespace) -> Project:
    from mlrelease.project import load_project

    return load_project(project_dir(args))


def _github_output(values: dict[str, str]) -> None:
    console.step_outputs(values)


def _prerelease(version: str | None) -> str:
    """``"true"`` when ``version`` is a prerelease (1.3.0rc1), else ``"false"`` (also for none)."""
    from mlrelease.versioning.versions import parse_version

    return "true" if version and parse_version(version).is_prerelease else "false"


def _monorepo(args: argparse.Namespace) -> bool:
    from mlrelease.monorepo.members import is_monorepo

    return is_monorepo(project_dir(args))


def cmd_version(args: argparse.Namespace) -> int:
    from mlrelease.versioning.versions import compute_next_version

    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_version

        return cmd_monorepo_version(args)

    project = _project(args)
    nxt = compute_next_version(project, prerelease=args.prerelease, any_branch=True)
    if args.json:
        console.out(json.dumps(nxt.as_data(), indent=2))
    else:
        for line in nxt.summary():
            console.out(line)
    _github_output(
        {
            "version": nxt.next_version or "",
            "tag": nxt.tag or "",
            "release": "true" if nxt.releasable else "false",
        }
    )
    return EXIT_OK


def _verify_tag(project: Any, *, as_json: bool) -> int:
    from mlrelease.versioning.stamping import verify_tag

    result = verify_tag(project)
    if as_json:
        console.out(json.dumps(result, indent=2))
    else:
        console.out(
            f"tag {result['tag']} matches tag-format and the package version "
            f"{result['version']} (checked: {result['checked']})"
        )
    # A tag pushed by hand is a release made outside CI: this run publishes it (released=true).
    _github_output(
        {
            "version": result["version"],
            "tag": result["tag"],
            "released": "true",
            "prerelease": _prerelease(result["version"]),
        }
    )
    return EXIT_OK


def _nothing_to_release(project: Project, nxt: Any, *, allow_noop: bool, as_json: bool) -> int:
    since = f"since {nxt.current_tag}" if nxt.current_tag else "in the history"
    if not allow_noop:
        raise ReleaseError(
            f"nothing to release: no releasable commits (feat, fix, perf or breaking) {since}",
            hint="commit feat:/fix: changes, or force a version with --as X.Y.Z; pipelines "
            "that may have nothing to release pass --allow-noop",
        )
    if as_json:
        data = {**nxt.as_data(), "steps": [], "step-details": [], "pushed": False}
        console.out(json.dumps(data, indent=2))
    else:
        console.out(f"nothing to release: no releasable commits {since} (--allow-noop)")
    # A release tag already at HEAD (a re-run after a failed publish) is still reported, so the
    # publish jobs run and complete it (failure mode 8); "released" stays false.
    from mlrelease.versioning.versions import format_tag, release_version_at_head

    at_head = release_version_at_head(project)
    tag = format_tag(project.config.version.tag_format, at_head) if at_head else ""
    _github_output(
        {
            "version": at_head or "",
            "tag": tag,
            "released": "false",
            "prerelease": _prerelease(at_head),
        }
    )
    return EXIT_OK


def cmd_release(args: argparse.Namespace) -> int:
    from mlrelease.versioning.release import ReleasePlan, execute, prepare_release

    if _monorepo(args):
        from mlrelease.cli.monorepo import cmd_monorepo_release

        return cmd_monorepo_release(args)
    project = _project(args)
    if args.verify_tag:
        return _verify_tag(project, as_json=args.json)
    expect_sha = (args.expect_sha or os.environ.get("MLRELEASE_EXPECT_SHA", "")).strip()
    done = _interrupted_release(project, args, expect_sha)
    if done is not None:
        return done
    plan = prepare_release(
        project,
        as_version=args.as_version,
        prerelease=args.prerelease,
        push=not args.no_push,
        dry_run=args.dry_run,
        expect_sha=expect_sha,
    )
    if not isinstance(plan, ReleasePlan):
        return _nothing_to_release(project, plan, allow_noop=args.allow_noop, as_json=args.json)
    if args.dry_run:
        return _report_dry_run(plan, as_json=args.json)
    return _report_release(execute(project, plan), as_json=args.json)


def _report_dry_run(plan: ReleasePlan, *, as_json: bool) -> int:
    nxt = plan.next
    if as_json:
        console.out(json.dumps({**plan.as_data(), "dry-run": True}, indent=2))
        return EXIT_OK
    console.out(
        f"dry run: would release {nxt.next_version} (tag {nxt.tag}) from {nxt.branch}; "
        "nothing is changed"
    )
    console.out("steps:")
    for i, step in enumerate(plan.describe(), 1):
        console.out(f"  {i}. {step}")
    for line in nxt.summary()[1:]:
        console.out(line)
    return EXIT_OK


def _interrupted_release(project: Project, args: argparse.Namespace, expect_sha: str) -> int | None:
    """Finish or roll back a release a kill interrupted (a dry run only says one is pending);
    None when the release goes on as usual."""
    from mlrelease.versioning.resume import pending, resume

    if not args.dry_run:
        finished = resume(project, push=not args.no_push, expect_sha=expect_sha)
        return None if finished is None else _report_release(finished, as_json=args.json)
    interrupted = pending(project)
    if interrupted is None:
        return None
    console.out(
        f"dry run: an interrupted release of {interrupted.version} ({interrupted.tag}, stopped "
        f"at: {interrupted.step}) is pending; mlrelease release finishes it or rolls it back"
    )
    return EXIT_OK


def _report_release(outcome: ReleaseOutcome, *, as_json: bool) -> int:
    version, tag, commit = outcome.version, outcome.tag, outcome.commit
    where = f"pushed to origin ({outcome.branch})" if outcome.pushed else "local only (--no-push)"
    if as_json:
        console.out(json.dumps(outcome.as_data(), indent=2))
    else:
        finished = " (finished an interrupted release)" if outcome.resumed else ""
        console.out(f"released {version}: tag {tag} on {commit[:8]}, {where}{finished}")
    console.step_summary(f"### Released {version}\n\nTag `{tag}` on `{commit[:8]}`, {where}.")
    _github_output(
        {
            "version": version or "",
            "tag": tag or "",
            "released": "true",
            "prerelease": _prerelease(version),
        }
    )
    return EXIT_OK


def cmd_lint_commits(args: argparse.Namespace) -> int:
    root = project_dir(args).resolve()
    title = args.title or None  # a blank input (a workflow skipping the title) checks nothing
    rev = args.range or None
    if title is None and rev is None and not (args.title == "" or args.range == ""):
        rev = since_last_release(root)
    checked, what = lint(root, title=title, rev=rev)
    failed = [c for c in checked if not c.ok]
    if args.json:
        console.out(json.dumps({"ok": not failed, "checked": [c.as_data() for c in checked]}))
    else:
        for c in checked:
            console.out(c.line())
    bumps = [c.bump for c in checked if c.bump]
    order = ("major", "minor", "patch")
    effect = next((b for b in order if b in bumps), None)
    for c in failed:
        console.annotate_error(f"{c.where} {c.header!r}: {c.problem}", title="lint-commits")
    if failed:
        console.error(
            f"{len(failed)} of {console.counted(len(checked), 'header')} "
            f"{'is not a conventional commit' if len(failed) == 1 else 'are not conventional commits'} "
            "the version "
            f"computation counts: they would not release ({', '.join(BUMP_TYPES)} and breaking "
            "changes do) and would not appear in the changelog",
            hint=f"reword them as {FORM}, e.g. 'feat(api): add the drift report' or "
            "'fix: handle empty frames' (git commit --amend / git rebase -i, or edit the PR title)",
        )
        return EXIT_FAILURE
    if not args.json:
        summary = f"a {effect} release" if effect else "no release"
        console.out(f"checked {what or 'nothing'}: all conventional; together they make {summary}")
    return EXIT_OK
