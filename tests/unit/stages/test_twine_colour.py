"""twine's colour codes reach neither a pipe nor a NO_COLOR user (twine forces them by default)."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlrelease._util.console import colour_wanted
from mlrelease.project import load_project
from mlrelease.stages.build import build_plan, expand


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0"\n')
    dist = tmp_path / "dist"
    dist.mkdir()
    with zipfile.ZipFile(dist / "demo-1.0.0-py3-none-any.whl", "w") as zf:
        zf.writestr(
            "demo-1.0.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\nVersion: 1.0.0\n"
        )
        zf.writestr("demo-1.0.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n")  # fmt: skip
        zf.writestr("demo-1.0.0.dist-info/RECORD", "")
    return tmp_path


def _twine_argv(project: Path) -> list[str]:
    plan = build_plan(load_project(project))
    command = next(c for c in plan.commands if c.argv[0] == "twine")
    return expand(command.argv, load_project(project))


@pytest.mark.parametrize(
    ("env", "tty", "wanted"),
    [({}, False, False), ({}, True, True), ({"NO_COLOR": "1"}, True, False),
     ({"FORCE_COLOR": "1"}, False, True)],
)  # fmt: skip
def test_colour_wanted(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], tty: bool, wanted: bool
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert colour_wanted(_Tty() if tty else io.StringIO()) is wanted


def test_twine_into_a_pipe_prints_no_colour_codes(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # a pipe, as under `nox -s build | tee`
    argv = _twine_argv(project)
    assert argv[:2] == ["twine", "--no-color"]
    twine = shutil.which("twine", path=str(Path(sys.executable).parent))
    assert twine is not None
    proc = subprocess.run(
        [twine, *argv[1:]], cwd=project, capture_output=True, text=True, check=False
    )
    output = proc.stdout + proc.stderr
    assert "Checking dist/demo-1.0.0-py3-none-any.whl" in output
    assert "\x1b[" not in output
    # The command as it was run before: twine forced the colour codes into the pipe.
    old = subprocess.run(
        [twine, *[a for a in argv[1:] if a != "--no-color"]],
        cwd=project, capture_output=True, text=True, check=False, env={"NO_COLOR": "1", "PATH": ""},
    )  # fmt: skip
    assert "\x1b[" in old.stdout + old.stderr


def test_twine_on_a_terminal_keeps_its_colours_unless_no_color(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.setattr(sys, "stdout", _Tty())
    assert "--no-color" not in _twine_argv(project)
    monkeypatch.setenv("NO_COLOR", "1")
    assert _twine_argv(project)[:2] == ["twine", "--no-color"]
