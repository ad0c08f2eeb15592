"""checkov, Terraform's static analyser, passes on the generated module (its Terraform checks and
its secrets scan), with no check skipped; the same run flags a secret planted in a copy, so a pass
means the files were read."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from mlrelease.cli.main import main
from tests.integration.checkov_tool import checkov_venv
from tests.unit.infra.repos import ACR_AND_FEED, caller, make_repo

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture(scope="module")
def checkov() -> Path:
    return checkov_venv() / "bin" / "checkov"


def run_checkov(checkov: Path, *directories: Path) -> list[dict[str, Any]]:
    env = {**os.environ, "BC_SKIP_MAPPING": "TRUE", "LOG_LEVEL": "WARNING"}
    result = subprocess.run(
        [
            str(checkov),
            *(arg for d in directories for arg in ("--directory", str(d))),
            "--framework",
            "terraform",
            "secrets",
            "--skip-download",  # offline: no policy metadata from the vendor's service
            "--output",
            "json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode in (0, 1), result.stderr[-3000:]
    reports: list[dict[str, Any]] = []
    decoder, text, at = json.JSONDecoder(), result.stdout, 0
    while text[at:].strip():  # one JSON document per framework run (a list or an object)
        at += len(text[at:]) - len(text[at:].lstrip())
        data, at = decoder.raw_decode(text, at)
        reports += data if isinstance(data, list) else [data]
    return reports


def summary(reports: list[dict[str, Any]]) -> dict[str, int]:
    total = {"passed": 0, "failed": 0, "skipped": 0, "parsing_errors": 0}
    for report in reports:
        counts = report.get("summary", report)
        for key in total:
            total[key] += int(counts.get(key, 0))
    return total


MODULES = {
    "driftwatch-like": ("", None),
    "acr-and-feed": (ACR_AND_FEED, caller(environment="release")),
}


def test_checkov_passes_on_the_generated_modules(tmp_path: Path, checkov: Path) -> None:
    """Both generated modules (a driftwatch-like repository with the defaults; ACR and an Azure
    feed with a release environment) and a copy of one with a planted secret, in one checkov run
    (checkov takes ~15 s of CPU to start)."""
    outs = []
    for name, (tool, workflow) in MODULES.items():
        root = make_repo(tmp_path / name / "repo", tool, caller=workflow)
        out = tmp_path / name / "module"
        assert main(["infra", "terraform", "-C", str(root), "--output", str(out)]) == 0
        outs.append(out)
    planted = tmp_path / "planted"
    shutil.copytree(outs[-1], planted)
    with (planted / "main.tf").open("a") as fh:
        fh.write('\nlocals {\n  leaked = "AKIAIOSFODNN7EXAMPLE"\n}\n')

    reports = run_checkov(checkov, *outs, planted)
    result = summary(reports)
    assert result["parsing_errors"] == 0
    assert result["skipped"] == 0
    failed = [c for r in reports for c in r.get("results", {}).get("failed_checks", [])]
    failed_files = {Path(c["file_abs_path"]).parent for c in failed}
    # the planted secret is found, so checkov read the files; the generated modules have no finding
    assert failed_files == {planted}, [(c["check_id"], c["file_abs_path"]) for c in failed]
    for out in outs:
        assert "checkov:skip" not in "".join(p.read_text() for p in out.glob("*.tf"))
