"""How one key of ``[tool.mlrelease]`` is declared: :func:`opt` and the metadata it records.

Each field of a section dataclass (:mod:`mlrelease.config.sections`) carries its TOML key, kind,
default, description, value check and the rules that involve the table around it (required,
non-empty, one of several alternatives). The parser (:mod:`mlrelease.config.parser`), the JSON
schema (:mod:`mlrelease.config.schema`) and the reference docs all read this one declaration.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

TABLE = "tool.mlrelease"
MAX_WORKERS = 1024  # the bound of a "workers" key

Kind = Literal[
    "bool",
    "int",
    "number",
    "str",
    "str?",
    "enum",
    "list[str]",
    "map[str,str]",
    "section",
    "section?",
    "list[section]",
    "workers",
]

Issue = tuple[str, str, str]  # (dotted key, message, hint)
Words = tuple[str, str]  # (message, hint)


def opt(
    default: Any,
    doc: str,
    *,
    kind: Kind,
    key: str | None = None,
    choices: tuple[str, ...] = (),
    minimum: float | None = None,
    maximum: float | None = None,
    check: Callable[[Any], Words | None] | None = None,
    key_check: Callable[[str], Words | None] | None = None,
    section: type | None = None,
    default_doc: str | None = None,
    required: Words | None = None,
    nonempty: Words | None = None,
    alternative: str | None = None,
    items_check: Callable[[list[Any], str], list[Issue]] | None = None,
) -> Any:
    """Declare one configuration key. ``check`` returns ``(message, hint)`` for a bad value (of
    a table of strings: each value), ``key_check`` for a bad name in a table of strings.

    ``required``: the key must be given (the schema's ``required``); ``nonempty``: an empty string
    or array is refused (``minLength``/``minItems``). Each is the ``(message, hint)`` the parser
    reports when the value is missing or empty. ``alternative``: the name of the way of saying
    the table's one thing this key belongs to (see :class:`Alternatives`). ``items_check``: a
    check over the entries of an array of tables, given the raw entries and the array's key.
    """
    meta = {
        "key": key,
        "kind": kind,
        "doc": doc,
        "choices": choices,
        "minimum": minimum,
        "maximum": maximum,
        "check": check,
        "key_check": key_check,
        "section": section,
        "default_doc": default_doc,
        "required": required,
        "nonempty": nonempty,
        "alternative": alternative,
        "items_check": items_check,
    }
    if isinstance(default, (list, dict)) or kind in ("section", "section?", "list[section]"):
        frozen = tuple(default) if isinstance(default, list) else default
        if isinstance(default, dict):
            return field(default_factory=lambda: dict(default), metadata=meta)
        if kind == "section" and section is not None:
            return field(default_factory=section, metadata=meta)
        return field(default=frozen, metadata=meta)
    return field(default=default, metadata=meta)


@dataclass(frozen=True)
class Alternatives:
    """A table that takes exactly one of several ways of saying one thing (a feed: azure-artifacts,
    or upload-url with index-url). Each key of a way says ``alternative="<way>"`` in :func:`opt`;
    the first key declared of a way is the one that chooses it, the others go only with it.

    A section class names this as its ``ALTERNATIVES`` class variable; the schema's ``oneOf`` and
    the parser's check are made from the keys, these are the words of the parser's messages.
    """

    missing: Words  # (message, hint) when no way is chosen
    conflict_hint: str  # the hint when a key of a second way is set too


def config_fields(cls: type) -> list[dataclasses.Field[Any]]:
    """The user-facing fields of a section class, in declaration order."""
    return [f for f in dataclasses.fields(cls) if not f.metadata.get("internal")]


def toml_key(f: dataclasses.Field[Any]) -> str:
    key = f.metadata.get("key")
    return key if isinstance(key, str) else f.name.replace("_", "-")


def alternatives(cls: type) -> dict[str, list[dataclasses.Field[Any]]]:
    """The ways of a section class (see :class:`Alternatives`), each with its keys, in order."""
    ways: dict[str, list[dataclasses.Field[Any]]] = {}
    for f in config_fields(cls):
        way = f.metadata.get("alternative")
        if way:
            ways.setdefault(way, []).append(f)
    return ways


def alternatives_words(cls: type) -> Alternatives:
    """The words of a section class that has alternatives."""
    words = getattr(cls, "ALTERNATIVES", None)
    if not isinstance(words, Alternatives):
        raise TypeError(f"{cls.__name__} declares alternative keys but no ALTERNATIVES words")
    return words
