"""The one subprocess runner: echo ``+ command`` (secrets masked), capture output, show it on failure
or when verbose, raise :class:`ToolError` carrying the exit code.

Secrets never go on a command line: pass them through ``env`` (or stdin via ``input``).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlrelease._util.redact import redact
from mlrelease.errors import ToolError

_verbosity = 0


def set_verbosity(level: int) -> None:
    global _verbosity  # noqa: PLW0603 - one process-wide setting chosen by the CLI flags
    _verbosity = level


def verbosity() -> int:
    return _verbosity


def echo(message: str, *, err: bool = True) -> None:
    """Print a progress line (masked) unless --quiet."""
    if _verbosity < 0:
        return
    stream = sys.stderr if err else sys.stdout
    stream.write(redact(message) + "\n")
    stream.flush()


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def format_argv(argv: Sequence[str]) -> str:
    return redact(shlex.join(argv))


def require_tool(name: str, *, hint: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} is not installed or not on PATH", hint=hint)
    return path


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
    quiet: bool = False,
    timeout: float | None = None,
) -> Result:
    """Run ``argv``; return its output or raise :class:`ToolError` (when ``check``)."""
    argv = [str(a) for a in argv]
    if not quiet:
        echo(f"+ {format_argv(argv)}")
    full_env = None
    if env is not None:
        full_env = {**os.environ, **env}
    try:
        proc = subprocess.run(
            argv,
            cwd=cwd,
            env=full_env,
            input=input,
            capture_output=True,
            text=True,
            check=False,
            timeout=timeout,
            stdin=None if input is not None else subprocess.DEVNULL,
        )
    except FileNotFoundError:
        raise ToolError(
            f"{argv[0]} is not installed or not on PATH", hint=f"install {argv[0]} and try again"
        ) from None
    except subprocess.TimeoutExpired:
        raise ToolError(
            f"{argv[0]} did not finish within {timeout:.0f} s",
            hint="see the command above; rerun with -v",
        ) from None
    result = Result(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    if _verbosity > 0:
        for stream in (proc.stdout, proc.stderr):
            if stream.strip():
                echo(stream.rstrip())
    if check and proc.returncode != 0:
        output = redact((proc.stdout + proc.stderr).strip())
        raise ToolError(
            f"command failed with exit code {proc.returncode}: {format_argv(argv)}"
            + (f"\n{_tail(output)}" if output else ""),
            returncode=proc.returncode,
            output=output,
        )
    return result


def _tail(text: str, lines: int = 40) -> str:
    parts = text.splitlines()
    if len(parts) > lines:
        parts = ["...", *parts[-lines:]]
    return "\n".join("    " + p for p in parts)
