"""The rules of a table declared in the field metadata (required, non-empty, one way of several)
make both the JSON schema and the parser's checks: the two accept the same tables."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any, ClassVar

import jsonschema
import pytest

from mlrelease.config.fields import Alternatives, opt
from mlrelease.config.parser import Collector, parse_section
from mlrelease.config.schema import section_schema


@dataclass(frozen=True, kw_only=True)
class _Target:
    """A table that names its target one of three ways: a, b (with b-extra) or c."""

    ALTERNATIVES: ClassVar[Alternatives] = Alternatives(
        missing=("names no target", "set a, b or c"), conflict_hint="use one way"
    )

    a: str | None = opt(None, "Way a.", kind="str?", alternative="a")
    b: str | None = opt(None, "Way b.", kind="str?", alternative="b")
    b_extra: str | None = opt(None, "Goes with b.", kind="str?", key="b-extra", alternative="b")
    c: str | None = opt(None, "Way c.", kind="str?", alternative="c")
    name: str = opt("", "Required.", kind="str", required=("is required", "give a name"))
    tags: tuple[str, ...] = opt(
        ["x"], "Not empty.", kind="list[str]", nonempty=("must list a tag", "list one")
    )


def _problems(table: dict[str, Any]) -> list[tuple[str, str, str]]:
    out = Collector("pyproject.toml")
    parse_section(_Target, table, "t", out)
    return [(p.key, p.message, p.hint) for p in out.problems]


def _schema_accepts(table: dict[str, Any]) -> bool:
    schema = section_schema(_Target)
    jsonschema.Draft7Validator.check_schema(schema)
    return bool(jsonschema.Draft7Validator(schema).is_valid(table))


_KEYS = ("a", "b", "b-extra", "c")
_TABLES = [
    {**dict.fromkeys(keys, "v"), "name": "n"}
    for size in range(len(_KEYS) + 1)
    for keys in itertools.combinations(_KEYS, size)
]


@pytest.mark.parametrize("table", _TABLES, ids=lambda t: "+".join(k for k in t if k != "name"))
def test_schema_and_parser_agree_on_the_ways(table: dict[str, Any]) -> None:
    chosen = [k for k in ("a", "b", "c") if k in table]
    assert _schema_accepts(table) == (
        len(chosen) == 1 and not ("b-extra" in table and "b" not in chosen)
    )
    assert (not _problems(table)) == _schema_accepts(table)


def test_the_parser_says_which_key_conflicts_and_when_none_is_chosen() -> None:
    assert _problems({"name": "n", "a": "v", "b-extra": "v"}) == [
        ("t.b-extra", "cannot be combined with a", "use one way")
    ]
    assert _problems({"name": "n", "b-extra": "v"}) == [("t", "names no target", "set a, b or c")]


def test_required_and_nonempty_come_from_the_metadata() -> None:
    schema = section_schema(_Target)
    assert schema["required"] == ["name"]
    assert schema["properties"]["tags"]["minItems"] == 1
    table = {"a": "v", "tags": []}
    assert not _schema_accepts(table)
    assert _problems(table) == [
        ("t.name", "is required", "give a name"),
        ("t.tags", "must list a tag", "list one"),
    ]
