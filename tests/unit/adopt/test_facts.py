"""What `mlrelease init` reads from a repository: tags, branch, changelog, pins, formatter, tests,
Read the Docs (real files and real git repositories in a temporary directory)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from mlrelease.adopt.detect import detect
from mlrelease.adopt.facts import (
    changelog,
    default_branch,
    formatter,
    in_package_tests,
    read_the_docs,
    tag_format,
    tool_pins,
)

ENV = {
    **os.environ,
    "GIT_AUTHOR_NAME": "Dev",
    "GIT_AUTHOR_EMAIL": "dev@example.invalid",
    "GIT_COMMITTER_NAME": "Dev",
    "GIT_COMMITTER_EMAIL": "dev@example.invalid",
}


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, env=ENV, check=True, capture_output=True)


def repo(tmp_path: Path, branch: str, tags: list[str]) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "pkg"\nversion = "1.0.0"\n')
    git(root, "init", "-q", "-b", branch)
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first")
    for tag in tags:
        git(root, "tag", tag)
    return root


@pytest.mark.parametrize(
    ("tags", "expected"),
    [
        (["1.2.0", "1.2.3", "1.3.0rc1"], "{version}"),
        (["v0.1.0", "v0.2.0"], "v{version}"),
        (["clipper-v1.0.0", "clipper-v1.1.0", "old-tag"], "clipper-v{version}"),
        (["nightly", "latest"], None),
    ],
)
def test_tag_format_follows_the_existing_tags(
    tmp_path: Path, tags: list[str], expected: str | None
) -> None:
    assert tag_format(repo(tmp_path, "main", tags)).format == expected


def test_default_branch_without_a_remote_compares_with_the_local_branch(tmp_path: Path) -> None:
    root = repo(tmp_path, "master", [])
    branch = default_branch(root)
    assert (branch.name, branch.base) == ("master", "master")
    git(root, "remote", "add", "origin", str(tmp_path / "nowhere.git"))
    assert default_branch(root).base == "origin/master"


def test_changelog_markdown_is_used_and_restructuredtext_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "CHANGES.rst").write_text("Changes\n=======\n")
    rst = changelog(tmp_path)
    assert rst.path is None
    assert "reStructuredText" in rst.why
    (tmp_path / "HISTORY.md").write_text("# History\n")
    assert changelog(tmp_path).path == "HISTORY.md"
    (tmp_path / "CHANGELOG.md").write_text("# Changelog\n")
    assert changelog(tmp_path).path is None  # the default already


def test_tool_pins_satisfy_pre_commit_and_the_extras(tmp_path: Path) -> None:
    (tmp_path / ".pre-commit-config.yaml").write_text(
        "repos:\n"
        "  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
        "    rev: v0.6.9\n"
        "    hooks: [{id: ruff}, {id: ruff-format}]\n"
        "  - repo: https://github.com/pre-commit/mirrors-mypy\n"
        "    rev: v1.11.2\n"
        "    hooks: [{id: mypy, additional_dependencies: [types-requests, 'pydantic>=2']}]\n"
    )
    data = {
        "project": {
            "optional-dependencies": {
                "test": ["pytest>=7,<8", "pytest-cov"],
                "docs": ["sphinx<8", "furo"],
                "lint": ["ruff>=0.7"],
            }
        },
        "dependency-groups": {"dev": ["pytest-xdist==3.5.0"]},
    }
    pins = tool_pins(tmp_path, data)
    assert pins.values["pytest"] == "<8,>=7"
    assert pins.values["sphinx"] == "<8"
    assert pins.values["pytest-xdist"] == "3.5.0"
    assert pins.values["mypy"] == "1.11.2"
    assert "pytest-cov" not in pins.values  # no constraint: mlrelease's default stays
    # pre-commit says 0.6.9, an extra says >=0.7: the code is clean under what the team runs,
    # and the lint session installs ruff alone, so the pre-commit rev wins; init says so
    assert pins.values["ruff"] == "0.6.9"
    assert pins.conflicts == [
        "ruff: extra 'lint' wants >=0.7, but the repository runs 0.6.9 (.pre-commit-config.yaml "
        "(ruff-pre-commit v0.6.9)): the lint session runs 0.6.9"
    ]
    assert pins.lint_requirements == ["types-requests", "pydantic>=2"]
    assert formatter(tmp_path, data).ruff_format


def test_formatter_black_is_not_ruff(tmp_path: Path) -> None:
    fmt = formatter(tmp_path, {"tool": {"black": {"line-length": 100}, "ruff": {}}})
    assert (fmt.ruff_format, fmt.other) == (False, "black")


def test_in_package_tests(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "tests").mkdir(parents=True)
    (pkg / "tests" / "test_a.py").write_text("")
    assert in_package_tests(tmp_path, pkg) == ["pkg/tests"]
    (pkg / "sub" / "tests").mkdir(parents=True)
    (pkg / "sub" / "tests" / "test_b.py").write_text("")
    assert in_package_tests(tmp_path, pkg) == ["pkg"]
    (tmp_path / "empty").mkdir()
    assert in_package_tests(tmp_path, tmp_path / "empty") == []


def test_read_the_docs_extras_and_requirements(tmp_path: Path) -> None:
    (tmp_path / ".readthedocs.yaml").write_text(
        "version: 2\npython:\n  install:\n"
        "    - requirements: docs/requirements-rtd.txt\n"
        "    - method: pip\n      path: .\n      extra_requirements: [doc-build]\n"
    )
    rtd = read_the_docs(tmp_path)
    assert rtd.extras == ("doc-build",)
    assert rtd.requirement_files == ("docs/requirements-rtd.txt",)


def test_detect_reads_a_version_file_and_the_test_extra_before_dev(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "imbalanced-lite"\ndynamic = ["version"]\n'
        "[project.optional-dependencies]\n"
        'dev = ["build"]\ntest = ["pytest"]\n'
        '[tool.setuptools.dynamic]\nversion = {file = ["imblite/VERSION"]}\n'
    )
    (tmp_path / "imblite").mkdir()
    (tmp_path / "imblite" / "__init__.py").write_text("")
    (tmp_path / "imblite" / "VERSION").write_text("0.3.0\n")
    found = detect(tmp_path, run_ruff=False)
    assert found.version_source == "file:imblite/VERSION"
    assert (found.source_found, found.source) == ("imblite", None)  # found without the key
    assert found.test_extras == ["test"]
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "x"\nversion = "1"\n[project.optional-dependencies]\ndev = ["build"]\n'
        '[dependency-groups]\ntests = ["pytest"]\n'
    )
    found = detect(tmp_path, run_ruff=False)
    assert (found.test_extras, found.test_groups) == ([], ["tests"])


def test_setuptools_attr_version_is_stamped_where_it_is_written(tmp_path: Path) -> None:
    from mlrelease.project import load_project
    from mlrelease.versioning.stamping import stamp, stamp_targets

    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "imbalanced-lite"\ndynamic = ["version"]\n'
        '[tool.setuptools.dynamic]\nversion = {attr = "imblite._version.__version__"}\n'
    )
    (tmp_path / "imblite").mkdir()
    (tmp_path / "imblite" / "__init__.py").write_text("from imblite._version import __version__\n")
    (tmp_path / "imblite" / "_version.py").write_text('__version__ = "0.3.0"\n')
    assert detect(tmp_path, run_ruff=False).version_source == "attr:imblite/_version.py:__version__"
    project = load_project(tmp_path)
    assert (project.static_version, project.import_name) == ("0.3.0", "imblite")
    assert stamp_targets(project) == [("imblite/_version.py", "__version__")]
    stamp(tmp_path, "imblite/_version.py", "__version__", "0.4.0")
    assert (tmp_path / "imblite" / "_version.py").read_text() == '__version__ = "0.4.0"\n'
