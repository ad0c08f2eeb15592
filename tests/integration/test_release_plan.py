"""The release previewed is the release run: ``mlrelease plan``, ``release --dry-run`` and
``release`` read one plan, and a release performs exactly the steps the dry run described, in
order, and nothing else.

Real git repositories with a bare remote and real python-semantic-release. A ``git`` on PATH that
logs each command (then runs the real git) shows what the release did to the repository.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.integration.gitrepo import GIT_ENV, Repo, Tag, build_repo

pytestmark = pytest.mark.integration

LOGGING_GIT = """\
#!/bin/sh
printf '%s\\n' "$*" >> "{log}"
exec "{git}" "$@"
"""


def _logging_git(where: Path) -> tuple[dict[str, str], Path]:
    where.mkdir()
    log = where / "git.log"
    real = shutil.which("git")
    assert real is not None
    script = where / "git"
    script.write_text(LOGGING_GIT.format(log=log, git=real), encoding="utf-8")
    script.chmod(0o755)
    return {"PATH": f"{where}{os.pathsep}{os.environ['PATH']}"}, log


def _run(repo: Repo, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """``mlrelease ARGS`` in the clone; it must succeed without a traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "mlrelease", *args],
        cwd=repo.path,
        env={**os.environ, **GIT_ENV, "NO_COLOR": "1", **env},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    return result


def _mlrelease(repo: Repo, *args: str) -> str:
    return _run(repo, *args, env={}).stdout


def _numbered(text: str) -> list[str]:
    """The ``  1. step`` lines of a text output, without their numbers."""
    return [m[1] for m in re.finditer(r"^ +\d+\. (.*)$", text, re.MULTILINE)]


def _changes(line: str) -> bool:
    """Whether a logged git command changes the repository or the remote."""
    argv = line.split()
    if not argv:
        return False
    if argv[0] == "tag":
        return "-a" in argv or "-d" in argv
    return argv[0] in ("add", "commit", "push", "fetch", "reset", "checkout", "merge", "rebase")


def _expected_git(step: dict[str, Any], files: list[str]) -> list[str]:
    """The git commands that perform ``step`` (as the shim logs them: argv joined by spaces)."""
    kind = step["kind"]
    if kind == "check-upstream":
        return ["fetch --quiet --tags origin"]
    if kind == "commit":
        return [f"add -- {' '.join(files)}", f"commit --quiet -m {step['message']}"]
    if kind == "tag":
        return [f"tag -a {step['tag']} -m Release {step['version']}"]
    if kind == "push":
        return [
            f"push --atomic --porcelain origin HEAD:{step['remote-ref']} refs/tags/{step['tag']}"
        ]
    return []  # stamp, changelog, no-stamp, no-push: files only, or nothing


