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

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["3.11", "v{version}", "{verison}", "strict", "https://x/simple/", "auto"]),
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
@given(table=tables)
def test_cli_never_shows_a_traceback(
    repo: Path, table: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    doc = {"project": {"name": "fuzz", "version": "0.1.0"}, "tool": {"mlrelease": table}}
    (repo / "pyproject.toml").write_text(tomlkit.dumps(doc))
    for argv in (["check", "--project", str(repo)], ["matrix", "--json", "--project", str(repo)]):
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main(argv)  # an exception here fails the test: that would be a traceback
        assert code in (0, 2), (argv, table, out.getvalue(), err.getvalue())
        assert "Traceback" not in err.getvalue()
        if code == 2:
            assert "pyproject.toml" in err.getvalue()
