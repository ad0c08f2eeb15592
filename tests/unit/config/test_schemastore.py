"""The SchemaStore form of the schema: committed as generated, valid draft-07, and it checks
pyproject files the way an editor would through SchemaStore's pyproject.json."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from referencing import Registry, Resource

from mlrelease.config.reader import tomllib
from mlrelease.config.schema import (
    SCHEMASTORE_FILE,
    SCHEMASTORE_ID,
    schemastore_schema,
    schemastore_text,
)

ROOT = Path(__file__).resolve().parents[3]


def _pyproject_validator() -> jsonschema.Draft7Validator:
    """What SchemaStore's pyproject.json does for tool.black, for tool.mlrelease: a $ref by $id."""
    committed = json.loads((ROOT / SCHEMASTORE_FILE).read_text(encoding="utf-8"))
    registry: Registry[Any] = Registry().with_resource(
        SCHEMASTORE_ID, Resource.from_contents(committed)
    )
    pyproject = {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "type": "object",
        "properties": {
            "tool": {"type": "object", "properties": {"mlrelease": {"$ref": SCHEMASTORE_ID}}}
        },
    }
    return jsonschema.Draft7Validator(pyproject, registry=registry)


def test_the_committed_file_is_the_generated_one() -> None:
    committed = (ROOT / SCHEMASTORE_FILE).read_text(encoding="utf-8")
    assert committed == schemastore_text(), "regenerate: mlrelease schema --schemastore > " + (
        SCHEMASTORE_FILE
    )


def test_the_command_prints_it() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlrelease", "schema", "--schemastore"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == schemastore_text()


def test_it_has_the_shape_schemastore_takes() -> None:
    schema = schemastore_schema()
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert schema["$id"] == "https://json.schemastore.org/partial-mlrelease.json"
    assert Path(SCHEMASTORE_FILE).name == "partial-mlrelease.json"
    assert schema["title"]
    assert "https://mlrelease.invalid/docs" in schema["description"]
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    jsonschema.Draft7Validator.check_schema(schema)


@pytest.mark.parametrize(
    "pyproject",
    [
        "examples/driftwatch/pyproject.toml",
        "pyproject.toml",
        "examples/featurestore-mono/pyproject.toml",
        "examples/featurestore-mono/packages/model/pyproject.toml",
    ],
)
def test_it_validates_real_pyprojects(pyproject: str) -> None:
    data = tomllib.loads((ROOT / pyproject).read_text(encoding="utf-8"))
    assert "mlrelease" in data["tool"]
    _pyproject_validator().validate(data)


def test_it_rejects_a_typo_and_a_wrong_type() -> None:
    validator = _pyproject_validator()
    typo = {"tool": {"mlrelease": {"test": {"coverage-minimum": 80}}}}
    errors = list(validator.iter_errors(typo))
    assert any("coverage-minimum" in e.message for e in errors)
    wrong = {"tool": {"mlrelease": {"test": {"coverage-min": "high"}}}}
    assert list(validator.iter_errors(wrong))
