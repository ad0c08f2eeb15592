"""A TOML syntax error as a reader wants it: the offending line, with a caret under the column.

``tomllib`` (and ``tomli`` on Python 3.10) put the position only in the message text:
``Illegal character '\\n' (at line 2, column 10)``.
"""

from __future__ import annotations

import re

_POSITION = re.compile(r"\(at line (\d+), column (\d+)\)")


def error_position(message: str) -> tuple[int, int] | None:
    """(line, column), both from 1, named in a TOML decode error message; None if it has none."""
    m = _POSITION.search(message)
    return (int(m.group(1)), int(m.group(2))) if m else None


def excerpt(text: str, line: int, column: int) -> str:
    """``line`` of ``text`` with its number, and a caret under ``column``::

    2 | name = "demo
      |             ^
    """
    lines = text.splitlines()
    if not 1 <= line <= len(lines) + 1:
        return ""
    source = lines[line - 1] if line <= len(lines) else ""
    shown = source.expandtabs(1)
    gutter = f"{line:>5} | "
    caret = " " * (len(gutter) - 2) + "| " + " " * max(0, min(column - 1, len(shown))) + "^"
    return f"{gutter}{shown}\n{caret}"


def describe(text: str, message: str) -> tuple[str, int | None]:
    """The message with the offending line shown under it, and that line's number."""
    where = error_position(message)
    if where is None and "(at end of document)" in message and text.strip():
        lines = text.rstrip("\n").splitlines()
        where = (len(lines), len(lines[-1]) + 1)  # the document ends inside the last line
    if where is None:
        return message, None
    shown = excerpt(text, *where)
    return (f"{message}\n{shown}" if shown else message), where[0]
