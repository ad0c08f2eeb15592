"""The one subprocess runner: echo ``+ command`` (secrets masked), capture output, show it on failure
or when verbose, raise :class:`ToolError` carrying the exit code.

Secrets never go on a command line: pass them through ``env`` (or stdin via ``input``).

A child process gets only the secret it needs, when it needs it: its environment is this
process's minus every known secret variable (:data:`SECRET_ENV`, ``MLRELEASE_*TOKEN*`` /
``*PASSWORD*`` / ``*SECRET*``) and minus any variable whose value is a registered secret, unless
the call passes that secret explicitly (``env={...}``) or names it in ``secrets=(...)``.
"""

from __future__ import annotations

import contextlib
import os
import re
import shlex
import signal
import subprocess
import threading
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from mlrelease._util import console
from mlrelease._util.redact import redact, registered_secrets
from mlrelease.errors import ToolError

# Variables that hold a credential; no child sees them unless its call names them.
SECRET_ENV = frozenset(
    {
        "MLRELEASE_FEED_TOKEN",
        "MLRELEASE_REGISTRY_PASSWORD",
        "TWINE_PASSWORD",
        "AZURE_CLIENT_SECRET",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN",
        "ACTIONS_RUNTIME_TOKEN",
        "GITHUB_TOKEN",
        "GH_TOKEN",
    }
)
_SECRET_NAME_RE = re.compile(r"^MLRELEASE_\w*(TOKEN|PASSWORD|SECRET)", re.IGNORECASE)


def _holds_secret(name: str, value: str, registered: frozenset[str]) -> bool:
    if name in SECRET_ENV or _SECRET_NAME_RE.match(name):
        return True
    return any(value == s or (len(s) >= 8 and s in value) for s in registered)


def child_env(
    env: Mapping[str, str] | None = None, *, secrets: Sequence[str] = ()
) -> dict[str, str]:
    """The environment of a child process: this process's without its secrets (but those named
    in ``secrets``), then ``env`` on top (what the caller passes explicitly)."""
    registered = registered_secrets()
    base = {
        k: v for k, v in os.environ.items() if k in secrets or not _holds_secret(k, v, registered)
    }
    return {**base, **(env or {})}


# The progress line of the reporter, importable from here too (the runner's callers echo).
echo = console.echo


@dataclass(frozen=True)
class Result:
    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def format_argv(argv: Sequence[str]) -> str:
    return redact(shlex.join(argv))


def _checked_argv(argv: Sequence[object]) -> list[str]:
    """The argv as strings; a NUL character (which no command line can carry) is a ToolError."""
    args = [str(a) for a in argv]
    bad = next((a for a in args if "\0" in a), None)
    if bad is not None:
        raise ToolError(
            f"cannot run {args[0]}: an argument holds a NUL character ({redact(repr(bad))[:80]})",
            hint="remove the NUL character from the value given",
        )
    return args


def _not_started(argv: Sequence[str], cwd: Path | None, exc: OSError | None = None) -> ToolError:
    """Why ``argv`` could not start: a missing tool, or a working directory that is not one."""
    if cwd is not None and not _is_dir(cwd):
        return ToolError(
            f"cannot run {argv[0]} in {cwd}: it is not a directory",
            hint="pass an existing project directory (--project DIR)",
        )
    if exc is None or isinstance(exc, FileNotFoundError):
        return ToolError(
            f"{argv[0]} is not installed or not on PATH", hint=f"install {argv[0]} and try again"
        )
    return ToolError(f"cannot run {argv[0]}: {exc.strerror or exc}", hint="see the error above")


def _is_dir(path: Path) -> bool:
    try:
        return Path(path).is_dir()
    except (OSError, ValueError):
        return False


def run(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    input: str | None = None,
    check: bool = True,
    quiet: bool = False,
    timeout: float | None = None,
    secrets: Sequence[str] = (),
) -> Result:
    """Run ``argv``; return its output or raise :class:`ToolError` (when ``check``). The child's
    environment is :func:`child_env` (no secret but those in ``env`` or named in ``secrets``)."""
    argv = _checked_argv(argv)
    if not quiet:
        echo(f"+ {format_argv(argv)}")
    full_env = child_env(env, secrets=secrets)
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
        raise _not_started(argv, cwd) from None
    except OSError as exc:  # a file in place of the directory, no permission, ...
        raise _not_started(argv, cwd, exc) from None
    except subprocess.TimeoutExpired:
        raise ToolError(
            f"{argv[0]} did not finish within {timeout:.0f} s",
            hint="see the command above; rerun with -v",
        ) from None
    result = Result(tuple(argv), proc.returncode, proc.stdout, proc.stderr)
    if console.verbosity() > 0:
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


def run_streamed(
    argv: Sequence[str],
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
    title: str | None = None,
    secrets: Sequence[str] = (),
) -> Result:
    """Run ``argv`` and show its output line by line while it runs (stderr, masked), for long
    commands such as image builds. On GitHub Actions the lines are folded in
    ``::group::<title>`` / ``::endgroup::``. Raises :class:`ToolError` like :func:`run`, with the
    output's tail; after ``timeout`` seconds the command and its children are killed."""

    argv = _checked_argv(argv)
    echo(f"+ {format_argv(argv)}")
    show = console.verbosity() >= 0
    tail: deque[str] = deque(maxlen=200)
    try:
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=child_env(env, secrets=secrets),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            start_new_session=True,  # one process group: a timeout kills the whole build
        )
    except FileNotFoundError:
        raise _not_started(argv, cwd) from None
    except OSError as exc:
        raise _not_started(argv, cwd, exc) from None
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        with contextlib.suppress(OSError):  # already gone
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill) if timeout else None
    with console.group(title):
        try:
            if timer:
                timer.start()
            assert proc.stdout is not None  # noqa: S101 - stdout=PIPE above
            for raw in proc.stdout:
                line = raw.rstrip("\n")
                tail.append(line)
                console.stream_line(line)
            proc.wait()
        finally:
            if timer:
                timer.cancel()
    output = "\n".join(tail)
    if expired.is_set():
        raise ToolError(
            f"{argv[0]} did not finish within {timeout / 60:.0f} min and was stopped"
            if timeout and timeout >= 60
            else f"{argv[0]} did not finish within {timeout or 0:.0f} s and was stopped",
            hint="raise the time limit (tool.mlrelease.publish.images build-timeout, in minutes) "
            "or make the build faster",
        )
    if proc.returncode != 0:
        masked = redact(output.strip())
        raise ToolError(
            f"command failed with exit code {proc.returncode}: {format_argv(argv)}"
            + (f"\n{_tail(masked, 40 if not show else 15)}" if masked else ""),
            returncode=proc.returncode,
            output=masked,
        )
    return Result(tuple(argv), proc.returncode, output, "")
