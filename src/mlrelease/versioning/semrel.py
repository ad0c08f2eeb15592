"""python-semantic-release: the reference for mlrelease's commit grammar and version rule.

mlrelease computes the next version in-process (:mod:`mlrelease.versioning.grammar`,
:mod:`mlrelease.versioning.rules`): starting PSR costs about two seconds, most of ``mlrelease
plan``. The tests hold the two equal by running PSR (:func:`next_version`) with the settings
derived here from ``[tool.mlrelease.version]`` (:func:`psr_config`, written to a temporary JSON file
and passed with ``semantic-release -c FILE``, never into the user's pyproject).

A ``[tool.semantic_release]`` table in the user's pyproject is refused, naming the keys to move,
because two sources of truth for one version are a release waiting to go wrong. Stamping, the
changelog, the commit, the tag and the atomic push are done by :mod:`mlrelease.versioning.release`.
"""

from __future__ import annotations

import importlib.util
import json
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from mlrelease._util.runner import run
from mlrelease.errors import ConfigError, Problem, ToolError
from mlrelease.project import Project

# PSR never contacts the remote for `version --print`, but it parses the origin URL at start and
# fails on paths it cannot parse. A fixed placeholder keeps it off the real remote (and away from
# token-bearing URLs, python-semantic-release #1426).
PLACEHOLDER_REMOTE = "https://example.invalid/mlrelease/placeholder.git"

# python-semantic-release is not a dependency of mlrelease: only the tests run it, from the dev extra.
MISSING_HINT = (
    "install mlrelease's dev extra (pip install -e '.[dev]'), which holds the python-semantic-release "
    "the tests compare with"
)

# [tool.semantic_release] key -> where it goes in [tool.mlrelease.version]
_MOVE_TO = {
    "tag_format": "tag-format",
    "branches": "release-branches / prerelease-branches",
    "major_on_zero": "major-on-zero",
    "allow_zero_version": "(always true: 0.x is allowed)",
    "changelog": "changelog",
    "version_toml": "stamp (pyproject project.version is stamped by default)",
    "version_variables": "stamp (the package's __version__ is stamped by default)",
    "version_source": "(the tag is the version for hatch-vcs / setuptools-scm)",
}


def refuse_own_psr_config(project: Project) -> None:
    """Raise :class:`ConfigError` when the user's pyproject has ``[tool.semantic_release]``."""
    tool = project.pyproject.get("tool")
    table = tool.get("semantic_release") if isinstance(tool, dict) else None
    if table is None:
        return
    keys = sorted(table) if isinstance(table, dict) else []
    moves = [f"{k} -> {_MOVE_TO[k]}" for k in keys if k in _MOVE_TO]
    others = [k for k in keys if k not in _MOVE_TO]
    hint = "delete [tool.semantic_release]; mlrelease derives the python-semantic-release settings"
    if moves:
        hint += " from [tool.mlrelease.version]; move " + "; ".join(moves)
    if others:
        hint += f"; not needed with mlrelease: {', '.join(others)}"
    raise ConfigError(
        problems=[
            Problem(
                "pyproject.toml",
                "tool.semantic_release",
                "is not used by mlrelease, which configures python-semantic-release from "
                "[tool.mlrelease.version]; having both would make two sources of truth",
                hint,
            )
        ]
    )


def default_token(project: Project) -> str:
    """The prerelease token for ``--prerelease`` on a release branch: the first configured one."""
    tokens = list(project.config.version.prerelease_branches.values())
    return tokens[0] if tokens else "rc"


def psr_config(project: Project, *, branch: str, prerelease: bool, token: str) -> dict[str, Any]:
    """The PSR settings derived from ``[tool.mlrelease.version]`` for a run on ``branch``.

    mlrelease has already decided whether ``branch`` releases (and with which token), so PSR gets
    one branch group matching exactly that branch.
    """
    cfg = project.config.version
    return {
        "semantic_release": {
            "tag_format": cfg.tag_format,
            "allow_zero_version": True,
            "major_on_zero": cfg.major_on_zero,
            "commit_parser": "conventional",
            "branches": {
                "mlrelease": {
                    "match": f"^{re.escape(branch)}$",
                    "prerelease": prerelease,
                    "prerelease_token": token,
                }
            },
            "remote": {"name": "origin", "url": PLACEHOLDER_REMOTE, "type": "github"},
            "build_command": None,
            "no_git_verify": False,
            "version_toml": [],
            "version_variables": [],
        }
    }


def command() -> list[str]:
    """How to run python-semantic-release (the tests' reference): ``python -m semantic_release`` in
    this interpreter (a venv works without activation), else ``semantic-release`` on PATH."""

    if importlib.util.find_spec("semantic_release") is not None:
        return [sys.executable, "-m", "semantic_release"]
    found = shutil.which("semantic-release")
    if found:
        return [found]
    raise ToolError(
        "python-semantic-release is not installed (the reference the tests compare mlrelease's "
        "version rule with)",
        hint=MISSING_HINT,
    )


def next_version(project: Project, *, branch: str, prerelease: bool, token: str) -> str:
    """The version PSR computes for HEAD (SemVer spelling), the reference the tests compare
    :func:`~mlrelease.versioning.versions.compute_next_version` with. When nothing is releasable
    PSR prints the last released version."""
    config = psr_config(project, branch=branch, prerelease=prerelease, token=token)
    with tempfile.TemporaryDirectory(prefix="mlrelease-psr-") as tmp:
        path = Path(tmp) / "semantic-release.json"
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        argv = [*command(), "-c", str(path), "--noop", "version", "--print"]
        # No colours, no rich boxes: the output is parsed.
        env = {"NO_COLOR": "1", "TERM": "dumb", "COLUMNS": "200"}
        result = run(argv, cwd=project.root, env=env, check=False, quiet=True)
    lines = [ln.strip() for ln in result.stdout.splitlines() if ln.strip()]
    if result.returncode != 0 or not lines:
        detail = _psr_error(result.stdout + "\n" + result.stderr)
        raise ToolError(
            f"python-semantic-release could not compute the next version: {detail}",
            hint="run `mlrelease -v version` to see its output",
            returncode=result.returncode,
            output=result.stderr,
        )
    return lines[-1]


def _psr_error(output: str) -> str:
    for line in output.splitlines():
        if "::ERROR::" in line or "Error" in line:
            return line.split("::ERROR::")[-1].strip()
    tail = [ln for ln in output.splitlines() if ln.strip()]
    return tail[-1].strip() if tail else "no output"
