"""The generic walker from a raw TOML table to a frozen section object.

:func:`parse_section` validates a raw table against the field metadata of its class
(:mod:`mlrelease.config.fields`), collects *every* problem, and builds the object; the keys the
user set go to :attr:`Collector.explicit` so ``mlrelease plan`` can mark defaults.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from mlrelease._util.redact import looks_like_secret
from mlrelease.config.checks import shown
from mlrelease.config.fields import (
    MAX_WORKERS,
    TABLE,
    Issue,
    alternatives,
    alternatives_words,
    config_fields,
    toml_key,
)
from mlrelease.errors import Problem

_TYPE_NAMES = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    list: "array",
    dict: "table",
}


def type_name(value: object) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class Collector:
    """Every problem found in one file, and the dotted keys the user set."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []
        self.explicit: set[str] = set()

    def add(self, key: str, message: str, hint: str = "") -> None:
        self.problems.append(Problem(self.file, key, message, hint))


T = TypeVar("T")


def _secret_check(value: str, path: str, out: Collector) -> bool:
    if looks_like_secret(value):
        out.add(
            path,
            "looks like a secret (a token, password or credential-bearing URL)",
            "never store credentials in pyproject.toml: remove it and set MLRELEASE_FEED_TOKEN "
            "or MLRELEASE_REGISTRY_PASSWORD in the environment (or use Azure OIDC)",
        )
        return True
    return False


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def _control_check(value: str, path: str, out: Collector) -> bool:
    """A newline, carriage return or other control character (header or argument injection)."""
    if _CONTROL_RE.search(value):
        out.add(
            path,
            f"contains a control character (newline, carriage return, tab...): {shown(value)}",
            'remove it; a TOML multi-line string ("""...""") keeps its trailing newline',
        )
        return True
    return False


def _run_check(f: dataclasses.Field[Any], value: Any, where: str, out: Collector) -> bool:
    if isinstance(value, str) and (
        _secret_check(value, where, out) or _control_check(value, where, out)
    ):
        return False
    check = f.metadata["check"]
    if check is not None:
        bad = check(value)
        if bad:
            out.add(where, bad[0], bad[1])
            return False
    return True


def _wrong_type(out: Collector, path: str, raw: object, expected: str, hint: str) -> None:
    """Record that the value at ``path`` is not of the expected type (and return None)."""
    out.add(path, f"must be {expected}, got {type_name(raw)} {shown(raw)}", hint)


def _leaf(path: str) -> str:
    return path.rsplit(".", 1)[-1]


