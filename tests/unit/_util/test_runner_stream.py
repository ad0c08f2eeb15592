"""``runner.run_streamed``: build output shown while it runs, folded on Actions, masked, time-limited."""

from __future__ import annotations

import sys
import time

import pytest

from mlrelease._util.console import mask
from mlrelease._util.runner import run_streamed
from mlrelease.errors import ToolError

SCRIPT = """
import sys, time
print("step 1 of 2: secret-Stream-Canary-42", flush=True)
sys.stderr.write("a warning on stderr\\n"); sys.stderr.flush()
time.sleep(float(sys.argv[1]))
print("step 2 of 2", flush=True)
sys.exit(int(sys.argv[2]))
"""


def test_lines_are_shown_as_they_come_folded_and_masked(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    mask("secret-Stream-Canary-42")
    result = run_streamed(
        [sys.executable, "-c", SCRIPT, "0", "0"], title="build ml/app linux/arm64"
    )
    err = capfd.readouterr().err
    lines = err.splitlines()
    group = lines.index("::group::build ml/app linux/arm64")
    assert lines[group + 1 :] == [
        "step 1 of 2: <hidden>",
        "a warning on stderr",
        "step 2 of 2",
        "::endgroup::",
    ]
    # The one line with the value is the ::add-mask:: command the runner consumes (then masks).
    shown = [line for line in lines if not line.startswith("::add-mask::")]
    assert lines.count("::add-mask::secret-Stream-Canary-42") == 1
    assert not [line for line in shown if "secret-Stream-Canary-42" in line]
    assert "step 2 of 2" in result.stdout


def test_a_failure_keeps_the_tail_and_no_group_off_actions(
    capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    with pytest.raises(ToolError, match="exit code 3") as info:
        run_streamed([sys.executable, "-c", SCRIPT, "0", "3"], title="build x")
    assert "step 2 of 2" in info.value.message
    assert "::group::" not in capfd.readouterr().err


def test_timeout_stops_the_command_and_its_children(capfd: pytest.CaptureFixture[str]) -> None:
    start = time.monotonic()
    # The shell's child (sleep) is in the same process group: both are stopped.
    with pytest.raises(ToolError, match="did not finish within 1 s") as info:
        run_streamed(["sh", "-c", "echo started; sleep 60 & wait"], timeout=1)
    assert time.monotonic() - start < 15
    assert "build-timeout" in info.value.hint
    assert "started" in capfd.readouterr().err  # shown before the time ran out
