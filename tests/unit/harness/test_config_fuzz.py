"""Fuzz the whole ``[tool.mlrelease]`` table through ``check`` and ``plan`` (issue 20, harness a).

Every key of the model, at its real place (sections, the azure-artifacts table, each
``[[publish.images]]`` entry), receives every TOML type: string, integer, float, boolean,
offset/local datetime, date, time, array, inline table, nested arrays and tables, and
type-correct but hostile values (a leading ``-``, 300-character paths, ``..``, URLs carrying the
canary as a credential, control characters). Each example runs one of ``check``, ``plan`` or
``plan --json`` in-process and must answer 0, 1 or 2 with no traceback, and no stream may show
the canary (set in every credential variable and planted in URL credentials).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
import tomlkit
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from mlrelease.config.model import Config, config_fields, toml_key
from tests.unit.harness.conftest import CANARY, PYPROJECT
from tests.unit.harness.support import assert_answered, canary_hits, run_cli

CONFIG_EXAMPLES = 1600


def _leaves(cls: type, prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """(dotted path, field) of every key; sections are walked, arrays of tables kept whole."""
    out: list[tuple[tuple[str, ...], Any]] = []
    for f in config_fields(cls):
        path = (*prefix, toml_key(f))
        out.append((path, f))
        if f.metadata["kind"] in ("section", "section?"):
            out += _leaves(f.metadata["section"], path)
    return out


LEAVES = _leaves(Config)
IMAGE_FIELDS = [
    g
    for path, f in LEAVES
    if path == ("publish", "images")
    for g in config_fields(f.metadata["section"])
]

HOSTILE_STRINGS = [
    "",
    " ",
    "-x",
    "--privileged",
    "--index-url=http://evil.example/simple",
    "a" * 300,
    "d/" * 600,
    "../outside",
    "/etc/passwd",
    "../../x.py:__version__",
    "src/pkg/_version.py:__version__",
    "VERSION",
    "v{version}",
    "{verison}",
    "origin/main",
    "python:3.12-slim",
    "linux/amd64",
    "3.11",
    "auto",
    "ml/app",
    "127.0.0.1:5000",
    "line\nbreak",
    "cr\r\nX-Injected: 1",
    "nul\x00",
    "ünïcödé",
    "https://feed.example/upload/",
    "https://feed.example/simple/",
    f"https://:{CANARY}@feed.example/upload/",
    f"https://{CANARY}:@feed.example/upload/",
    f"https://user:{CANARY}@[::1]:8443/simple/",
    f"https://feed.example/upload/?token={CANARY}",
    f"https://feed.example/upload/#sig={CANARY}",
]
strings = st.one_of(st.sampled_from(HOSTILE_STRINGS), st.text(max_size=20))
datetimes = st.one_of(
    st.datetimes(
        min_value=dt.datetime(1, 1, 1), timezones=st.just(dt.timezone.utc) | st.none()
    ).map(lambda d: d.replace(microsecond=0)),
    st.dates(),
    st.times().map(lambda t: t.replace(microsecond=0)),
)
scalars = st.one_of(
    strings,
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    datetimes,
)
anything = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["a", "name", "x-y", "0"]), inner, max_size=3),
    ),
    max_leaves=6,
)


def typed(f: Any) -> st.SearchStrategy[Any]:  # noqa: PLR0911 - one answer per kind
    """A value of the right TOML type for the field (to get past the type checks)."""
    kind = f.metadata["kind"]
    if kind == "bool":
        return st.booleans()
    if kind in ("int", "number", "workers"):
        return st.one_of(st.integers(min_value=-5, max_value=2000), st.just("auto"))
    if kind == "enum":
        return st.sampled_from([*f.metadata["choices"], "nope"])
    if kind in ("str", "str?"):
        return strings
    if kind == "list[str]":
        return st.lists(strings, max_size=3)
    if kind == "map[str,str]":
        return st.dictionaries(
            st.sampled_from(["A", "-x", "rc/*", "main", "a b"]), strings, max_size=2
        )
    if kind == "section?":
        return st.fixed_dictionaries(
            {},
            optional={toml_key(g): typed(g) for g in config_fields(f.metadata["section"])},
        )
    if kind == "list[section]":
        image = st.fixed_dictionaries(
            {"name": st.sampled_from(["app", "ml/app", "-x"])},
            optional={toml_key(g): value_for(g) for g in IMAGE_FIELDS if toml_key(g) != "name"},
        )
        return st.lists(image, max_size=2)
    return anything


def value_for(f: Any) -> st.SearchStrategy[Any]:
    return st.one_of(typed(f), typed(f), anything)  # 2 in 3: the right type


def _tables() -> st.SearchStrategy[dict[str, Any]]:
    keyed = [(path, f) for path, f in LEAVES if f.metadata["kind"] != "section"]
    picks = st.lists(st.sampled_from(keyed), min_size=1, max_size=4, unique_by=lambda p: p[0])

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        table: dict[str, Any] = {}
        for path, f in draw(picks):
            node = table
            for part in path[:-1]:
                child = node.setdefault(part, {})
                if not isinstance(child, dict):
                    break
                node = child
            else:
                node[path[-1]] = draw(value_for(f))
        if draw(st.integers(0, 9)) == 0:  # a whole section of the wrong type
            table[draw(st.sampled_from(["lint", "test", "publish", "version"]))] = draw(scalars)
        return table

    return build()


def _write(root: Path, table: dict[str, Any]) -> None:
    text = tomlkit.dumps({"tool": {"mlrelease": table}})
    (root / "pyproject.toml").write_text(PYPROJECT + text, encoding="utf-8")


@pytest.mark.usefixtures("fast_outside")
@settings(
    max_examples=CONFIG_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(
    table=_tables(),
    command=st.sampled_from(
        [("check",), ("plan",), ("plan", "--json"), ("plan", "--stage", "lint")]
    ),
)
def test_any_table_gets_a_verdict_never_a_traceback(
    shared_project: Path, table: dict[str, Any], command: tuple[str, ...]
) -> None:
    try:
        _write(shared_project, table)
    except (ValueError, TypeError):  # what tomlkit cannot write is no TOML a user has
        reject()  # what tomlkit cannot write is no TOML a user has
    outcome = run_cli([*command, "--project", str(shared_project)], area="config")
    assert_answered(outcome)
    assert not canary_hits(CANARY, streams={"stdout": outcome.out, "stderr": outcome.err}), (
        outcome.show()
    )
    if outcome.code == 2:
        assert "pyproject.toml" in outcome.err, outcome.show()


def test_every_key_of_the_model_is_fuzzed() -> None:
    dotted = {".".join(p) for p, _ in LEAVES}
    for key in (
        "publish.images",
        "publish.feed.upload-url",
        "publish.feed.azure-artifacts.feed",
        "version.stamp",
        "lint.base",
        "docs.source",
        "build.outdir",
        "test.paths",
    ):
        assert key in dotted
    assert {toml_key(f) for f in IMAGE_FIELDS} >= {"name", "registry", "base-image", "tags"}
