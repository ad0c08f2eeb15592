"""Interrupt a real ``mlrelease`` run at a chosen step, deterministically, without test hooks in the
product: a ``git`` shim first on PATH pauses at the chosen git command (before it runs, or after it
finished) until the test has sent its signal to the whole process group (as Ctrl-C in a terminal
does, or a kill -9 of the job).

    shim = GitShim(tmp_path / "shim")
    proc = start(repo.path, ["release"], shim.env("push --atomic*", after=False))
    shim.wait_paused(proc)
    interrupt(proc, signal.SIGKILL)
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.integration.gitrepo import GIT_ENV

SHIM = """\
#!/bin/sh
# git, pausing once at the command matching $MLRELEASE_TEST_PAUSE_AT (a shell glob over the args)
pause() {{
  : > "{dir}/paused"
  while [ ! -e "{dir}/never" ]; do sleep 0.05; done
}}
if [ -n "$MLRELEASE_TEST_PAUSE_AT" ] && [ ! -e "{dir}/paused" ]; then
  case "$*" in
    $MLRELEASE_TEST_PAUSE_AT)
      if [ "$MLRELEASE_TEST_PAUSE_AFTER" = 1 ]; then
        "{git}" "$@"
        pause
      fi
      pause
      ;;
  esac
fi
exec "{git}" "$@"
"""


class GitShim:
    def __init__(self, where: Path) -> None:
        where.mkdir(parents=True)
        self.dir = where
        real = shutil.which("git")
        assert real is not None
        script = where / "git"
        script.write_text(SHIM.format(dir=where, git=real), encoding="utf-8")
        script.chmod(0o755)

    def env(self, pattern: str, *, after: bool = False) -> dict[str, str]:
        return {
            "PATH": f"{self.dir}{os.pathsep}{os.environ['PATH']}",
            "MLRELEASE_TEST_PAUSE_AT": pattern,
            "MLRELEASE_TEST_PAUSE_AFTER": "1" if after else "0",
        }

    def wait_paused(self, proc: subprocess.Popen[str], timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not (self.dir / "paused").exists():
            if proc.poll() is not None:
                out, err = proc.communicate()
                raise AssertionError(
                    f"finished (exit {proc.returncode}) before pausing:\n{out}{err}"
                )
            if time.monotonic() > deadline:
                interrupt(proc, signal.SIGKILL)
                raise AssertionError("never reached the pause")
            time.sleep(0.02)


def start(cwd: Path, args: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    """``python -m mlrelease ARGS`` in its own process group (a terminal job)."""
    return subprocess.Popen(
        [sys.executable, "-m", "mlrelease", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV, "NO_COLOR": "1", **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def interrupt(proc: subprocess.Popen[str], sig: signal.Signals) -> tuple[int, str]:
    """Send ``sig`` to the process group; return the exit code and stderr."""
    os.killpg(proc.pid, sig)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        _, err = proc.communicate()
    return proc.returncode, err


class StderrLines:
    """The stderr lines of a running process, read by a thread (so the test can wait for one)."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        import threading

        self.lines: list[str] = []
        self._proc = proc
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        assert self._proc.stderr is not None
        for line in self._proc.stderr:
            self.lines.append(line)

    def wait_for(self, fragment: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any(fragment in line for line in self.lines):
            if self._proc.poll() is not None or time.monotonic() > deadline:
                os.killpg(self._proc.pid, signal.SIGKILL)
                raise AssertionError(f"{fragment!r} never came:\n{''.join(self.lines)}")
            time.sleep(0.02)

    def text(self) -> str:
        self._thread.join(30)
        return "".join(self.lines)
