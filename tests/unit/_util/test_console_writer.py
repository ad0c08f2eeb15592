"""The reporter's writers: what a user (or the Actions runner) sees on each stream and file."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlrelease._util import console, redact

CANARY = "canary-Reporter-4e1d"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    redact.forget_secrets()
    console.set_verbosity(0)
    yield
    redact.forget_secrets()
    console.set_verbosity(0)


def test_group_folds_on_actions_only(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with console.group("build app"):
        console.stream_line("step 1")
    assert capsys.readouterr().err.splitlines() == ["::group::build app", "step 1", "::endgroup::"]
    monkeypatch.delenv("GITHUB_ACTIONS")
    with console.group("build app"):
        console.stream_line("step 1")
    assert capsys.readouterr().err.splitlines() == ["step 1"]


def test_group_closes_on_error_and_quiet_shows_nothing(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    with pytest.raises(RuntimeError), console.group("x"):
        raise RuntimeError
    assert capsys.readouterr().err.splitlines() == ["::group::x", "::endgroup::"]
    console.set_verbosity(-1)
    with console.group("x"):
        console.stream_line("hidden under --quiet")
        console.echo("so is this")
    assert capsys.readouterr().err == ""


def test_mask_announces_once_on_stderr_and_masks_later_lines(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    console.mask(CANARY)
    console.mask(CANARY)
    console.mask(None)
    console.mask("abc")  # too short to be a secret
    console.out(f"token {CANARY}")
    console.note(f"note {CANARY}")
    captured = capsys.readouterr()
    assert captured.err.splitlines() == [f"::add-mask::{CANARY}", "note <hidden>"]
    assert captured.out == "token <hidden>\n"


def test_json_and_write_go_to_stdout_masked(capsys: pytest.CaptureFixture[str]) -> None:
    console.mask(CANARY)
    console.json({"token": CANARY, "ok": True})
    console.write(f"--- a\n+++ b {CANARY}\n")
    console.usage("usage: mlrelease ...\n")
    captured = capsys.readouterr()
    first, diff = captured.out.split("}\n", 1)
    assert json.loads(first + "}") == {"token": "<hidden>", "ok": True}
    assert diff == "--- a\n+++ b <hidden>\n"
    assert captured.err == "usage: mlrelease ...\n"


def test_step_outputs_accept_only_the_key_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "output"
    monkeypatch.setenv("GITHUB_OUTPUT", str(target))
    console.step_outputs({"released": "true", "tag": "v1.2.0"})
    assert target.read_text() == "released=true\ntag=v1.2.0\n"
    with pytest.raises(ValueError, match="not a step output of mlrelease: relased"):
        console.step_outputs({"relased": "true"})
    with pytest.raises(ValueError, match="one line"):
        console.step_outputs({"tag": "v1\nv2"})
    assert target.read_text() == "released=true\ntag=v1.2.0\n"


def test_the_release_workflow_reads_only_keys_mlrelease_writes() -> None:
    """release.yml's release job maps the step outputs of `mlrelease release` (step ids release
    and verify): each key it reads is one the reporter writes."""
    workflow = Path(__file__).resolve().parents[3] / ".github" / "workflows" / "release.yml"
    text = workflow.read_text(encoding="utf-8")
    read = set(re.findall(r"steps\.(?:release|verify)\.outputs\.([\w-]+)", text))
    assert read >= {"tag", "version", "released", "prerelease"}
    assert read <= set(console.STEP_OUTPUTS)


@pytest.mark.parametrize(
    ("size", "shown"),
    [
        (None, "?"),
        (0, "0 B"),
        (1023, "1023 B"),
        (1536, "1.5 KiB"),
        (3 << 20, "3.0 MiB"),
        (501 * 1048576, "501.0 MiB"),
        (5 << 30, "5.0 GiB"),
        (3 << 40, "3072.0 GiB"),
    ],
)
def test_human_size_is_binary_as_the_progress_lines(size: int | None, shown: str) -> None:
    assert console.human_size(size) == shown
