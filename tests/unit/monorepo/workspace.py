"""Write monorepo trees for the tests: a root pyproject naming members, one pyproject per member."""

from __future__ import annotations

import textwrap
from pathlib import Path


def member(
    root: Path, path: str, name: str | None, deps: tuple[str, ...] | list[str] = (), table: str = ""
) -> Path:
    directory = root / path
    (directory / "src" / (name or "x").replace("-", "_")).mkdir(parents=True, exist_ok=True)
    (directory / "src" / (name or "x").replace("-", "_") / "__init__.py").write_text(
        '__version__ = "0.1.0"\n', encoding="utf-8"
    )
    head = f'[project]\nname = "{name}"\nversion = "0.1.0"\n' if name else "[project]\n"
    dep_list = ", ".join(f'"{d}"' for d in deps)
    text = head + f"dependencies = [{dep_list}]\n" + textwrap.dedent(table)
    text += '\n[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'
    (directory / "pyproject.toml").write_text(text, encoding="utf-8")
    return directory


def root(path: Path, members: list[str], table: str = "") -> Path:
    listed = ", ".join(f'"{m}"' for m in members)
    text = f"[tool.mlrelease]\nmembers = [{listed}]\n" + textwrap.dedent(table)
    (path / "pyproject.toml").write_text(text, encoding="utf-8")
    return path
