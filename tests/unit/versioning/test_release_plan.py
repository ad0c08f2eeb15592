"""The typed release plan: the words each step prints, its data, and the bytes it will write
(no git, no PSR run; the run itself is tested in tests/integration/test_release_plan.py)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mlrelease.project import Project, load_project
from mlrelease.versioning.journal import Journal, sha256
from mlrelease.versioning.release import ReleaseOutcome, build_plan
from mlrelease.versioning.release_steps import (
    CheckUpstream,
    KeepLocal,
    PushRelease,
    ReleaseRun,
    StampVersion,
)
from mlrelease.versioning.versions import NextVersion, parse_commit

PYPROJECT = """\
[project]
name = "demo"
version = "0.1.0"

[tool.demo]
version = "0.1.0"

[tool.mlrelease.version]
stamp = ["pyproject.toml:tool.demo.version", "VERSION"]
"""


def _project(tmp_path: Path) -> Project:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (tmp_path / "src" / "demo").mkdir(parents=True)
    (tmp_path / "src" / "demo" / "__init__.py").write_text('__version__ = "0.1.0"\n')
    (tmp_path / "VERSION").write_text("0.1.0\n", encoding="utf-8")
    return load_project(tmp_path)


def _next(version: str = "0.2.0") -> NextVersion:
    commits = [parse_commit("a" * 40, "feat(io): read parquet"), parse_commit("b" * 40, "fix: x")]
    return NextVersion(
        branch="main",
        branch_kind="release",
        current_tag="v0.1.0",
        current_version="0.1.0",
        next_version=version,
        tag=f"v{version}",
        bump="minor",
        prerelease=False,
        commits=commits,
    )


def test_each_step_describes_itself_in_the_words_release_always_printed(tmp_path: Path) -> None:
    plan = build_plan(
        _project(tmp_path), _next(), push=True, checks=(CheckUpstream("main", fetch=True),)
    )
    assert plan.describe() == [
        "fetch origin and check that the upstream has not moved: ok",
        "stamp 0.2.0 into pyproject.toml (project.version)",
        "stamp 0.2.0 into src/demo/__init__.py (__version__)",
        "stamp 0.2.0 into pyproject.toml (tool.demo.version)",
        "stamp 0.2.0 into VERSION (the whole file)",
        "add the 0.2.0 section to CHANGELOG.md",
        "commit 'chore(release): 0.2.0'",
        "tag v0.2.0 on that commit",
        "push atomically: git push --atomic origin HEAD:refs/heads/main refs/tags/v0.2.0",
    ]
    local = build_plan(load_project(tmp_path), _next(), push=False)
    assert local.describe()[-1] == "do not push (--no-push)"
    assert isinstance(local.steps[-1], KeepLocal)
    dry = CheckUpstream("main", fetch=False)
    assert dry.describe().endswith("(skipped in a dry run)")


def test_the_steps_as_data_carry_their_kind_parameters_and_text(tmp_path: Path) -> None:
    plan = build_plan(
        _project(tmp_path), _next(), push=True, checks=(CheckUpstream("main", fetch=False),)
    )
    data = plan.as_data()
    assert data["steps"] == plan.describe()
    assert data["pushed"] is False
    details = data["step-details"]
    assert [d["text"] for d in details] == plan.describe()
    assert details[0] == {
        "kind": "check-upstream",
        "branch": "main",
        "fetch": False,
        "text": "fetch origin and check that the upstream has not moved (skipped in a dry run)",
    }
    assert details[1] == {
        "kind": "stamp",
        "file": "pyproject.toml",
        "key": "project.version",
        "version": "0.2.0",
        "text": "stamp 0.2.0 into pyproject.toml (project.version)",
    }
    changelog = next(d for d in details if d["kind"] == "changelog")
    assert set(changelog) == {"kind", "file", "version", "text"}  # the commits stay out
    assert details[-1]["kind"] == "push"
    assert details[-1]["remote-ref"] == "refs/heads/main"
    # A release's outcome is the plan's data with the commit and whether it was pushed.
    outcome = ReleaseOutcome("0.2.0", "v0.2.0", "main", "c" * 40, True, plan, plan.steps)
    assert outcome.as_data() == {**data, "pushed": True, "commit": "c" * 40}
    resumed = ReleaseOutcome("0.2.0", "v0.2.0", "main", "c" * 40, False)
    assert resumed.resumed
    assert resumed.as_data() == {
        "next-version": "0.2.0",
        "tag": "v0.2.0",
        "branch": "main",
        "commit": "c" * 40,
        "pushed": False,
        "resumed": True,
    }


def test_every_file_is_computed_before_any_is_written(tmp_path: Path) -> None:
    """Two stamps into one file compose; nothing on disk changes until the steps run."""
    project = _project(tmp_path)
    plan = build_plan(project, _next(), push=False)
    before = {p: (tmp_path / p).read_bytes() for p in ("pyproject.toml", "VERSION")}
    entry = Journal("0.2.0", "v0.2.0", "main", "refs/heads/main", "0" * 40, plan.message, False)
    state = ReleaseRun(tmp_path, {}, entry, "2026-12-03")
    for step in plan.steps:
        step.prepare(state)
    assert {p: (tmp_path / p).read_bytes() for p in before} == before
    assert not (tmp_path / "CHANGELOG.md").exists()
    assert sorted(state.texts) == [
        "CHANGELOG.md",
        "VERSION",
        "pyproject.toml",
        "src/demo/__init__.py",
    ]
    pyproject = state.texts["pyproject.toml"]
    assert pyproject.count('version = "0.2.0"') == 2
    assert "0.1.0" not in pyproject
    assert state.texts["VERSION"] == "0.2.0\n"
    assert "## [0.2.0] - 2026-12-03" in state.texts["CHANGELOG.md"]
    assert "- **io:** read parquet (aaaaaaa)" in state.texts["CHANGELOG.md"]
    changes = state.file_changes()
    assert changes["CHANGELOG.md"].before is None
    assert changes["VERSION"].before == b"0.1.0\n"
    assert changes["VERSION"].after_sha256 == sha256(b"0.2.0\n")
    for step in plan.steps:
        if isinstance(step, StampVersion):
            step.run(state)
    assert (tmp_path / "VERSION").read_text() == "0.2.0\n"
    assert (tmp_path / "pyproject.toml").read_text() == pyproject


def test_a_plan_never_changes_the_remote_before_the_local_release_is_made(
    tmp_path: Path,
) -> None:
    plan = build_plan(_project(tmp_path), _next(), push=True)
    push = plan.steps[-1]
    assert isinstance(push, PushRelease)
    with pytest.raises(ValueError, match="after the local steps"):
        dataclasses.replace(plan, steps=(push, *plan.steps[:-1]))


def test_a_version_with_nothing_to_release_has_no_plan(tmp_path: Path) -> None:
    nothing = dataclasses.replace(_next(), next_version=None, tag=None)
    with pytest.raises(ValueError, match="releasable"):
        build_plan(_project(tmp_path), nothing, push=True)
