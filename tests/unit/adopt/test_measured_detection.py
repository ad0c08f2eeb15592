"""init reads what the repository runs (CI, tox, Makefile, pre-commit, poetry, docs Makefile)
and how it versions, with the fixtures under tests/fixtures/projects (issue 18)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from mlrelease.adopt.ci import read_ci
from mlrelease.adopt.detect import Detected, detect
from mlrelease.adopt.docsbuild import docs_build
from mlrelease.adopt.facts import ToolPins, tool_pins
from mlrelease.adopt.init import NOXFILE, explain
from mlrelease.adopt.measure import MypyTrial, decide_mypy, mypy_from_trial
from mlrelease.adopt.table import table_text
from mlrelease.project import load_project
from mlrelease.stages import test as test_stage
from mlrelease.stages.docs import docs_plan
from mlrelease.versioning.stamping import stamp_targets

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "projects"
GIT_ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def git(root: Path, *args: str, date: str | None = None) -> None:
    env = {**GIT_ENV, **({"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date} if date else {})}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True)


def copy(tmp_path: Path, name: str, *, branch: str = "main") -> Path:
    """The fixture in its own git repository (so the checkout's git is never read)."""
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    git(root, "init", "-q", "-b", branch)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first", date="2024-01-01T00:00:00")
    return root


def found(tmp_path: Path, name: str, **kw: str) -> Detected:
    return detect(copy(tmp_path, name, **kw), run_ruff=False)


def lines(d: Detected) -> str:
    return "\n".join(explain(d))


# --- versions -----------------------------------------------------------------------------------


def test_flit_version_in_version_module_is_stamped_by_init_plan_and_release(
    tmp_path: Path,
) -> None:
    d = found(tmp_path, "flit-version")
    assert d.version_source == "attr:tinyclip/_version.py:__version__"
    assert (
        "version: __version__ in tinyclip/_version.py (read by flit_core); releases stamp it"
        in (lines(d))
    )
    project = load_project(d.root)
    assert project.static_version == "0.8.0"
    assert ("tinyclip/_version.py", "__version__") in stamp_targets(project)


def test_calendar_version_tags_are_recognised_and_warned(tmp_path: Path) -> None:
    root = copy(tmp_path, "calver-tags")
    git(root, "tag", "2024.12.0")
    (root / "README.md").write_text("# weekly\n\nv2\n", encoding="utf-8")
    git(root, "commit", "-qam", "fix: later", date="2025-01-10T00:00:00")
    git(root, "tag", "2025.1.0")
    d = detect(root, run_ruff=False)
    assert d.tags.calver
    assert d.tags.example == "2025.1.0"
    text = lines(d)
    assert (
        "note: the tags are calendar versions (2025.1.0), not bumped as semver: the next follows the calendar"
        in text
    )
    assert "computes the next version from commits as semver" not in text
    assert "mlrelease release --as" in text
    assert "Calendar versions (2025.1.0), not bumped as semver" in table_text(d, dockerfile=False)


def test_tag_example_is_the_newest_tag_and_a_declared_version_ahead_is_warned(
    tmp_path: Path,
) -> None:
    root = copy(tmp_path, "ruff-d-master")  # declares 0.4.0
    git(root, "tag", "v0.2.0")
    (root / "README.md").write_text("# docstrat\n\nv2\n", encoding="utf-8")
    git(root, "commit", "-qam", "fix: later", date="2024-06-01T00:00:00")
    git(root, "tag", "v0.10.0")  # lexically smaller than v0.2.0, but newer
    git(root, "commit", "-q", "--allow-empty", "-m", "chore: x", date="2024-07-01T00:00:00")
    git(root, "tag", "v0.3.0")
    d = detect(root, run_ruff=False)
    assert d.tags.example == "v0.3.0"
    assert not d.tags.calver
    assert (
        "warning: the declared version 0.4.0 is ahead of the newest tag v0.3.0: it is the next "
        "release once a feat, fix or perf commit is there" in lines(d)
    )


# --- tests as CI runs them ---------------------------------------------------------------------


def test_tests_as_the_workflow_runs_them(tmp_path: Path) -> None:
    d = found(tmp_path, "ci-ignored")
    assert d.test_paths == ["tests"]  # long_tests: in testpaths, but CI passes --ignore
    assert d.test_workers == "auto"  # -n auto, and pytest-xdist is in the dev-tests extra
    assert d.exclude_markers == ["slow"]
    assert d.test_extras == ["dev-tests"]  # not dev (torch)
    text = lines(d)
    assert "tests: not long_tests" in text
    assert "markers deselected as .github/workflows/tests.yml runs pytest: slow" in text
    project_table = table_text(d, dockerfile=False)
    assert 'workers = "auto"' in project_table
    assert 'exclude-markers = ["slow"]' in project_table


def test_ci_ignore_of_a_directory_inside_the_test_paths_becomes_a_pytest_argument(
    tmp_path: Path,
) -> None:
    root = tmp_path / "repo"
    (root / "tests" / "slow").mkdir(parents=True)
    (root / "tox.ini").write_text(
        "[testenv]\ncommands =\n    pytest --ignore=tests/slow -m 'not gpu and not net'\n",
        encoding="utf-8",
    )
    ci = read_ci(root)
    assert ci.ignored == ["tests/slow"]
    assert ci.deselected == ["gpu", "net"]
    assert ci.why["ignored"] == "tox.ini"


def test_coverage_floor_from_tox_ini_then_a_makefile(tmp_path: Path) -> None:
    d = found(tmp_path, "tox-floor")
    assert d.coverage_min == 90  # tox.ini is read before the Makefile (100)
    assert "coverage: coverage-min = 90, as tox.ini runs the tests" in lines(d)
    (d.root / "tox.ini").unlink()
    assert detect(d.root, run_ruff=False).coverage_min == 100


def test_a_floor_of_zero_does_not_blame_coverage(tmp_path: Path) -> None:
    root = copy(tmp_path, "calver-tags")
    text = (root / "pyproject.toml").read_text(encoding="utf-8")
    (root / "pyproject.toml").write_text(
        text + "\n[tool.mlrelease.test]\ncoverage-min = 0\n", encoding="utf-8"
    )
    (command,) = test_stage.tests_plan(load_project(root), "3.11").commands
    assert "coverage" not in command.hint.split("(")[0]
    assert "the coverage floor is 0, so it is not coverage" in command.hint


# --- lint and mypy ------------------------------------------------------------------------------


def test_pre_commit_rev_wins_over_a_newer_range_in_an_extra(tmp_path: Path) -> None:
    d = found(tmp_path, "precommit-pin")
    assert d.pins.values["ruff"] == "0.17.4"
    assert "the lint session runs 0.17.4" in d.pins.conflicts[0]
    assert 'ruff = "0.17.4"' in table_text(d, dockerfile=False)


def test_poetry_dev_dependencies_and_lock_are_read(tmp_path: Path) -> None:
    (tmp_path / "poetry.lock").write_text(
        '[[package]]\nname = "ruff"\nversion = "0.4.8"\n\n'
        '[[package]]\nname = "pytest"\nversion = "8.3.2"\n',
        encoding="utf-8",
    )
    data = {
        "tool": {
            "poetry": {
                "group": {"dev": {"dependencies": {"ruff": "^0.4.8", "pytest": "^8.0"}}},
                "dev-dependencies": {"mypy": "1.10.0"},
            }
        }
    }
    pins = tool_pins(tmp_path, data)
    assert pins.values["ruff"] == "0.4.8"
    assert pins.why["ruff"] == "poetry.lock (ruff 0.4.8)"
    assert pins.values["pytest"] == "8.3.2"
    assert pins.values["mypy"] == "1.10.0"  # no lock entry: the dev dependency's exact pin
    (tmp_path / "poetry.lock").unlink()
    assert tool_pins(tmp_path, data).values["ruff"] == "<0.5,>=0.4.8"


def test_a_mypy_section_alone_does_not_turn_mypy_on(tmp_path: Path) -> None:
    data = {"tool": {"mypy": {"strict": True}}}
    off = decide_mypy(tmp_path, data, package="pkg", ci_mypy=None, configured=True, pins=ToolPins())
    assert not off.on
    assert "does not run mypy" in off.why
    assert "it has a mypy configuration, but nothing runs it" in off.why
    (tmp_path / "Makefile").write_text("lint:\n\tmypy src\n", encoding="utf-8")
    ci = read_ci(tmp_path)
    assert ci.mypy == "Makefile"
    runs = decide_mypy(
        tmp_path, data, package="pkg", ci_mypy=ci.mypy, configured=True, pins=ToolPins(),
        trial=False,
    )  # fmt: skip
    assert runs.on
    assert "Makefile" in runs.why


def test_mypy_errors_in_a_repository_that_runs_mypy_are_covered_by_fail_on_new(
    tmp_path: Path,
) -> None:
    """The trial finds old errors: mypy stays on, and fail-on = "new" (which filters mypy too)
    keeps them from failing lint; mypy itself failing (exit 2) turns it off."""
    d = found(tmp_path, "ruff-d-master", branch="master")
    trial = MypyTrial(ran=True, errors=3, seconds=2.0, detail="mypy==2.4.1")
    d.mypy = mypy_from_trial(trial, "Makefile", "2.4.1")
    assert d.mypy.on
    assert d.mypy.errors == 3
    text = lines(d)
    assert "lint: 3 mypy errors in the existing code (ruff not measured: " in text
    assert 'lint.fail-on = "new" against master' in text
    assert "mypy: on: the repository runs it (Makefile); mypy 2.4.1 finds 3 errors" in text
    table = table_text(d, dockerfile=False)
    assert "# The existing code has 3 mypy errors:" in table
    assert 'fail-on = "new"' in table
    assert 'mypy = "off"' not in table
    crashed = MypyTrial(ran=True, errors=1, detail="mypy: error: bad config", crashed=True)
    off = mypy_from_trial(crashed, "Makefile", "2.4.1")
    assert not off.on
    assert "mypy 2.4.1 itself fails as the lint session runs it (mypy: error: bad config)" in (
        off.why
    )


def test_the_noxfile_has_only_short_lines() -> None:
    assert all(len(line) <= 79 for line in NOXFILE.splitlines())


def test_lint_base_follows_master_when_the_debt_hint_would_apply(tmp_path: Path) -> None:
    d = found(tmp_path, "ruff-d-master", branch="master")
    assert not d.lint.checked  # run_ruff=False: the hint says set fail-on = "new"
    assert 'base = "master"' in table_text(d, dockerfile=False)
    assert "(lint.base is master)" in lines(d)


# --- docs ---------------------------------------------------------------------------------------


def test_mkdocs_site_turns_the_docs_off_and_says_so(tmp_path: Path) -> None:
    d = found(tmp_path, "mkdocs-site")
    assert d.docs_dir is None
    assert "mkdocs is not built" in lines(d)
    assert "enabled = false" in table_text(d, dockerfile=False)


def test_docs_run_from_the_makefile_directory_with_its_offline_flags(tmp_path: Path) -> None:
    d = found(tmp_path, "doc-makefile")
    assert (d.docs_dir, d.docs_cwd, d.docs_define) == ("doc", "doc", {"plot_gallery": "0"})
    assert "docs: sphinx-build runs from doc/ as doc/Makefile runs it" in lines(d)
    text = (d.root / "pyproject.toml").read_text(encoding="utf-8")
    (d.root / "pyproject.toml").write_text(
        text + "\n" + table_text(d, dockerfile=False), encoding="utf-8"
    )
    (command,) = docs_plan(load_project(d.root)).commands
    assert command.cwd == "doc"
    assert list(command.argv[-2:]) == [".", "../build/docs/html"]
    assert command.argv[-4:-2] == ("-D", "plot_gallery=0")


def test_read_the_docs_configuration_and_ci_offline_settings(tmp_path: Path) -> None:
    (tmp_path / "documentation").mkdir()
    (tmp_path / "documentation" / "conf.py").write_text("project = 'x'\n", encoding="utf-8")
    (tmp_path / ".readthedocs.yaml").write_text(
        "version: 2\nsphinx:\n  configuration: documentation/conf.py\n", encoding="utf-8"
    )
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "docs.yml").write_text(
        "jobs:\n  docs:\n    steps:\n      - run: sphinx-build -D nb_execution_mode=off "
        "documentation _build\n",
        encoding="utf-8",
    )
    build = docs_build(tmp_path)
    assert build.source == "documentation"
    assert build.cwd is None  # Read the Docs runs from the root
    assert build.define == {"nb_execution_mode": "off"}
    assert build.why == "sphinx.configuration in .readthedocs.yaml"