def _parse_bool(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    if not isinstance(raw, bool):
        return _wrong_type(out, path, raw, "true or false", f"write {_leaf(path)} = true")
    return raw


def _parse_number(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    kind = f.metadata["kind"]
    if kind == "workers" and raw == "auto":
        return raw
    ok_types: tuple[type, ...] = (int,) if kind != "number" else (int, float)
    if isinstance(raw, bool) or not isinstance(raw, ok_types):
        expected = {"int": "an integer", "number": "a number"}.get(
            kind, 'a number of workers or "auto"'
        )
        return _wrong_type(
            out,
            path,
            raw,
            expected,
            "write a bare number without quotes" if isinstance(raw, str) else "",
        )
    value: int | float = raw  # type: ignore[assignment]  # int or float, checked above
    bad = _out_of_range(f, value, path)
    if bad:
        out.add(path, bad[0], bad[1])
        return None
    return raw


def _out_of_range(f: dataclasses.Field[Any], value: float, path: str) -> tuple[str, str] | None:
    """(message, hint) when ``value`` is not finite or outside the field's bounds."""
    kind = f.metadata["kind"]
    if isinstance(value, float) and not math.isfinite(value):
        return (
            f"must be a finite number, got {value}",
            f"write a number, e.g. {_leaf(path)} = {f.default:g}",
        )
    lo = f.metadata["minimum"] if kind != "workers" else 0
    hi = f.metadata["maximum"] if kind != "workers" else MAX_WORKERS
    if kind == "number" and hi is not None and (value < lo or value > hi):
        return (
            f"must be between {lo:g} and {hi:.10g}, got {shown(value)}",
            f"write a value in that range, e.g. {_leaf(path)} = {f.default:g}",
        )
    if lo is not None and value < lo:
        return (f"must be at least {lo:g}, got {shown(value)}", f"write a value of {lo:g} or more")
    if hi is not None and value > hi:
        return (
            f"must be at most {hi:.10g}, got {shown(value)}",
            f"write a value of {hi:.10g} or less",
        )
    return None


def _parse_str(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    if not isinstance(raw, str):
        return _wrong_type(out, path, raw, "a string", "put the value in quotes")
    return raw if _run_check(f, raw, path, out) else None


def _parse_enum(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    choices = f.metadata["choices"]
    if not isinstance(raw, str) or raw not in choices:
        near = difflib.get_close_matches(str(raw), choices, n=1)
        hint = f"did you mean {near[0]!r}? " if near else ""
        out.add(
            path,
            f"must be one of {', '.join(repr(c) for c in choices)}, got {shown(raw)}",
            f"{hint}choose one of the listed values",
        )
        return None
    return raw


def _parse_str_list(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    if not isinstance(raw, list):
        return _wrong_type(out, path, raw, "an array of strings", f'write {_leaf(path)} = ["..."]')
    good = True
    for i, item in enumerate(raw):
        where = f"{path}[{i}]"
        if not isinstance(item, str):
            _wrong_type(out, where, item, "a string", "put the value in quotes")
            good = False
        elif not _run_check(f, item, where, out):
            good = False
    return tuple(raw) if good else None


def _parse_str_map(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    if not isinstance(raw, dict):
        return _wrong_type(
            out, path, raw, "a table of strings", f'write {_leaf(path)} = {{ name = "value" }}'
        )
    good = True
    for k, v in raw.items():
        where = f"{path}.{k}"
        if not isinstance(v, str):
            _wrong_type(out, where, v, "a string", "put the value in quotes")
            good = False
        elif (
            _control_check(k, where, out)
            or _secret_check(v, where, out)
            or _control_check(v, where, out)
        ):
            good = False
        else:
            key_check, check = f.metadata["key_check"], f.metadata["check"]
            for bad in (key_check(k) if key_check else None, check(v) if check else None):
                if bad:
                    out.add(where, bad[0], bad[1])
                    good = False
    return dict(raw) if good else None


def _parse_table(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    if not isinstance(raw, dict):
        return _wrong_type(out, path, raw, "a table", f"write it as [{path}]")
    return parse_section(f.metadata["section"], raw, path, out)


def _parse_table_list(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    if not isinstance(raw, list) or not all(isinstance(x, dict) for x in raw):
        return _wrong_type(out, path, raw, "an array of tables", f"write each entry as [[{path}]]")
    cls = f.metadata["section"]
    items = [parse_section(cls, x, f"{path}[{i}]", out) for i, x in enumerate(raw)]
    items_check = f.metadata["items_check"]
    issues = items_check(raw, path) if items_check else []
    for key, message, hint in issues:
        out.add(key, message, hint)
    if issues:
        return None
    return tuple(items) if all(i is not None for i in items) else None


_PARSERS: dict[str, Callable[[dataclasses.Field[Any], object, str, Collector], Any]] = {
    "bool": _parse_bool,
    "int": _parse_number,
    "number": _parse_number,
    "workers": _parse_number,
    "str": _parse_str,
    "str?": _parse_str,
    "enum": _parse_enum,
    "list[str]": _parse_str_list,
    "map[str,str]": _parse_str_map,
    "section": _parse_table,
    "section?": _parse_table,
    "list[section]": _parse_table_list,
}


def _parse_value(f: dataclasses.Field[Any], raw: object, path: str, out: Collector) -> Any:
    """The validated value of one key, or None after recording the problems."""
    return _PARSERS[f.metadata["kind"]](f, raw, path, out)


def parse_section(cls: type[T], raw: Mapping[str, object], path: str, out: Collector) -> T | None:
    """The table ``raw`` at dotted ``path`` as a ``cls``, or None after recording the problems."""
    fields = {toml_key(f): f for f in config_fields(cls)}
    values: dict[str, Any] = {}
    failed = False
    for key, value in raw.items():
        where = f"{path}.{key}"
        if key not in fields:
            failed = True
            if re.search(r"(password|passwd|token|secret|api[-_]?key|credential)", key, re.I):
                out.add(
                    where,
                    "secrets never belong in pyproject.toml",
                    "remove the key; mlrelease reads credentials from the environment "
                    "(MLRELEASE_FEED_TOKEN, MLRELEASE_REGISTRY_PASSWORD) or Azure OIDC",
                )
                continue
            near = difflib.get_close_matches(key, list(fields), n=1, cutoff=0.6)
            hint = f"did you mean {near[0]!r}?" if near else f"valid keys: {', '.join(fields)}"
            out.add(where, "unknown key", hint)
            continue
        f = fields[key]
        parsed = _parse_value(f, value, where, out)
        if parsed is None:
            failed = True
            continue
        values[f.name] = parsed
        if f.metadata["kind"] not in ("section",):
            out.explicit.add(where.removeprefix(f"{TABLE}."))
    # Sections that were not given still get their defaults (so every sub-object exists).
    for f in fields.values():
        if f.metadata["kind"] == "section" and f.name not in values:
            values[f.name] = f.metadata["section"]()
    if failed:
        return None
    obj = cls(**values)
    bad = table_issues(obj, path)
    for key, message, hint in bad:
        out.add(key, message, hint)
    return None if bad else obj


def table_issues(obj: object, path: str) -> list[Issue]:
    """The rules of a table that involve more than one key or the key's absence, from the
    ``required``, ``nonempty`` and ``alternative`` metadata of its fields."""
    cls = type(obj)
    issues: list[Issue] = []
    for f in config_fields(cls):
        words = f.metadata.get("required") or f.metadata.get("nonempty")
        if words and not getattr(obj, f.name):
            issues.append((f"{path}.{toml_key(f)}", words[0], words[1]))
    ways = alternatives(cls)
    if not ways:
        return issues
    rule = alternatives_words(cls)
    chosen = [way for way, keys in ways.items() if getattr(obj, keys[0].name)]
    if not chosen:
        return [*issues, (path, rule.missing[0], rule.missing[1])]
    first = toml_key(ways[chosen[0]][0])
    for way, keys in ways.items():
        given = [f for f in keys if getattr(obj, f.name)]
        if way != chosen[0] and given:
            key = f"{path}.{toml_key(given[0])}"
            return [*issues, (key, f"cannot be combined with {first}", rule.conflict_hint)]
    return issues
