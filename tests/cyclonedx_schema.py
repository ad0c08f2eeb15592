"""Validate a CycloneDX document against the official 1.5 JSON schema (vendored, offline)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource

SCHEMAS = Path(__file__).parent / "schemas" / "cyclonedx"


@functools.cache
def _validator() -> jsonschema.Draft7Validator:
    resources = []
    for path in sorted(SCHEMAS.glob("*.schema.json")):
        schema = json.loads(path.read_text(encoding="utf-8"))
        resource = Resource.from_contents(schema)
        resources += [(path.name, resource), (schema["$id"], resource)]
    registry: Registry[Any] = Registry().with_resources(resources)
    root = json.loads((SCHEMAS / "bom-1.5.SNAPSHOT.schema.json").read_text(encoding="utf-8"))
    return jsonschema.Draft7Validator(
        root, registry=registry, format_checker=jsonschema.FormatChecker()
    )


def validate_cyclonedx(doc: dict[str, Any]) -> None:
    """Raise ``jsonschema.ValidationError`` unless ``doc`` is valid CycloneDX 1.5, and
    ``AssertionError`` when two entries share a bom-ref (the spec requires unique ones)."""
    assert doc.get("specVersion") == "1.5", doc.get("specVersion")
    _validator().validate(doc)
    refs = [doc["metadata"]["component"]["bom-ref"]] + [
        c["bom-ref"] for c in doc.get("components", [])
    ]
    assert len(refs) == len(set(refs)), (
        f"duplicate bom-ref: {sorted(r for r in refs if refs.count(r) > 1)}"
    )
