"""The generated reference pages list exactly what the code defines, so the docs cannot drift."""

from __future__ import annotations

import dataclasses
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from mlrelease.cli.main import build_parser
from mlrelease.config import model as c

DOCS = Path(__file__).resolve().parents[2] / "docs"
sys.path.insert(0, str(DOCS / "_ext"))

import mlrelease_reference as ref  # noqa: E402  # docs/_ext is not a package


def _expected_keys() -> set[str]:
    """Walk the model independently of the extension: every (table, key) a user can write."""
    keys: set[str] = set()

    def walk(cls: type, table: str) -> None:
        for f in dataclasses.fields(cls):
            if f.metadata.get("internal"):
                continue
            key = f.metadata.get("key") or f.name.replace("_", "-")
            keys.add(f"{table}.{key}")
            kind = f.metadata["kind"]
            if kind in ("section", "section?"):
                walk(f.metadata["section"], f"{table}.{key}")
            elif kind == "list[section]":
                walk(f.metadata["section"], f"{table}.{key}[]")

    walk(c.Config, "tool.mlrelease")
    return keys


def _keys_in_markdown(text: str) -> set[str]:
    keys: set[str] = set()
    table = ""
    for line in text.splitlines():
        head = re.match(r"^## `\[\[?([^\]]+)\]\]?`", line)
        if head:
            table = head.group(1) + ("[]" if line.startswith("## `[[") else "")
            continue
        row = re.match(r"^\| `([a-z0-9-]+)` \|", line)
        if row and table:
            keys.add(f"{table}.{row.group(1)}")
    return keys


def test_config_reference_lists_every_key_of_the_model() -> None:
    expected = _expected_keys()
    listed = _keys_in_markdown(ref.render_config_markdown())
    assert listed == expected
    assert "tool.mlrelease.publish.images[].tags" in listed
    assert "tool.mlrelease.publish.feed.azure-artifacts.organization" in listed


def test_config_reference_shows_type_default_and_description() -> None:
    text = ref.render_config_markdown()
    row = next(line for line in text.splitlines() if line.startswith("| `coverage-min` |"))
    assert "number (0 to 100)" in row
    assert "`80`" in row
    assert "Coverage floor" in row
    fail_on = next(line for line in text.splitlines() if line.startswith("| `fail-on` |"))
    assert 'one of "all", "new"' in fail_on


def _all_parsers() -> list[tuple[str, Any]]:
    found: list[tuple[str, Any]] = []

    def walk(p: Any, name: str) -> None:
        found.append((name, p))
        for action in p._actions:
            if hasattr(action, "choices") and isinstance(action.choices, dict):
                for child, sub in action.choices.items():
                    walk(sub, f"{name} {child}")

    walk(build_parser(), "mlrelease")
    return found


def test_cli_reference_lists_every_command_and_option() -> None:
    text = ref.render_cli_markdown()
    for name, parser in _all_parsers():
        assert f"## `{name}`" in text, name
        section = text.split(f"## `{name}`", 1)[1].split("\n## ", 1)[0]
        for action in parser._actions:
            if action.help == "==SUPPRESS==" or "-h" in action.option_strings:
                continue
            if action.option_strings:
                assert action.option_strings[-1] in section, (name, action.option_strings)


def test_workflow_reference_lists_inputs_outputs_and_secrets(tmp_path: Path) -> None:
    (tmp_path / "reusable.yml").write_text(
        "# Does the thing.\nname: thing\non:\n  workflow_call:\n"
        "    inputs:\n      level:\n        description: How hard.\n        type: number\n"
        "        default: 3\n"
        "    outputs:\n      result:\n        description: What came out.\n"
        "        value: ${{ jobs.a.outputs.r }}\n"
        "    secrets:\n      token:\n        description: A token.\n        required: true\n"
        "jobs: {}\n",
        encoding="utf-8",
    )
    (tmp_path / "push.yml").write_text("on: push\njobs: {}\n", encoding="utf-8")
    text = ref.render_workflows_markdown(tmp_path)
    assert "## `reusable.yml`" in text
    assert "push.yml" not in text  # not reusable
    assert "| `level` | number | no | `3` | How hard. |" in text
    assert "| `result` | What came out. |" in text
    assert "| `token` | yes | A token. |" in text


def test_workflow_reference_covers_the_repository_workflows() -> None:
    text = ref.render_workflows_markdown()
    for wf in ref.reusable_workflows():
        for item in wf.items:
            assert f"`{item.name}`" in text.split(f"## `{wf.file}`", 1)[1], (wf.file, item.name)


