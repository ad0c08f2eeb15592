"""Issue 20 items 1, 4 and 5, as ``check`` and ``plan`` meet them in pyproject.toml.

Each case failed on the code before: URL credentials of the shapes ``https://:TOKEN@host`` and
``https://TOKEN:@host`` (and query tokens) passed ``check`` and were printed by ``plan``;
``registry = ["x"]`` was a TypeError; a path over 255 characters an OSError; ``version.stamp``
outside the project passed ``check``; ``base-image = "--privileged"`` and option-like
``lint.base`` / requirements passed ``check`` and reached an argv.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit._util.test_url_secrets import URL_SHAPES, S
from tests.unit.harness.conftest import PYPROJECT
from tests.unit.harness.support import assert_answered, canary_hits, run_cli

COMMANDS = (("check",), ("plan",), ("plan", "--json"))
LONG = "a" * 300


def _verdicts(project: Path, toml: str) -> list[tuple[tuple[str, ...], int, str]]:
    (project / "pyproject.toml").write_text(PYPROJECT + toml)
    results = []
    for command in COMMANDS:
        outcome = run_cli([*command, "--project", str(project)], area="config")
        assert_answered(outcome)
        results.append((command, outcome.code, outcome.out + outcome.err))
    return results


@pytest.mark.usefixtures("fast_outside")
@pytest.mark.parametrize("key", ["upload-url", "index-url"])
@pytest.mark.parametrize(("url", "visible"), URL_SHAPES, ids=range(len(URL_SHAPES)))
def test_url_credentials_are_refused_and_never_shown(
    project: Path, key: str, url: str, visible: str
) -> None:
    other = "upload-url" if key == "index-url" else "index-url"
    toml = (
        f'\n[tool.mlrelease.publish.feed]\n{key} = "{url}"\n'
        + (f'{other} = "https://feed.example/simple/"\n' if other == "index-url" else "")
        + ('upload-url = "https://feed.example/upload/"\n' if key == "index-url" else "")
    )
    for command, code, text in _verdicts(project, toml):
        assert code == 2, (command, text)
        assert f"tool.mlrelease.publish.feed.{key}" in text
        assert "looks like a secret" in text
        assert not canary_hits(S, streams={"output": text}), (command, text)


CONFIG_MISTAKES = {
    # item 4: a list or table where a string is expected
    "registry-list": (
        '[[tool.mlrelease.publish.images]]\nname = "app"\nregistry = ["x"]\n',
        "publish.images[0].registry",
        "must be a string",
    ),
    "registry-table": (
        '[[tool.mlrelease.publish.images]]\nname = "app"\nregistry = { a = 1 }\n',
        "publish.images[0].registry",
        "must be a string",
    ),
    "name-list": (
        '[[tool.mlrelease.publish.images]]\nname = ["app"]\n[[tool.mlrelease.publish.images]]\nname = ["app"]\n',
        "publish.images[0].name",
        "must be a string",
    ),
    # item 4: path values over 255 characters
    "source-long": (f'[tool.mlrelease]\nsource = "{LONG}"\n', "tool.mlrelease.source", "too long"),
    "stamp-long": (
        f'[tool.mlrelease.version]\nstamp = ["{LONG}"]\n',
        "version.stamp[0]",
        "too long",
    ),
    "docs-long": (f'[tool.mlrelease.docs]\nsource = "{LONG}"\n', "docs.source", "too long"),
    "outdir-long": (f'[tool.mlrelease.build]\noutdir = "{LONG}"\n', "build.outdir", "too long"),
    "test-paths-long": (
        f'[tool.mlrelease.test]\npaths = ["{LONG}"]\n',
        "test.paths[0]",
        "too long",
    ),
    "deep-long": (
        f'[tool.mlrelease.lint]\npaths = ["{"d/" * 600}"]\n',
        "lint.paths[0]",
        "too long",
    ),
    # item 4: version.stamp outside the project fails in check and plan, with the right hint
    "stamp-absolute": (
        '[tool.mlrelease.version]\nstamp = ["/etc/hostname"]\n',
        "version.stamp[0]",
        "relative path inside the project",
    ),
    "stamp-dotdot": (
        '[tool.mlrelease.version]\nstamp = ["../x.py:__version__"]\n',
        "version.stamp[0]",
        "relative path inside the project",
    ),
    # item 5: values that would reach an argv as an option
    "base-image": (
        '[[tool.mlrelease.publish.images]]\nname = "app"\nbase-image = "--privileged"\n',
        "publish.images[0].base-image",
        "is not an image reference",
    ),
    "lint-base": (
        '[tool.mlrelease.lint]\nbase = "--output=/tmp/x"\n',
        "lint.base",
        "is not a git ref",
    ),
    "lint-requirements": (
        '[tool.mlrelease.lint]\nrequirements = ["--index-url=http://evil.example/"]\n',
        "lint.requirements[0]",
        "begin with '-'",
    ),
    "test-requirements": (
        '[tool.mlrelease.test]\nrequirements = ["-r", "x.txt"]\n',
        "test.requirements[0]",
        "begin with '-'",
    ),
    "docs-requirements": (
        '[tool.mlrelease.docs]\nrequirements = ["-e ."]\n',
        "docs.requirements[0]",
        "begin with '-'",
    ),
    "test-paths-option": (
        '[tool.mlrelease.test]\npaths = ["--collect-only"]\n',
        "test.paths[0]",
        "begin with '-'",
    ),
    "lint-paths-option": (
        '[tool.mlrelease.lint]\npaths = ["--fix"]\n',
        "lint.paths[0]",
        "begin with '-'",
    ),
    "registry-option": (
        '[[tool.mlrelease.publish.images]]\nname = "app"\nregistry = "-x.example"\n',
        "publish.images[0].registry",
        "is not a registry host",
    ),
    "build-arg-key": (
        '[[tool.mlrelease.publish.images]]\nname = "app"\nbuild-args = { "-x" = "1" }\n',
        "publish.images[0].build-args.-x",
        "is not a valid name",
    ),
    "docs-define-key": (
        '[tool.mlrelease.docs]\ndefine = { "-W" = "1" }\n',
        "docs.define.-W",
        "is not a valid name",
    ),
    "release-branch": (
        '[tool.mlrelease.version]\nrelease-branches = ["--all"]\n',
        "version.release-branches[0]",
        "is not a branch name",
    ),
}


@pytest.mark.usefixtures("fast_outside")
@pytest.mark.parametrize("case", sorted(CONFIG_MISTAKES))
def test_ordinary_mistakes_are_config_errors(project: Path, case: str) -> None:
    toml, key, message = CONFIG_MISTAKES[case]
    for command, code, text in _verdicts(project, "\n" + toml):
        assert code == 2, (command, text)
        assert (
            f"pyproject.toml: {key}" in text or f"pyproject.toml: tool.mlrelease.{key}" in text
        ), text
        assert message in text, text
        assert "Traceback" not in text


@pytest.mark.usefixtures("fast_outside")
def test_stamp_outside_the_project_hint_says_relative(project: Path) -> None:
    (_, code, text), *_ = _verdicts(
        project, '\n[tool.mlrelease.version]\nstamp = ["/etc/hostname"]\n'
    )
    assert code == 2
    assert "relative to the project root" in text


@pytest.mark.usefixtures("fast_outside")
def test_the_safe_spellings_still_pass(project: Path) -> None:
    toml = (
        '\n[tool.mlrelease.lint]\nbase = "origin/main"\nrequirements = ["types-requests>=2", "foo[bar]"]\n'
        '[tool.mlrelease.version]\nstamp = ["src/demo_pkg/__init__.py:__version__"]\n'
        '[[tool.mlrelease.publish.images]]\nname = "ml/app"\nbase-image = "registry.example:5000/py:3.12@sha256:'
        + "0" * 64
        + '"\nbuild-args = { PIP_INDEX = "x" }\n'
    )
    for command, code, text in _verdicts(project, toml):
        assert code == 0, (command, text)
