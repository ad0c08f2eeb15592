"""Property: whatever a user writes under [tool.mlrelease], the CLI answers 0 or 2, never a traceback."""

from __future__ import annotations

import io
import subprocess
import tempfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlrelease.cli.main import main
from mlrelease.config.model import Config, config_fields, toml_key

KNOWN_KEYS = sorted(
    {toml_key(f) for cls in (Config,) for f in config_fields(cls)}
    | {
        "coverage-min",
        "mypy",
        "fail-on",
        "tag-format",
        "upload-url",
        "name",
        "tags",
        "registry",
        "feed",
        "images",
        "azure-artifacts",
        "organization",
    }
)

# Hostile or accidental shapes: huge integers, nan/inf, trailing newlines and CR/LF (header
# injection), tag formats git would read as an option.
hostile_strings = st.builds(
    lambda base, tail: base + tail,
    st.sampled_from(["v{version}", "main", "r.example", "drift", "3.11", "https://x/upload/", ""]),
    st.sampled_from(["\n", "\r\n", "\r\nX-Injected: 1", "\x00", "\t", " "]),
)
scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.integers(min_value=2**63, max_value=10**400),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.text(max_size=30),
    hostile_strings,
    st.sampled_from(
        ["3.11", "v{version}", "{verison}", "strict", "https://x/simple/", "auto", "-v{version}"]
    ),
)
keys = st.one_of(
    st.sampled_from(KNOWN_KEYS),
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz-_", min_size=1, max_size=12),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(keys, children, max_size=4)
    ),
    max_leaves=12,
)
tables = st.dictionaries(keys, values, max_size=6)
# Appended as raw TOML: what tomlkit cannot write (nesting deeper than the reader's recursion
# limit, integers longer than Python converts).
raw_tails = st.one_of(
    st.just(""),
    st.builds(
        lambda table, key, depth: (
            f"\n[tool.mlrelease.{table}]\n{key} = " + "[" * depth + "]" * depth + "\n"
        ),
        st.sampled_from(["test", "lint", "extra"]),
        st.sampled_from(["coverage-min", "paths", "x"]),
        st.integers(min_value=1, max_value=5000),
    ),
    st.builds(
        lambda key, depth: (
            f"\n[tool.mlrelease.version]\n{key} = " + "{a = " * depth + "1" + "}" * depth + "\n"
        ),
        st.sampled_from(["tag-format", "stamp"]),
        st.integers(min_value=1, max_value=3000),
    ),
    st.builds(
        lambda digits: f"\n[tool.mlrelease.test]\nworkers = {'9' * digits}\n",
        st.integers(min_value=300, max_value=6000),
    ),
)


@pytest.fixture(scope="module")
def repo() -> Path:
    path = Path(tempfile.mkdtemp(prefix="mlrelease-fuzz-"))
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    (path / "src" / "fuzz").mkdir(parents=True)
    (path / "src" / "fuzz" / "__init__.py").write_text("")
    return path


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    table=tables,
    tail=raw_tails,
    project=st.tuples(
        st.sampled_from(["fuzz", "fuzz\n", "fuzz\r\nX-Injected: 1", "-fuzz", "fu zz"]),
        st.sampled_from(["0.1.0", "0.1.0\n", " 0.1.0", "0.1.0\r\nX: 1", ""]),
    ),
)
def test_cli_never_shows_a_traceback(
    repo: Path,
    table: dict[str, Any],
    tail: str,
    project: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    name, version = project
    doc = {"project": {"name": name, "version": version}, "tool": {"mlrelease": table}}
    (repo / "pyproject.toml").write_text(tomlkit.dumps(doc) + tail)
    for argv in (["check", "--project", str(repo)], ["matrix", "--json", "--project", str(repo)]):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)  # an exception here fails the test: that would be a traceback
        assert code in (0, 2), (argv, table, out.getvalue(), err.getvalue())
        assert "Traceback" not in err.getvalue()
        if code == 2:
            assert "pyproject.toml" in err.getvalue()
        if project != ("fuzz", "0.1.0"):  # a stray newline or space: refused
            assert code == 2, (project, out.getvalue())
            if not table and not tail:  # the only problem: named by its key
                assert "project.name" in err.getvalue() or "project.version" in err.getvalue()
