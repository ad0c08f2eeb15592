"""The canary check (issue 20, harness d) over whole commands: a release, its plan, an SBOM.

Every credential variable holds the canary (nothing registers it, so masking cannot hide a leak).
GitHub Actions is on, with ``GITHUB_OUTPUT`` and ``GITHUB_STEP_SUMMARY`` pointing into the test's
directory; git runs through a spy that records each child's argv and environment. After
``release --as 0.2.0 --no-push`` (stamps, changelog, commit, tag), ``plan --json``,
``version --json``, ``matrix`` and ``sbom --output``, the canary is in no stream, no file written
(the project, the outputs, the summary) and no child's argv or environment.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mlrelease._util import runner
from tests.unit.harness.conftest import CANARY
from tests.unit.harness.support import (
    assert_answered,
    canary_hits,
    run_cli,
    spy_calls,
    spy_tool,
)
from tests.unit.images.test_sbom_purls import PIP_COMPILE, make_wheel


@pytest.mark.usefixtures("fast_outside")
def test_no_canary_anywhere_after_a_release(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    outputs, summary, log = tmp_path / "out.txt", tmp_path / "summary.md", tmp_path / "spy.jsonl"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_OUTPUT", str(outputs))
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    monkeypatch.setenv("GH_TOKEN", CANARY)
    monkeypatch.setenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN", CANARY)
    git = ["git", "-C", str(project), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    runner.run([*git, "add", "-A"], quiet=True)
    runner.run([*git, "commit", "-qm", "feat: first"], quiet=True)
    spy_tool(tmp_path / "bin", log, "git", real=shutil.which("git"))
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{runner.os.environ['PATH']}")
    wheel = make_wheel(tmp_path)
    (tmp_path / "pins.txt").write_text(PIP_COMPILE)
    streams: dict[str, str] = {}
    for argv in (
        ["release", "--as", "0.2.0", "--no-push", "--json"],
        ["plan", "--json"],
        ["version", "--json"],
        ["matrix"],
        ["sbom", "--wheel", str(wheel), "--requirements", str(tmp_path / "pins.txt"),
         "--output", str(project / "sbom.cdx.json")],
    ):  # fmt: skip
        if argv[0] != "sbom":
            argv += ["--project", str(project)]
        outcome = run_cli(argv, area="canary")
        assert_answered(outcome, (0,))
        streams[f"{argv[0]} stdout"] = outcome.out
        streams[f"{argv[0]} stderr"] = outcome.err
    assert "released=true" in outputs.read_text()  # the outputs were written ...
    assert (project / "sbom.cdx.json").exists()
    assert {c["tool"] for c in spy_calls(log)} == {"git"}  # ... and the children were seen
    hits = canary_hits(CANARY, streams=streams, roots=[project, outputs, summary], spy_log=log)
    assert hits == []
