"""What a repository's own CI runs, for ``mlrelease init``: its GitHub workflows, ``tox.ini``,
``Makefile`` and ``noxfile.py`` say how it runs pytest (ignored directories, ``-n auto``,
deselected markers, a coverage floor), whether it runs mypy, and how it builds its docs.

Read-only text scanning: nothing is executed. Each finding names the file it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

# Files whose commands are the repository's CI, in the order they are read.
CI_FILES = ("tox.ini", "Makefile", "makefile", "GNUmakefile", "noxfile.py")
# One token after an option: `--opt=X`, `--opt X`, or the next argument in a Python call
# (`"--opt", "X"`).
_SEP = r"""(?:=|\s+|["']\s*,\s*["'])"""
_IGNORE_RE = re.compile(rf"--ignore{_SEP}([\w./-]+)")
_WORKERS_RE = re.compile(rf"(?:\s-n|--numprocesses){_SEP}(auto|logical|\d+)\b")
_MARKERS_RE = re.compile(rf"""\s-m{_SEP}["']?(not [^"']+)["']""")
_FLOOR_RE = re.compile(rf"--(?:cov-)?fail-under{_SEP}(\d+(?:\.\d+)?)")
_PYTEST_RE = re.compile(r"""(?:^|[\s;&|("'`])(?:py\.test|pytest)(?:[\s"',]|$)""")
_MYPY_RE = re.compile(r"""(?:^|[\s;&|("'`/])mypy(?:[\s"',]|$)""")


@dataclass
class CiFacts:
    """What the repository's CI commands say, each value with the file it came from."""

    ignored: list[str] = field(default_factory=list)  # paths pytest is told to --ignore
    workers: str | None = None  # "auto" or a number, from -n
    deselected: list[str] = field(default_factory=list)  # markers in -m "not x"
    coverage_min: float | None = None
    mypy: str | None = None  # where the repository runs mypy, e.g. "tox.ini"
    why: dict[str, str] = field(default_factory=dict)  # "ignored"/"workers"/... -> file


def ci_files(root: Path) -> list[tuple[str, str]]:
    """(relative path, text) of every file that holds the repository's CI commands."""
    paths = [root / name for name in CI_FILES]
    workflows = root / ".github" / "workflows"
    if workflows.is_dir():
        paths += sorted(p for p in workflows.iterdir() if p.suffix in (".yml", ".yaml"))
    out = []
    for path in paths:
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            out.append((path.relative_to(root).as_posix(), text))
    return out


def command_lines(text: str) -> list[str]:
    """Lines with comments dropped and backslash continuations joined."""
    out: list[str] = []
    pending = ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if line.lstrip().startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        out.append(pending + line)
        pending = ""
    if pending:
        out.append(pending)
    return out


def _markers(expression: str) -> list[str]:
    """``not slow and not gpu`` -> [slow, gpu]; anything else (``or``, brackets) -> []."""
    parts = [p.strip() for p in expression.split(" and ")]
    names = [p.removeprefix("not ").strip() for p in parts if p.startswith("not ")]
    if len(names) != len(parts) or not all(re.fullmatch(r"\w+", n) for n in names):
        return []
    return names


def read_ci(root: Path) -> CiFacts:
    facts = CiFacts()
    for name, text in ci_files(root):
        for line in command_lines(text):
            if facts.mypy is None and _MYPY_RE.search(line) and "types-mypy" not in line:
                facts.mypy = name
            m = _FLOOR_RE.search(line)  # pytest --cov-fail-under, coverage report --fail-under
            if m and facts.coverage_min is None:
                facts.coverage_min = float(m.group(1))
                facts.why["coverage_min"] = name
            if _PYTEST_RE.search(line):
                _read_pytest_line(facts, root, name, line)
    return facts


def _read_pytest_line(facts: CiFacts, root: Path, name: str, line: str) -> None:
    for raw in _IGNORE_RE.findall(line):
        path = raw.rstrip("/")
        if (root / path).exists() and path not in facts.ignored:
            facts.ignored.append(path)
            facts.why.setdefault("ignored", name)
    m = _WORKERS_RE.search(line)
    if m and facts.workers is None:
        facts.workers = "auto" if m.group(1) in ("auto", "logical") else m.group(1)
        facts.why["workers"] = name
    m = _MARKERS_RE.search(line)
    if m:
        for marker in _markers(m.group(1)):
            if marker not in facts.deselected:
                facts.deselected.append(marker)
                facts.why.setdefault("deselected", name)
