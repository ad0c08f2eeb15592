"""Reading pyproject.toml: every way the file can fail to be read is a :class:`ConfigError` that
names the file, and the line where there is one."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from mlrelease.config.toml_errors import describe as describe_toml_error
from mlrelease.errors import ConfigError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

__all__ = ["read_pyproject", "tomllib"]


def read_pyproject(path: Path) -> dict[str, Any]:
    """Read a pyproject.toml; a TOML syntax error is a :class:`ConfigError` naming the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            problems=[
                Problem(
                    str(path), "", "file not found", "run inside a project, or pass --project DIR"
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(problems=[Problem(str(path), "", f"cannot be read: {exc}", "")]) from None
    try:
        data: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message, line = describe_toml_error(text, str(exc))
        raise ConfigError(
            problems=[
                Problem(
                    str(path),
                    "",
                    f"is not valid TOML: {message}",
                    f"fix the syntax at line {line}, shown above" if line else "fix the syntax",
                    line=line,
                )
            ]
        ) from None
    except RecursionError:
        key, line = _key_of_line(text, lambda s: s.count("[") + s.count("{") > 200)
        raise ConfigError(
            problems=[
                Problem(
                    str(path),
                    key,
                    "nests arrays or tables too deeply to be read",
                    "flatten the deeply nested value",
                    line,
                )
            ]
        ) from None
    except ValueError:  # an integer with more digits than Python converts
        key, line = _key_of_line(text, lambda s: re.search(r"[0-9_]{1000,}", s) is not None)
        raise ConfigError(
            problems=[
                Problem(
                    str(path),
                    key,
                    "holds an integer too large to read",
                    "write a number of a sensible size",
                    line,
                )
            ]
        ) from None
    return data


def _key_of_line(text: str, bad: Callable[[str], bool]) -> tuple[str, int | None]:
    """The dotted key (and line) of the first line where ``bad`` holds, for messages."""
    table = ""
    for number, line in enumerate(text.splitlines(), start=1):
        header = re.fullmatch(r"\s*\[\[?\s*([^\[\]]+?)\s*\]\]?\s*(#.*)?", line)
        if header:
            table = header.group(1)
            continue
        if bad(line):
            lhs = line.split("=", 1)[0].strip() if "=" in line else ""
            key = ".".join(k for k in (table, lhs) if k)
            return (key, number)
    return ("", None)
