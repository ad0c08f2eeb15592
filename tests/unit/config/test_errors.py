"""Every bad configuration a user will write gets a message naming the key, what is wrong and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from mlrelease.config.model import parse_config
from mlrelease.errors import ConfigError
from tests.unit.config.bad_configs import BAD, PAT, T

# (id, [tool.mlrelease] table, expected dotted key, fragment of the message, fragment of the hint)


@pytest.mark.parametrize(
    ("table", "key", "message", "hint"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_configuration_names_key_message_and_fix(
    table: dict[str, Any], key: str, message: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table)
    matching = [p for p in info.value.problems if p.key == key]
    assert matching, f"no problem reported for {key}; got {[str(p) for p in info.value.problems]}"
    problem = matching[0]
    assert message in problem.message
    assert hint in problem.hint
    assert problem.file == "pyproject.toml"
    rendered = str(problem)
    assert rendered.startswith(f"pyproject.toml: {key}: ")


def test_there_are_at_least_25_distinct_bad_configurations() -> None:
    assert len({b[0] for b in BAD}) == len(BAD) >= 25


def test_all_problems_are_reported_at_once() -> None:
    table = {
        "test": {"coverage-minimum": 80, "coverage-min": 150},
        "lint": {"mypy": "strcit"},
        "publish": {"images": [{"name": "d"}, {"name": "d"}]},
    }
    with pytest.raises(ConfigError) as info:
        parse_config(table)
    keys = [p.key for p in info.value.problems]
    assert keys == [
        f"{T}.test.coverage-minimum",
        f"{T}.test.coverage-min",
        f"{T}.lint.mypy",
        f"{T}.publish.images[1].name",
    ]
    assert str(info.value).startswith("4 configuration problems:")


def test_a_secret_value_is_never_echoed_in_the_message() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"test": {"coverage-min": PAT}, "docs": {"builder": PAT}})
    assert PAT not in str(info.value)
    assert "<hidden>" in str(info.value) or "looks like a secret" in str(info.value)


# --- input the TOML reader itself chokes on, and bad [project] values, through the CLI ---------


def _check(tmp_path: Any, pyproject: str) -> tuple[int, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from mlrelease.cli.main import main

    (tmp_path / "pyproject.toml").write_text(pyproject)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["check", "--project", str(tmp_path)])
    return code, err.getvalue()


HEAD = '[project]\nname = "p"\nversion = "0.1.0"\n'


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            "[tool.mlrelease.test]\ncoverage-min = " + "[" * 10000 + "]" * 10000 + "\n",
            "tool.mlrelease.test.coverage-min",
            "nests arrays or tables too deeply",
        ),
        (
            "[tool.mlrelease]\nlint = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n",
            "tool.mlrelease.lint",
            "nests arrays or tables too deeply",
        ),
        (
            "[tool.mlrelease.test]\nworkers = " + "9" * 5000 + "\n",
            "tool.mlrelease.test.workers",
            "holds an integer too large to read",
        ),
        (
            "[tool.mlrelease.test]\ncoverage-min = nan\n",
            "tool.mlrelease.test.coverage-min",
            "must be a finite number, got nan",
        ),
        (
            '[tool.mlrelease.version]\ntag-format = """v{version}\n"""\n',
            "tool.mlrelease.version.tag-format",
            "contains a control character",
        ),
    ],
    ids=["deep-arrays", "deep-inline-tables", "5000-digit-integer", "nan", "multiline-tag"],
)
def test_toml_the_reader_chokes_on_exits_2_naming_the_key(
    tmp_path: Any, body: str, key: str, message: str
) -> None:
    code, err = _check(tmp_path, HEAD + body)
    assert code == 2, err
    assert "Traceback" not in err
    assert f"pyproject.toml: {key}: {message}" in err, err


@pytest.mark.parametrize(
    ("project", "key"),
    [
        ('name = "p\\n"\nversion = "0.1.0"', "project.name"),
        ('name = "p"\nversion = "0.1.0\\n"', "project.version"),
        ('name = "p"\nversion = "0.1.0\\r\\nX: y"', "project.version"),
    ],
    ids=["name-newline", "version-newline", "version-crlf"],
)
def test_a_project_name_or_version_with_a_newline_exits_2(
    tmp_path: Any, project: str, key: str
) -> None:
    code, err = _check(tmp_path, f"[project]\n{project}\n")
    assert code == 2, err
    assert f"pyproject.toml: {key}: " in err, err
    assert "Traceback" not in err