@pytest.mark.slow
def test_built_configuration_page_lists_every_key(tmp_path: Path) -> None:
    """Build the real site (text builder) and read the page a user reads."""
    from sphinx.cmd.build import build_main

    out = tmp_path / "text"
    code = build_main(["-q", "-W", "--keep-going", "-b", "text", str(DOCS), str(out)])
    assert code == 0
    page = (out / "reference" / "configuration.txt").read_text(encoding="utf-8")
    listed: set[str] = set()
    table = ""
    for line in page.splitlines():
        head = re.match(r'^"\[\[?([^\]]+)\]\]?"$', line)
        if head:
            table = head.group(1) + ("[]" if line.startswith('"[[') else "")
            continue
        row = re.match(r'^\| "([a-z0-9-]+)"\s', line)
        if row and table:
            listed.add(f"{table}.{row.group(1)}")
    assert listed == _expected_keys()


@pytest.mark.slow
def test_generated_pages_keep_double_hyphens_and_straight_quotes(tmp_path: Path) -> None:
    """Build the generated reference pages to HTML with the site's conf.py: an option a reader
    copies (``--strict``, ``--cov-fail-under``) is written with two hyphens, never an en-dash, and
    a value ("auto") keeps straight quotes."""
    import shutil

    from sphinx.cmd.build import build_main

    src = tmp_path / "src"
    shutil.copytree(DOCS / "_ext", src / "_ext")
    shutil.copy(DOCS / "conf.py", src / "conf.py")
    shutil.copytree(DOCS / "reference", src / "reference")
    pages = sorted(p.stem for p in (src / "reference").glob("*.md"))
    (src / "index.md").write_text(
        "# Reference\n\n```{toctree}\n" + "".join(f"reference/{p}\n" for p in pages) + "```\n",
        encoding="utf-8",
    )
    out = tmp_path / "html"
    assert build_main(["-q", "-b", "html", str(src), str(out)]) == 0
    options_in_help = {
        m
        for cmd in ref.cli_commands()
        for o in cmd.options
        for m in re.findall(r"(?<![\w-])--[a-z][a-z-]*", o.help)
    }
    assert {"--title", "--dry-run"} <= options_in_help  # the help texts name options
    for page in ("cli", "configuration"):
        html = (out / "reference" / f"{page}.html").read_text(encoding="utf-8")
        body = html.split('role="main"', 1)[-1]
        assert not re.findall(r"[\u2013\u2014]\w[\w-]*", body), page  # an en-dash before "strict"
        assert not re.findall(r"[\u2018\u2019\u201c\u201d]", body), page  # curly quotes
    cli_html = (out / "reference" / "cli.html").read_text(encoding="utf-8")
    for option in options_in_help:
        assert f'<span class="pre">{option}' in cli_html, option
    conf_html = (out / "reference" / "configuration.html").read_text(encoding="utf-8")
    assert '<span class="pre">--cov-fail-under</span>' in conf_html
    # Code blocks get a copy button (sphinx-copybutton, also in [tool.mlrelease.docs]).
    assert (out / "_static" / "copybutton.js").is_file()
    assert "copybutton.js" in cli_html


def test_copy_buttons_are_in_the_dogfood_docs_session() -> None:
    from mlrelease.config.reader import tomllib

    pyproject = tomllib.loads((DOCS.parent / "pyproject.toml").read_text(encoding="utf-8"))
    docs_reqs = pyproject["tool"]["mlrelease"]["docs"]["requirements"]
    dev = pyproject["project"]["optional-dependencies"]["dev"]
    pin = next(r for r in dev if r.startswith("sphinx-copybutton=="))
    assert pin in docs_reqs


def test_every_environment_variable_the_code_reads_is_documented() -> None:
    root = DOCS.parent
    in_source: set[str] = set()
    for path in [*(root / "src").rglob("*.py"), *(root / "noxsessions").rglob("*.py")]:
        in_source |= set(re.findall(r"MLRELEASE_[A-Z_]*[A-Z]", path.read_text(encoding="utf-8")))
    assert {"MLRELEASE_FEED_TOKEN", "MLRELEASE_BASE_IMAGE"} <= in_source
    page = (DOCS / "reference" / "environment.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `(MLRELEASE_[A-Z_]+)` \|", page, flags=re.MULTILINE))
    assert sorted(in_source - rows) == [], "document these in docs/reference/environment.md"
    assert sorted(rows - in_source) == [], "the code no longer reads these"
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    assert "reference/environment" in index
