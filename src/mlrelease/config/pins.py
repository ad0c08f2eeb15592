"""The versions of the tools the sessions install, tested with this mlrelease release.

Overridable per repository in ``[tool.mlrelease.tools]`` (:class:`ToolsConfig`) so lint results
never change because a tool released overnight.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mlrelease.config.checks import check_tool_version
from mlrelease.config.fields import opt

DEFAULT_TOOLS: dict[str, str] = {
    "ruff": "0.17.5",
    "mypy": "2.4.1",
    "pytest": "9.2.0",
    "pytest-cov": "7.1.0",
    "pytest-xdist": "3.8.0",
    "sphinx": "8.2.3",
    "build": "1.6.1",
    "twine": "7.0.0",
    "check-wheel-contents": "0.6.3",
    "python-semantic-release": "10.7.0",
}


def pin(tool: str, name: str | None = None, doc: str | None = None) -> Any:
    """Declare the ``[tool.mlrelease.tools]`` key of ``tool``: its version, by default the pin."""
    return opt(
        DEFAULT_TOOLS[tool],
        doc or f"{name or tool} version.",
        kind="str",
        key=tool,
        check=check_tool_version,
    )


@dataclass(frozen=True, kw_only=True)
class ToolsConfig:
    ruff: str = pin("ruff")
    mypy: str = pin("mypy")
    pytest: str = pin("pytest")
    pytest_cov: str = pin("pytest-cov")
    pytest_xdist: str = pin("pytest-xdist")
    sphinx: str = pin("sphinx", "Sphinx")
    build: str = pin("build")
    twine: str = pin("twine")
    check_wheel_contents: str = pin("check-wheel-contents")
    python_semantic_release: str = pin(
        "python-semantic-release",
        doc="The python-semantic-release whose commit grammar and version rule mlrelease follows. "
        "Not installed: mlrelease computes the version in-process with these rules, held equal to "
        "this release of PSR by its tests; another value has no effect (`check` warns).",
    )

    def requirement(self, tool: str) -> str:
        """``"ruff"`` -> ``"ruff==0.17.5"`` (a specifier is kept as written)."""
        spec: str = getattr(self, tool.replace("-", "_"))
        return f"{tool}=={spec}" if spec[:1].isdigit() else f"{tool}{spec}"
