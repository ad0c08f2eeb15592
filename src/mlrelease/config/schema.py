"""JSON schema of ``[tool.mlrelease]``, generated from the model in :mod:`mlrelease.config.model`.

Shipped in the wheel and exposed through the ``validate_pyproject.tool_schema`` entry point, so
validate-pyproject and editors (Even Better TOML, via SchemaStore-style association) check the table.

Checks that JSON schema cannot express stay in the model only and are listed in
:data:`MODEL_ONLY_CHECKS` (the tests hold the two in agreement on everything else).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from mlrelease.config import checks
from mlrelease.config import model as c
from mlrelease.config.fields import MAX_WORKERS, alternatives, config_fields, toml_key

SCHEMA_ID = "https://mlrelease.invalid/schema/tool-mlrelease.json"
MODEL_ONLY_CHECKS = (
    "duplicate image names (registry + name)",
    "non-finite numbers (nan, inf): JSON has no NaN, and a NaN compares false with every bound",
)

# Regexes mirroring the field checks in checks.py (JSON-schema dialect: ECMA 262).
_SECRET_NOT = {
    "not": {
        "anyOf": [
            {
                "pattern": r"^(ghp|gho|ghs|ghu|github_pat|glpat|xox[abp]|sk|pypi)[-_][A-Za-z0-9_\-]{16,}"
            },
            {"pattern": r"^AKIA[0-9A-Z]{16}$"},
            {"pattern": r"^eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\."},
            {"pattern": r"^[a-z2-7]{52}$"},
            {"pattern": r"^[A-Za-z0-9]{84}$"},
            {"pattern": r"://[^/?#\s@]*:[^/?#\s]*@"},
            {"pattern": r"[hH][tT][tT][pP][sS]?://[^/?#\s]*@"},
            {
                "pattern": r"://\S*[?&#;]([A-Za-z0-9_.-]*([tT][oO][kK][eE][nN]|[sS][iI][gG]|[sS][eE][cC][rR][eE][tT]|[pP][aA][sS][sS][wW]|[pP][wW][dD]|[aA][pP][iI][-_]?[kK][eE][yY]|[cC][rR][eE][dD][eE][nN][tT][iI][aA][lL]|[aA][uU][tT][hH])[A-Za-z0-9_.-]*|[kK][eE][yY]|[cC][oO][dD][eE])=[^&#\s]"
            },
        ]
    },
}
_TAG_RE = r"^[A-Za-z0-9_{][A-Za-z0-9_.{}-]{0,127}$"
_CHECK_PATTERNS: dict[Any, dict[str, Any]] = {
    checks.check_tag_format: {
        "pattern": r"^([A-Za-z0-9_][A-Za-z0-9._/-]*)?\{version\}[A-Za-z0-9._/-]*$"
    },
    checks.check_python_version: {"pattern": r"^3\.[0-9]{1,2}$"},
    checks.check_http_url: {"pattern": r"^https?://[^/\s]+\S*$"},
    checks.check_upload_url: {
        "pattern": r"^https?://[^/\s]+\S*$",
        "not": {"pattern": r"/(simple|\+simple)/?$"},
    },
    checks.check_relative_path: {"minLength": 1, "not": {"pattern": r"(^/|(^|/)\.\.(/|$))"}},
    checks.check_name: {"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]*$"},
    checks.check_image_name: {"pattern": checks.IMAGE_NAME_RE.pattern},
    checks.check_registry: {"pattern": checks.REGISTRY_RE.pattern},
    checks.check_platform: {
        "pattern": r"^linux/(amd64|arm64|arm/v7|arm/v6|386|ppc64le|s390x|riscv64)$"
    },
    checks.check_glob: {"pattern": r"^[^/ ][^ ]*$"},
    checks.check_arg_name: {"pattern": r"^[A-Za-z_][A-Za-z0-9_.-]*$"},
    checks.check_image_tag: {
        "pattern": _TAG_RE,
        "not": {"pattern": r"\{(?!(version|major|minor|patch|short_sha|sha)\})"},
    },
    checks.check_tool_version: {
        "pattern": r"^([0-9][0-9A-Za-z.+!*-]*|(\s*(==|!=|<=|>=|<|>|~=|===)\s*[0-9A-Za-z.*+!-]+\s*,?)+)$"
    },
}


# No control character in any string (a newline or CR would inject headers or arguments). The
# model's regexes use fullmatch; JSON schema validators differ on whether "$" matches before a
# final newline, so this guard says it explicitly.
_CONTROL_NOT = {"not": {"pattern": "[\\x00-\\x1f\\x7f]"}}


def _with_secret_guard(schema: dict[str, Any]) -> dict[str, Any]:
    if "not" in schema:
        return {"allOf": [schema, _SECRET_NOT, _CONTROL_NOT]}
    return {**schema, "allOf": [_SECRET_NOT, _CONTROL_NOT]}


def _string_schema(f: dataclasses.Field[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    check = f.metadata.get("check")
    if check in _CHECK_PATTERNS:
        schema.update(_CHECK_PATTERNS[check])
    return _with_secret_guard(schema)


def _number_schema(f: dataclasses.Field[Any]) -> dict[str, Any]:
    meta = f.metadata
    s: dict[str, Any] = {"type": "integer" if meta["kind"] == "int" else "number"}
    if meta["minimum"] is not None:
        s["minimum"] = meta["minimum"]
    if meta["maximum"] is not None:
        s["maximum"] = meta["maximum"]
    return s


# Checks that accept a closed set of values (no secret can hide in one).
_CHECK_ENUMS: dict[Any, tuple[str, ...]] = {checks.check_token: checks.PRERELEASE_TOKENS}


def _map_schema(f: dataclasses.Field[Any]) -> dict[str, Any]:
    check, key_check = f.metadata["check"], f.metadata["key_check"]
    values = (
        {"enum": list(_CHECK_ENUMS[check])}
        if check in _CHECK_ENUMS
        else _with_secret_guard({"type": "string"})
    )
    names = {**_CHECK_PATTERNS.get(key_check, {}), **_CONTROL_NOT}
    return {"type": "object", "additionalProperties": values, "propertyNames": names}


_KIND_SCHEMAS: dict[str, Any] = {
    "bool": lambda f: {"type": "boolean"},
    "int": _number_schema,
    "number": _number_schema,
    "workers": lambda f: {
        "oneOf": [{"type": "integer", "minimum": 0, "maximum": MAX_WORKERS}, {"const": "auto"}]
    },
    "str": _string_schema,
    "str?": _string_schema,
    "enum": lambda f: {"enum": list(f.metadata["choices"])},
    "list[str]": lambda f: {"type": "array", "items": _string_schema(f)},
    "map[str,str]": _map_schema,
    "section": lambda f: section_schema(f.metadata["section"]),
    "section?": lambda f: section_schema(f.metadata["section"]),
    "list[section]": lambda f: {"type": "array", "items": section_schema(f.metadata["section"])},
}


def _field_schema(f: dataclasses.Field[Any]) -> dict[str, Any]:
    schema: dict[str, Any] = dict(_KIND_SCHEMAS[f.metadata["kind"]](f))
    schema["description"] = f.metadata["doc"]
    default = _default_of(f)
    if default is not None:
        schema["default"] = default
    if f.metadata.get("nonempty"):
        schema["minItems" if f.metadata["kind"].startswith("list[") else "minLength"] = 1
    return schema


def _default_of(f: dataclasses.Field[Any]) -> Any:
    if f.metadata["kind"] in ("section", "section?", "list[section]"):
        return None
    if f.default is not dataclasses.MISSING:
        value = f.default
    elif f.default_factory is not dataclasses.MISSING:
        value = f.default_factory()
    else:  # pragma: no cover
        return None
    if isinstance(value, tuple):
        return list(value)
    return value


def section_schema(cls: type) -> dict[str, Any]:
    fields = config_fields(cls)
    props = {toml_key(f): _field_schema(f) for f in fields}
    schema: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": props}
    required = [toml_key(f) for f in fields if f.metadata.get("required")]
    if required:
        schema["required"] = required
    one_of = _one_of(cls)
    if one_of:
        schema["oneOf"] = one_of
    return schema


def _one_of(cls: type) -> list[dict[str, Any]]:
    """One branch per way of a table with alternatives: its first key, and no key of another."""
    ways = alternatives(cls)
    branches: list[dict[str, Any]] = []
    for way, keys in ways.items():
        others = [{"required": [toml_key(f)]} for w, fs in ways.items() if w != way for f in fs]
        refused = others[0] if len(others) == 1 else {"anyOf": others}
        branches.append({"required": [toml_key(keys[0])], "not": refused})
    return branches


def tool_schema(tool_name: str = "mlrelease") -> dict[str, Any]:
    """The schema of the ``[tool.mlrelease]`` table.

    Also validate-pyproject's ``validate_pyproject.tool_schema`` entry point, which passes the tool
    name.
    """
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "[tool.mlrelease]",
        "description": "Configuration of mlrelease: lint, test, docs, build, version and publish.",
        **section_schema(c.Config),
    }


SCHEMASTORE_ID = "https://json.schemastore.org/partial-mlrelease.json"
SCHEMASTORE_FILE = "schema/partial-mlrelease.json"  # in the repository, what is submitted


def schemastore_schema() -> dict[str, Any]:
    """The schema in the form SchemaStore takes for a pyproject ``[tool.X]`` table.

    A standalone draft-07 file, ``partial-mlrelease.json``, that SchemaStore's ``pyproject.json``
    references for ``tool.mlrelease`` (as ``partial-black.json`` for ``tool.black``), so editors
    (Even Better TOML / taplo, PyCharm, VS Code) complete and check the table without the
    validate-pyproject plug-in. Written by ``mlrelease schema --schemastore``.
    """
    body = {k: v for k, v in tool_schema().items() if not k.startswith("$")}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMASTORE_ID,
        "$comment": "tool.mlrelease table in pyproject.toml",
        **body,
        "title": "mlrelease",
        "description": "[tool.mlrelease]: how mlrelease lints, tests, documents, builds, versions "
        "and publishes an ML Python package (https://mlrelease.invalid/docs).",
    }


def schemastore_text() -> str:
    """The file's exact text (what ``mlrelease schema --schemastore`` prints)."""
    return json.dumps(schemastore_schema(), indent=2, ensure_ascii=False) + "\n"
