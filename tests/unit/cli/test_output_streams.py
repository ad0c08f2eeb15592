"""Which stream each command's lines go to, now that the reporter writes them all: stdout carries
only the result (JSON under --json), stderr what is for people."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mlrelease.cli.main import main

PYPROJECT = (
    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
    '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
)


def test_init_json_keeps_stdout_json_and_says_what_it_wrote_on_stderr(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    assert main(["init", str(tmp_path), "--json"]) == 0
    captured = capsys.readouterr()
    data = json.loads(captured.out)  # nothing but the JSON document
    assert data["written"] is True
    written = [c["path"] for c in data["changes"]]
    assert written
    for path in written:
        assert path in captured.err
        assert (tmp_path / path).exists()


def test_a_bare_command_prints_its_usage_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    assert main([]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith("usage: mlrelease")
    assert main(["publish"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "usage: mlrelease publish" in captured.err
