"""Invalid TOML: the message shows the offending line with a caret, as its hint promises."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from mlrelease.config.toml_errors import describe, excerpt


def _mlrelease(project: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlrelease", *args, "-C", str(project)],
        capture_output=True,
        text=True,
        check=False,
    )


def test_an_unterminated_string_shows_its_line_and_a_caret(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo\nversion = "1.0"\n')
    proc = _mlrelease(tmp_path, "plan")
    assert proc.returncode == 2
    lines = proc.stderr.splitlines()
    assert "is not valid TOML: Illegal character" in lines[1]
    assert "(at line 2, column 13)" in lines[1]
    assert lines[2] == '    2 | name = "demo'
    assert lines[3] == "      |             ^"
    assert lines[4] == "    (fix the syntax at line 2, shown above)"
    assert "Traceback" not in proc.stderr


def test_end_of_document_points_at_the_last_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\npython = ["3.11",\n')
    proc = _mlrelease(tmp_path, "check")
    assert proc.returncode == 2
    assert '    3 | python = ["3.11",\n      |                  ^\n' in proc.stderr


def test_json_error_carries_the_line(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = = 1\n")
    proc = _mlrelease(tmp_path, "plan", "--json")
    [error] = json.loads(proc.stdout)["errors"]
    assert error["line"] == 2
    assert "name = = 1" in error["message"]


@pytest.mark.parametrize(
    ("text", "line", "column", "expected"),
    [
        ("a\nbc\n", 2, 2, "    2 | bc\n      |  ^"),
        ("a\n", 9, 1, ""),  # a line the text does not have: no excerpt
        ("\tx = = 1\n", 1, 6, "    1 |  x = = 1\n      |      ^"),  # a tab counts as one column
    ],
)
def test_excerpt(text: str, line: int, column: int, expected: str) -> None:
    assert excerpt(text, line, column) == expected


def test_a_message_without_a_position_is_left_alone() -> None:
    assert describe("x = 1\n", "something odd") == ("something odd", None)
