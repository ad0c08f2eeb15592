"""The shipped JSON schema and the model agree: what one rejects, the other rejects."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from mlrelease.config.model import parse_config
from mlrelease.config.schema import tool_schema
from mlrelease.errors import ConfigError
from tests.unit.config.bad_configs import BAD

# Rejected by the model only: JSON schema cannot compare items of an array by one field, and JSON
# has no NaN (a NaN compares false with every bound).
MODEL_ONLY = {"duplicate-image-names", "coverage-nan"}

VALID: list[dict[str, Any]] = [
    {},
    {"python": ["3.11"], "source": "src/pkg"},
    {"lint": {"mypy": "strict", "fail-on": "new"}},
    {"test": {"coverage-min": 0, "workers": "auto"}},
    {"test": {"coverage-min": 100, "workers": 4}},
    {"docs": {"source": "doc", "define": {"nitpicky": "1"}}},
    {"tools": {"ruff": "0.17.5", "pytest": ">=8,<10"}},
    {
        "version": {
            "tag-format": "mypkg-v{version}",
            "prerelease-branches": {"rc/*": "rc", "beta": "b"},
        }
    },
    {"publish": {"feed": {"azure-artifacts": {"organization": "o", "feed": "f"}}}},
    {
        "publish": {
            "feed": {
                "upload-url": "https://x.example/upload/",
                "index-url": "https://x.example/simple/",
            }
        }
    },
    {
        "publish": {
            "images": [
                {
                    "name": "ml/drift",
                    "registry": "127.0.0.1:5000",
                    "tags": ["{version}", "sha-{short_sha}", "latest"],
                }
            ]
        }
    },
]


def _validator() -> jsonschema.Draft7Validator:
    schema = tool_schema()
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema)


@pytest.mark.parametrize("table", VALID, ids=range(len(VALID)))
def test_schema_and_model_accept_valid(table: dict[str, Any]) -> None:
    parse_config(table)
    errors = list(_validator().iter_errors(table))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("case", [b for b in BAD if b[0] not in MODEL_ONLY], ids=lambda b: b[0])
def test_schema_rejects_what_the_model_rejects(
    case: tuple[str, dict[str, Any], str, str, str],
) -> None:
    table = case[1]
    with pytest.raises(ConfigError):
        parse_config(table)
    assert list(_validator().iter_errors(table)), f"schema accepted {table}"


@pytest.mark.parametrize("case", [b for b in BAD if b[0] in MODEL_ONLY], ids=lambda b: b[0])
def test_model_only_checks_are_ones_the_schema_cannot_make(
    case: tuple[str, dict[str, Any], str, str, str],
) -> None:
    """Each case the schema is excused from: the model rejects it and the schema accepts it (were
    the schema to learn it, the excuse would go), and the schema module lists one check per case."""
    from mlrelease.config.schema import MODEL_ONLY_CHECKS

    table = case[1]
    with pytest.raises(ConfigError):
        parse_config(table)
    assert not list(_validator().iter_errors(table)), f"the schema rejects {table} after all"
    assert len(MODEL_ONLY_CHECKS) == len(MODEL_ONLY)


def test_schema_is_json_and_has_defaults_and_descriptions() -> None:
    schema = json.loads(json.dumps(tool_schema()))
    cov = schema["properties"]["test"]["properties"]["coverage-min"]
    assert cov["default"] == 80
    assert cov["maximum"] == 100
    assert "Coverage" in cov["description"]
    assert schema["additionalProperties"] is False


def test_validate_pyproject_plugin_uses_the_schema() -> None:
    """validate-pyproject finds the schema through the entry point and rejects a typo."""
    from validate_pyproject import api, plugins

    names = [p.tool for p in plugins.list_from_entry_points()]
    assert "mlrelease" in names
    validator = api.Validator()
    good = {"project": {"name": "x", "version": "1"}, "tool": {"mlrelease": {"python": ["3.11"]}}}
    validator(good)
    bad = {
        "project": {"name": "x", "version": "1"},
        "tool": {"mlrelease": {"test": {"coverage-minimum": 80}}},
    }
    with pytest.raises(Exception, match="coverage-minimum"):
        validator(bad)


def test_the_secret_patterns_of_the_schema_are_the_models() -> None:
    from mlrelease._util import redact
    from mlrelease.config import schema

    model = [p.pattern for p in redact._SECRET_PATTERNS]
    shipped = [s["pattern"] for s in schema._SECRET_NOT["not"]["anyOf"]]
    assert shipped == model
