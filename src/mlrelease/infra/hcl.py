"""HCL text the way ``terraform fmt`` leaves it: two-space indents and, within a run of
consecutive one-line attributes, every ``=`` in one column.

The alignment rule is hclwrite's: a line ``key = value`` whose value opens no bracket it does not
close is an aligned line; any other line (a block header, a value that spans lines, a comment, a
blank line, a closing bracket) ends the run.
"""

from __future__ import annotations

import json
import re
from typing import Any

_ASSIGN = re.compile(
    r'^(?P<lead>\s*(?:"(?:[^"\\]|\\.)*"|[A-Za-z_][\w-]*))\s*=(?![=>])\s*(?P<rhs>.*)$'
)
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_OPEN, _CLOSE = "([{", ")]}"


def _net_brackets(text: str) -> int:
    """Brackets opened minus closed outside string literals (templates' ``${...}`` count as
    code: an interpolation that is left open spans lines)."""
    net = 0
    stack: list[int] = []  # per open string: -1; per interpolation: its brace depth
    i = 0
    while i < len(text):
        c = text[i]
        in_string = bool(stack) and stack[-1] == -1
        if in_string:
            if c == "\\":
                i += 1
            elif c == '"':
                stack.pop()
            elif text.startswith("${", i) or text.startswith("%{", i):
                stack.append(0)
                i += 1
        elif c == '"':
            stack.append(-1)
        elif c in _OPEN:
            net += 1
            if stack and c == "{":
                stack[-1] += 1
        elif c in _CLOSE:
            if stack and c == "}":
                if stack[-1] == 0:
                    stack.pop()
                    i += 1
                    continue
                stack[-1] -= 1
            net -= 1
        elif c == "#" and not stack:
            break
        i += 1
    return net


def _aligned(line: str) -> tuple[str, str] | None:
    m = _ASSIGN.match(line)
    if m is None or _net_brackets(m.group("rhs")) != 0:
        return None
    return m.group("lead"), m.group("rhs")


def fmt(text: str) -> str:
    """Align the ``=`` of each run of one-line attributes; strip trailing blanks."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    run: list[tuple[str, str]] = []

    def close() -> None:
        width = max((len(lead) for lead, _ in run), default=0)
        out.extend(f"{lead.ljust(width)} = {rhs}" for lead, rhs in run)
        run.clear()

    for line in lines:
        cell = _aligned(line)
        if cell is None:
            close()
            out.append(line)
        else:
            run.append(cell)
    close()
    return "\n".join(out).rstrip("\n") + "\n"


def string(value: str) -> str:
    """A quoted HCL string; ``${`` and ``%{`` are escaped so nothing is interpolated."""
    quoted = json.dumps(value, ensure_ascii=False)
    return quoted.replace("${", "$${").replace("%{", "%%{")


def key(name: str) -> str:
    return name if _IDENT.match(name) else string(name)


def _scalar(data: str | bool | int | None) -> str:
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    return string(data) if isinstance(data, str) else str(data)


def value(data: Any, indent: int) -> str:
    """``data`` (str, bool, int, None, list of scalars, dict) as an HCL expression; objects span
    lines, indented from ``indent``."""
    if data is None or isinstance(data, (bool, int, str)):
        return _scalar(data)
    if isinstance(data, (list, tuple)):
        return "[" + ", ".join(value(v, indent) for v in data) + "]"
    if isinstance(data, dict):
        if not data:
            return "{}"
        pad = " " * (indent + 2)
        body = "\n".join(f"{pad}{key(str(k))} = {value(v, indent + 2)}" for k, v in data.items())
        return "{\n" + body + "\n" + " " * indent + "}"
    raise TypeError(f"no HCL form for {type(data).__name__}")
