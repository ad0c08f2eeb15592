"""The configuration package in its jobs: the generic parts (declaring, checking, parsing, reading)
know no table, so a new table or key is a declaration and nothing else."""

from __future__ import annotations

from tests.unit.test_architecture import SRC, graph

# The modules that declare tables: the only ones that may name a table class.
TABLES = {"mlrelease.config.model", "mlrelease.config.sections", "mlrelease.config.pins"}
GENERIC = {
    "mlrelease.config.fields",
    "mlrelease.config.checks",
    "mlrelease.config.parser",
    "mlrelease.config.reader",
    "mlrelease.config.toml_errors",
}


def test_the_generic_modules_import_no_table() -> None:
    edges = graph()
    wrong = {m: sorted(edges[m] & TABLES) for m in GENERIC if edges[m] & TABLES}
    assert not wrong


def test_only_the_parser_and_the_schema_read_the_rules_of_a_table() -> None:
    """required, nonempty, alternative and items_check are the parser's and the schema's to read;
    a table rule written anywhere else by a class's name would drift from the schema."""
    for stem in ("fields", "checks", "parser", "reader", "schema"):
        text = (SRC / "config" / f"{stem}.py").read_text(encoding="utf-8")
        named = [c for c in ("AzureArtifactsFeed", "FeedConfig", "ImageConfig") if c in text]
        assert not named, f"{stem}.py names {named}"


def test_every_module_of_the_package_is_under_400_lines() -> None:
    long = {
        p.name: n
        for p in (SRC / "config").glob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert not long
