"""How a repository builds its docs, for ``mlrelease init``: where its docs ``Makefile`` or
``.readthedocs.yaml`` runs sphinx-build from, the offline ``-D`` settings its build or CI passes
(``plot_gallery=0``, ``nb_execution_mode=off``), and whether it is a mkdocs site instead.

Read-only text scanning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from mlrelease.adopt.ci import ci_files, command_lines

# -D settings that keep a docs build offline (no gallery runs, no notebook execution).
OFFLINE_SETTINGS = (
    "plot_gallery",
    "nb_execution_mode",
    "jupyter_execute_notebooks",
    "nbsphinx_execute",
)
_DEFINE_RE = re.compile(rf"""-D\s*["']?({"|".join(OFFLINE_SETTINGS)})=([\w.-]+)""")
_SOURCEDIR_RE = re.compile(r"^\s*SOURCEDIR\s*[:?]?=\s*(\S+)\s*$", re.M)
_SPHINX_CALL_RE = re.compile(r"sphinx-build\b.*?\s-b\s+\w+\s+(?:\$\(\w+\)\s+)*([\w./-]+)\s")
_MAKEFILE_DIRS = ("", "docs", "doc", "documentation")


@dataclass
class DocsBuild:
    source: str | None = None  # the conf.py directory, relative to the root
    cwd: str | None = None  # where the repository runs sphinx-build, when not the root
    define: dict[str, str] = field(default_factory=dict)
    why: str = ""  # which file said where the docs are built
    mkdocs: str | None = None  # the mkdocs config file, for a repository without Sphinx


def _rel(path: Path, root: Path) -> str:
    rel = path.resolve().relative_to(root.resolve()).as_posix()
    return "" if rel == "." else rel


def _from_makefiles(root: Path) -> tuple[str, str, str] | None:
    """(source, cwd, Makefile) of the first docs Makefile whose source holds a conf.py."""
    for folder in _MAKEFILE_DIRS:
        makefile = root / folder / "Makefile"
        if not makefile.is_file():
            continue
        text = makefile.read_text(encoding="utf-8", errors="replace")
        if "sphinx" not in text.lower():
            continue
        m = _SOURCEDIR_RE.search(text) or _SPHINX_CALL_RE.search(text)
        if not m:
            continue
        try:
            source = _rel(root / folder / m.group(1), root)
        except ValueError:  # outside the repository
            continue
        if (root / source / "conf.py").is_file():
            return source, folder, makefile.relative_to(root).as_posix()
    return None


def _from_read_the_docs(root: Path) -> str | None:
    """The conf.py directory of ``sphinx.configuration`` in ``.readthedocs.yaml``."""
    import yaml

    for name in (".readthedocs.yaml", ".readthedocs.yml", "readthedocs.yaml", "readthedocs.yml"):
        path = root / name
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (yaml.YAMLError, UnicodeDecodeError):
            return None
        sphinx = data.get("sphinx") if isinstance(data, dict) else None
        conf = sphinx.get("configuration") if isinstance(sphinx, dict) else None
        if isinstance(conf, str) and conf.endswith("conf.py") and (root / conf).is_file():
            return Path(conf).parent.as_posix()
    return None


def docs_build(root: Path) -> DocsBuild:
    """Where and how the repository builds its docs."""
    found = DocsBuild()
    made = _from_makefiles(root)
    if made:
        found.source, cwd, found.why = made
        found.cwd = cwd or None
    else:
        rtd = _from_read_the_docs(root)
        if rtd:
            found.source, found.why = rtd, "sphinx.configuration in .readthedocs.yaml"
    texts = ci_files(root)
    for folder in _MAKEFILE_DIRS[1:]:
        makefile = root / folder / "Makefile"
        if makefile.is_file():
            texts.append((f"{folder}/Makefile", makefile.read_text("utf-8", errors="replace")))
    for _name, text in texts:
        for line in command_lines(text):
            for key, value in _DEFINE_RE.findall(line):
                found.define.setdefault(key, value)
    for name in ("mkdocs.yml", "mkdocs.yaml"):
        if (root / name).is_file():
            found.mkdocs = name
    return found
