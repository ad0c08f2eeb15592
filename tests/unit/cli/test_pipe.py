"""`mlrelease plan | head -1`: a reader that goes away ends the command quietly."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("args", [["schema"], ["plan", "--json"]])
def test_a_closed_pipe_ends_the_command_without_a_traceback(args: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "GITHUB_ACTIONS")}
    proc = subprocess.Popen(  # a real pipe whose reader is gone before the first write
        [
            sys.executable,
            "-m",
            "mlrelease",
            *args,
            "--project",
            str(REPO / "examples" / "driftwatch"),
        ]
        if args[0] == "plan"
        else [sys.executable, "-m", "mlrelease", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode()
    code = proc.wait(timeout=120)
    assert err == ""  # no traceback, no "Exception ignored ... BrokenPipeError"
    assert code == 141  # what a shell reports for a writer ended by SIGPIPE (128 + 13)


def test_piped_to_head_prints_the_first_line_only() -> None:
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m mlrelease schema | head -1"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout == "{\n"
    assert proc.returncode in (0, 141)  # 0 when the whole output fit in the pipe before head left
    assert "Traceback" not in proc.stderr
