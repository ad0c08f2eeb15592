"""The noxfile's PEP 723 header: the mlrelease it asks for is the one of this CLI.

nox reads ``# /// script`` / ``dependencies``: when its own environment does not meet them, it makes
``.nox/_nox_script_mode`` and installs them from the index. An unpinned ``mlrelease`` there can be
another version than the CLI's (two copies, two behaviours), so ``init`` writes the CLI's compatible
range (``mlrelease>=0.1.0,<0.2``) and ``check`` warns when the header's range excludes the CLI.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from mlrelease import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

NOX_REQUIREMENT = "nox>=2025.10"
# PEP 723's reference regex for a metadata block.
_BLOCK = re.compile(r"(?m)^# /// (?P<type>[a-zA-Z0-9-]+)$\s(?P<content>(^#(| .*)$\s)+)^# ///$")


def compatible_range(version: str = __version__) -> str:
    """``>=X.Y.Z,<X.(Y+1)`` for 0.x (a minor may break), ``>=X.Y.Z,<(X+1)`` from 1.0 on."""
    try:
        v = Version(version)
    except InvalidVersion:
        return ""
    low = v.public if (v.is_prerelease or v.is_devrelease) else v.base_version
    major, minor = (*v.release, 0, 0)[:2]
    high = f"0.{minor + 1}" if major == 0 else str(major + 1)
    return f">={low},<{high}"


def mlrelease_requirement(version: str = __version__) -> str:
    return f"mlrelease{compatible_range(version)}"


# nox's script environment is made with pip, which reads pip's index settings (pip.conf,
# PIP_INDEX_URL); nox's default picks uv when one is on PATH, and uv reads only its own settings.
SCRIPT_BACKEND = 'tool.nox.script-venv-backend = "virtualenv"'


def header_text(version: str = __version__) -> str:
    deps = f'["{NOX_REQUIREMENT}", "{mlrelease_requirement(version)}"]'
    return f"# /// script\n# dependencies = {deps}\n# {SCRIPT_BACKEND}\n# ///\n"


def _script_block(text: str) -> tuple[str, int] | None:
    """The ``script`` block's TOML and the line number of its first line."""
    for m in _BLOCK.finditer(text):
        if m.group("type") == "script":
            toml = "".join(
                line[2:] if line.startswith("# ") else line[1:]
                for line in m.group("content").splitlines(keepends=True)
            )
            return toml, text.count("\n", 0, m.start()) + 1
    return None


def header_findings(root: Path, version: str = __version__) -> list[tuple[str, str, str]]:
    """(level, what, hint) about the mlrelease the noxfile's header asks for."""
    path = root / "noxfile.py"
    try:
        block = _script_block(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return []
    if block is None:
        return []
    toml, first = block
    try:
        deps = tomllib.loads(toml).get("dependencies", [])
    except tomllib.TOMLDecodeError as exc:
        return [("warning", f"noxfile.py:{first}: the PEP 723 header is not valid TOML: {exc}", "")]
    for dep in deps if isinstance(deps, list) else []:
        try:
            req = Requirement(str(dep))
        except InvalidRequirement:
            continue
        if req.name.lower() != "mlrelease" or not req.specifier:
            continue
        if req.specifier.contains(version, prereleases=True):
            return [("ok", f"noxfile.py: the PEP 723 header's {req} includes this mlrelease", "")]
        return [
            (
                "warning",
                f"noxfile.py:{first}: the PEP 723 header asks for {req}, which excludes this "
                f"mlrelease {version}: nox would run the sessions with another mlrelease",
                f'write "{mlrelease_requirement(version)}" in its dependencies, or install the '
                f"mlrelease the header asks for",
            )
        ]
    return []