@pytest.mark.parametrize(
    ("version", "flags"),
    [("0.1.0", ()), (None, ("--no-push",))],
    ids=["stamped-and-pushed", "dynamic-version-local-only"],
)
def test_the_release_runs_exactly_the_steps_the_dry_run_described(
    tmp_path: Path, version: str | None, flags: tuple[str, ...]
) -> None:
    repo = build_repo(
        tmp_path, [Tag("v0.1.0"), "feat: add drift score", "fix(io): read parquet"], version=version
    )
    before = repo.git("rev-parse", "HEAD")

    # The dry run: its text lists the same steps as its JSON, and changes nothing.
    text = _mlrelease(repo, "release", "--dry-run", *flags)
    dry = json.loads(_mlrelease(repo, "release", "--dry-run", "--json", *flags))
    assert _numbered(text) == dry["steps"] == [s["text"] for s in dry["step-details"]]
    assert repo.git("rev-parse", "HEAD") == before
    assert repo.git("status", "--porcelain") == ""

    # `mlrelease plan` shows the steps of the same plan (it never fetches either).
    plan = json.loads(_mlrelease(repo, "plan", "--json", "--stage", "release"))["stages"]["release"]
    if not flags:
        assert plan["step-details"] == dry["step-details"]
        assert _numbered("\n".join(plan["summary"])) == dry["steps"]

    # The release: what it reports is what the dry run described (the upstream check now ran).
    env, log = _logging_git(tmp_path / "bin")
    result = _run(repo, "release", "--json", *flags, env=env)
    done = json.loads(result.stdout)
    ran = [s for s in done["step-details"] if s["kind"] != "check-upstream"]
    assert ran == [s for s in dry["step-details"] if s["kind"] != "check-upstream"]
    assert done["steps"] == [s["text"] for s in done["step-details"]]
    if not flags:
        assert dry["steps"][0] == (
            "fetch origin and check that the upstream has not moved (skipped in a dry run)"
        )
        assert done["steps"][0] == "fetch origin and check that the upstream has not moved: ok"

    # The files: exactly the stamp and changelog steps' files, in the release commit.
    commit = done["commit"]
    written = sorted({s["file"] for s in ran if s["kind"] in ("stamp", "changelog")})
    changed = repo.git("diff", "--name-only", before, commit).splitlines()
    assert sorted(changed) == written
    for step in ran:
        content = repo.git("show", f"{commit}:{step.get('file', '')}") if "file" in step else ""
        if step["kind"] == "stamp":
            key = step["key"].rpartition(".")[2] or ""
            assert f'{key} = "{step["version"]}"' in content, content
        elif step["kind"] == "changelog":
            assert f"## [{step['version']}] - " in content
            assert "- add drift score" in content

    # The progress lines name the file steps in the described order.
    progress = [
        line for line in result.stderr.splitlines() if line.startswith(("stamping ", "updating "))
    ]
    expected_progress = [
        f"stamping {s['version']} into {s['file']} ({s['key'] or 'the whole file'})"
        if s["kind"] == "stamp"
        else f"updating {s['file']}"
        for s in ran
        if s["kind"] in ("stamp", "changelog")
    ]
    assert progress == expected_progress

    # The git commands that change anything: exactly the described steps' own, in order.
    changing = [line for line in log.read_text(encoding="utf-8").splitlines() if _changes(line)]
    described = [c for s in done["step-details"] for c in _expected_git(s, written)]
    assert changing == described

    # The commit, the tag and (when described) the remote hold what the steps said.
    assert repo.git("log", "-1", "--format=%s", commit) == next(
        s["message"] for s in ran if s["kind"] == "commit"
    )
    tag = next(s["tag"] for s in ran if s["kind"] == "tag")
    assert repo.git("rev-parse", f"{tag}^{{commit}}") == commit
    push = [s for s in ran if s["kind"] == "push"]
    assert done["pushed"] is bool(push)
    if push:
        assert repo.remote_git("rev-parse", push[0]["remote-ref"]) == commit
        assert repo.remote_tag_commit(tag) == commit
    else:
        assert repo.remote_tag_commit(tag) == ""
        assert repo.remote_git("rev-parse", "refs/heads/main") == before

    # Nothing left to release: no plan, so no steps.
    noop = json.loads(_mlrelease(repo, "release", "--allow-noop", "--json", *flags))
    assert (noop["release"], noop["steps"], noop["step-details"]) == (False, [], [])


def test_execute_performs_the_plan_steps_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """In-process: the outcome's performed steps are the plan's steps, the same objects, in order."""
    from mlrelease.project import load_project
    from mlrelease.versioning.release import ReleasePlan, execute, prepare_release

    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    repo = build_repo(tmp_path, [Tag("v0.1.0"), "fix: a"])
    project = load_project(repo.path)
    plan = prepare_release(project)
    assert isinstance(plan, ReleasePlan)
    assert [s.kind for s in plan.described] == [
        "check-upstream",
        "stamp",
        "stamp",
        "changelog",
        "commit",
        "tag",
        "push",
    ]
    outcome = execute(project, plan)
    assert outcome.performed == plan.steps
    assert all(a is b for a, b in zip(outcome.performed, plan.steps, strict=True))
    assert outcome.pushed
    assert repo.remote_tag_commit("v0.1.1") == outcome.commit
