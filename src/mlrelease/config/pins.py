"""The versions of the tools the sessions install, tested with this mlrelease release.

Overridable per repository in ``[tool.mlrelease.tools]`` (:class:`ToolsConfig`) so lint results
never change because a tool released overnight.
"""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass(frozen=True, kw_only=True)
class ToolsConfig:
    ruff: str = opt(DEFAULT_TOOLS["ruff"], "ruff version.", kind="str", check=check_tool_version)
    mypy: str = opt(DEFAULT_TOOLS["mypy"], "mypy version.", kind="str", check=check_tool_version)
    pytest: str = opt(
        DEFAULT_TOOLS["pytest"], "pytest version.", kind="str", check=check_tool_version
    )
    pytest_cov: str = opt(
        DEFAULT_TOOLS["pytest-cov"],
        "pytest-cov version.",
        kind="str",
        key="pytest-cov",
        check=check_tool_version,
    )
    pytest_xdist: str = opt(
        DEFAULT_TOOLS["pytest-xdist"],
        "pytest-xdist version.",
        kind="str",
        key="pytest-xdist",
        check=check_tool_version,
    )
    sphinx: str = opt(
        DEFAULT_TOOLS["sphinx"], "Sphinx version.", kind="str", check=check_tool_version
    )
    build: str = opt(DEFAULT_TOOLS["build"], "build version.", kind="str", check=check_tool_version)
    twine: str = opt(DEFAULT_TOOLS["twine"], "twine version.", kind="str", check=check_tool_version)
    check_wheel_contents: str = opt(
        DEFAULT_TOOLS["check-wheel-contents"],
        "check-wheel-contents version.",
        kind="str",
        key="check-wheel-contents",
        check=check_tool_version,
    )
    python_semantic_release: str = opt(
        DEFAULT_TOOLS["python-semantic-release"],
        "python-semantic-release version.",
        kind="str",
        key="python-semantic-release",
        check=check_tool_version,
    )

    def requirement(self, tool: str) -> str:
        """``"ruff"`` -> ``"ruff==0.17.5"`` (a specifier is kept as written)."""
        spec: str = getattr(self, tool.replace("-", "_"))
        return f"{tool}=={spec}" if spec[:1].isdigit() else f"{tool}{spec}"
