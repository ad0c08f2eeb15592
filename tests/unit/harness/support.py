"""The harness's instruments: run the CLI in-process and look for a canary everywhere it could leak.

- :func:`run_cli` calls ``mlrelease.cli.main.main`` with captured stdout/stderr; an exception that
  escapes ``main`` is recorded as a traceback (the test then fails and shows it).
- :func:`canary_hits` looks for a canary in the streams, in every file under given roots (which
  covers ``GITHUB_OUTPUT`` and the step summary when they point there), and in what the spied
  child processes received: their argv and their environment.
- :func:`spy_tool` puts a tool on PATH that records its argv and environment (one JSON line per
  call) and answers with fixed output, or runs the real tool.
- :data:`COUNTS` counts generated inputs, tracebacks and canary hits for the session report.
"""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
import sys
import traceback
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlrelease.cli.main import main

COUNTS: Counter[str] = Counter()  # "inputs", "tracebacks", "canary hits", "inputs:<area>"
EXIT_CODES = (0, 1, 2)


@dataclass(frozen=True)
class Outcome:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str
    traceback: str | None = None

    def show(self) -> str:
        return (
            f"argv={list(self.argv)} code={self.code}\n--- stdout\n{self.out}\n--- stderr\n"
            f"{self.err}" + (f"\n--- traceback\n{self.traceback}" if self.traceback else "")
        )


def run_cli(argv: Sequence[str], *, area: str = "cli") -> Outcome:
    """``mlrelease ARGV`` in this process; counts one generated input of ``area``."""
    COUNTS["inputs"] += 1
    COUNTS[f"inputs:{area}"] += 1
    out, err = io.StringIO(), io.StringIO()
    tb = None
    try:
        with redirect_stdout(out), redirect_stderr(err):
            code = main(list(argv))
    except SystemExit as exc:  # argparse: usage errors (2) and --help / --version (0)
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
    except BaseException:
        tb = traceback.format_exc()
        code = -1
        COUNTS["tracebacks"] += 1
    if tb is None and "Traceback (most recent call last)" in err.getvalue():
        tb = err.getvalue()
        COUNTS["tracebacks"] += 1
    return Outcome(tuple(argv), code, out.getvalue(), err.getvalue(), tb)


def assert_answered(outcome: Outcome, codes: Iterable[int] = EXIT_CODES) -> None:
    """A verdict, not a crash: an expected exit code and no traceback."""
    assert outcome.traceback is None, outcome.show()
    assert outcome.code in tuple(codes), outcome.show()


# --- canaries -----------------------------------------------------------------------------------


def _files(roots: Iterable[Path]) -> Iterable[Path]:
    for root in roots:
        if root.is_file():
            yield root
        elif root.is_dir():
            for dirpath, _dirs, names in os.walk(root, followlinks=False):
                for name in names:
                    yield Path(dirpath) / name


def canary_hits(
    canary: str,
    *,
    streams: Mapping[str, str] = {},
    roots: Sequence[Path] = (),
    spy_log: Path | None = None,
) -> list[str]:
    """Where ``canary`` shows: ``stdout``, ``file:<path>``, ``argv:<tool>``, ``env:<tool>:<VAR>``."""
    hits = [name for name, text in streams.items() if canary in text]
    needle = canary.encode()
    for path in _files(roots):
        try:
            if needle in path.read_bytes():
                hits.append(f"file:{path}")
        except OSError:
            continue
    for call in spy_calls(spy_log) if spy_log else []:
        if any(canary in a for a in call["argv"]):
            hits.append(f"argv:{call['tool']}")
        hits += [f"env:{call['tool']}:{k}" for k, v in call["env"].items() if canary in v]
    COUNTS["canary hits"] += len(hits)
    return hits


# --- spied child processes ----------------------------------------------------------------------

_SPY = """#!{python}
import json, os, sys
with open({log!r}, "a", encoding="utf-8") as fh:
    fh.write(json.dumps({{"tool": {tool!r}, "argv": sys.argv[1:], "env": dict(os.environ)}}) + "\\n")
real = {real!r}
if real:
    os.execv(real, [real, *sys.argv[1:]])
sys.stdout.write({stdout!r})
sys.exit({code})
"""


def spy_tool(
    bindir: Path,
    log: Path,
    tool: str,
    *,
    real: str | None = None,
    stdout: str = "",
    code: int = 0,
) -> Path:
    """Write ``bindir/tool``: it appends ``{tool, argv, env}`` to ``log``, then runs ``real`` (when
    given) or prints ``stdout`` and exits with ``code``."""
    bindir.mkdir(parents=True, exist_ok=True)
    path = bindir / tool
    path.write_text(
        _SPY.format(
            python=sys.executable, log=str(log), tool=tool, real=real, stdout=stdout, code=code
        )
    )
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


def spy_calls(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line]


# --- file-system states -------------------------------------------------------------------------


@contextmanager
def read_only(path: Path) -> Iterator[None]:
    """``path`` (a directory) read-only for this process: file modes for a normal user, a
    read-only bind mount for root (whom file modes do not stop)."""
    if os.geteuid() != 0:
        mode = path.stat().st_mode
        path.chmod(0o555)
        try:
            yield
        finally:
            path.chmod(mode)
        return
    subprocess.run(["mount", "--bind", str(path), str(path)], check=True)
    try:
        subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], check=True)
        yield
    finally:
        subprocess.run(["umount", str(path)], check=True)
