"""Reference pages generated from the code, so they cannot drift.

Three MyST directives, each rendering Markdown that MyST parses in place:

- ``{mlrelease-config}``: every ``[tool.mlrelease]`` key with type, default and description, from
  the field metadata of the tables in :mod:`mlrelease.config.model` (the same metadata the parser
  and the JSON schema use);
- ``{mlrelease-cli}``: every command and option, from :func:`mlrelease.cli.main.build_parser`;
- ``{mlrelease-workflows}``: every reusable workflow's inputs, outputs and secrets, read from
  ``.github/workflows/*.yml`` (the ``on.workflow_call`` block).

The rendering functions are plain (no Sphinx) so tests can compare them with the model.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlrelease.config import model as c

REPO_ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS_DIR = REPO_ROOT / ".github" / "workflows"

_KIND_TEXT = {
    "bool": "boolean",
    "int": "integer",
    "number": "number",
    "str": "string",
    "str?": "string",
    "list[str]": "array of strings",
    "map[str,str]": "table of strings",
    "section": "table",
    "section?": "table",
    "list[section]": "array of tables",
    "workers": 'integer or "auto"',
}


# --- configuration -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigKey:
    table: str  # e.g. "tool.mlrelease.test" or "tool.mlrelease.publish.images[]"
    key: str  # e.g. "coverage-min"
    type: str
    default: str
    description: str

    @property
    def dotted(self) -> str:
        return f"{self.table}.{self.key}"


@dataclass(frozen=True)
class ConfigTable:
    path: str  # "tool.mlrelease.publish.images[]" for an array of tables
    description: str
    keys: tuple[ConfigKey, ...]

    @property
    def header(self) -> str:
        if self.path.endswith("[]"):
            return f"[[{self.path[:-2]}]]"
        return f"[{self.path}]"


def _toml(value: Any) -> str:
    """A default value as it would be written in TOML."""
    text: str
    if value is None:
        text = "(not set)"
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = f'"{value}"'
    elif isinstance(value, (list, tuple)):
        text = "[" + ", ".join(_toml(v) for v in value) + "]"
    elif isinstance(value, dict):
        inner = ", ".join(f"{k} = {_toml(v)}" for k, v in value.items())
        text = "{ " + inner + " }" if inner else "{}"
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = str(value)
    return text


def _default(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return None


def _type_text(f: dataclasses.Field[Any]) -> str:
    kind = f.metadata["kind"]
    if kind == "enum":
        return "one of " + ", ".join(f'"{choice}"' for choice in f.metadata["choices"])
    text = _KIND_TEXT[kind]
    lo, hi = f.metadata.get("minimum"), f.metadata.get("maximum")
    if lo is not None and hi is not None:
        text += f" ({lo:g} to {hi:g})"
    elif lo is not None:
        text += f" (at least {lo:g})"
    return text


def _default_text(f: dataclasses.Field[Any]) -> str:
    kind = f.metadata["kind"]
    doc = f.metadata.get("default_doc")
    if doc:
        return f"({doc})"
    if kind == "section":
        return "(table with the defaults below)"
    if kind == "section?":
        return "(not set)"
    if kind == "list[section]":
        return "[] (none)"
    return _toml(_default(f))


def config_tables() -> list[ConfigTable]:
    """Every table of the model, depth first, with every key in declaration order."""
    tables: list[ConfigTable] = []

    def walk(cls: type, path: str, description: str) -> None:
        keys: list[ConfigKey] = []
        children: list[tuple[type, str, str]] = []
        for f in c.config_fields(cls):
            key = c.toml_key(f)
            kind = f.metadata["kind"]
            keys.append(
                ConfigKey(path, key, _type_text(f), _default_text(f), f.metadata.get("doc", ""))
            )
            if kind in ("section", "section?"):
                children.append((f.metadata["section"], f"{path}.{key}", f.metadata["doc"]))
            elif kind == "list[section]":
                children.append((f.metadata["section"], f"{path}.{key}[]", f.metadata["doc"]))
        tables.append(ConfigTable(path, description, tuple(keys)))
        for child, child_path, child_doc in children:
            walk(child, child_path, child_doc)

    walk(c.Config, c.TABLE, "The top-level table.")
    return tables


def model_keys() -> set[str]:
    """Every dotted key the model accepts (``tool.mlrelease.publish.images[].name``)."""
    return {k.dotted for t in config_tables() for k in t.keys}


_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*(?:[ =][A-Z][A-Z_.]*)?)")


def _literal_options(text: str) -> str:
    """``--strict`` in prose becomes a code span, outside existing ones: copied, it still works."""
    parts = text.split("`")
    for i in range(0, len(parts), 2):  # even parts are outside code spans
        parts[i] = _OPTION.sub(r"`\1`", parts[i])
    return "`".join(parts)


def _cell(text: str) -> str:
    return _literal_options(" ".join(text.replace("|", "\\|").split()))


def _code(text: str) -> str:
    ticks = "``" if "`" in text else "`"
    pad = " " if ticks == "``" else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def render_config_markdown() -> str:
    lines: list[str] = []
    for table in config_tables():
        lines += [f"## `{table.header}`", "", _cell(table.description), ""]
        lines += ["| key | type | default | description |", "| --- | --- | --- | --- |"]
        for k in table.keys:
            default = k.default if k.default.startswith("(") else _code(k.default)
            lines.append(
                f"| {_code(k.key)} | {_cell(k.type)} | {_cell(default)} | {_cell(k.description)} |"
            )
        lines.append("")
    return "\n".join(lines)


# --- command line --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CliOption:
    names: str  # "--dry-run" or "DIR"
    help: str
    default: str


@dataclass(frozen=True)
class CliCommand:
    name: str  # "mlrelease publish wheels"
    help: str
    usage: str
    options: tuple[CliOption, ...]


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction[Any] | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _option(action: argparse.Action) -> CliOption | None:
    if isinstance(action, (argparse._SubParsersAction, argparse._HelpAction)):
        return None
    if action.option_strings:
        names = ", ".join(action.option_strings)
        if action.metavar or (action.nargs != 0 and not isinstance(action.const, bool)):
            metavar = action.metavar or action.dest.upper()
            if action.nargs != 0:
                names += f" {metavar}"
    else:
        names = str(action.metavar or action.dest.upper())
    default = ""
    if action.default not in (None, False, argparse.SUPPRESS, (), []) and action.nargs != 0:
        default = str(action.default)
    help_text = str(action.help or "")
    if help_text == argparse.SUPPRESS:
        return None
    return CliOption(names, help_text, default)


def cli_commands(parser: argparse.ArgumentParser | None = None) -> list[CliCommand]:
    """Every command (``mlrelease``, ``mlrelease check``, ``mlrelease publish wheels``, ...)."""
    if parser is None:
        from mlrelease.cli.main import build_parser

        parser = build_parser()
    commands: list[CliCommand] = []

    def walk(p: argparse.ArgumentParser, name: str, help_text: str) -> None:
        options = tuple(o for o in map(_option, p._actions) if o is not None)
        usage = " ".join(p.format_usage().split()).removeprefix("usage: ")
        commands.append(CliCommand(name, help_text, usage, options))
        sub = _subparsers(p)
        if sub is None:
            return
        helps = {a.dest: str(a.help or "") for a in sub._get_subactions()}
        for child_name, child in sub.choices.items():
            walk(child, f"{name} {child_name}", helps.get(child_name, ""))

    walk(parser, parser.prog, str(parser.description or ""))
    return commands


def render_cli_markdown() -> str:
    lines: list[str] = []
    for cmd in cli_commands():
        lines += [f"## `{cmd.name}`", ""]
        if cmd.help:
            lines += [_cell(cmd.help[:1].upper() + cmd.help[1:]), ""]
        lines += ["```text", cmd.usage, "```", ""]
        if cmd.options:
            lines += ["| option | description | default |", "| --- | --- | --- |"]
            for o in cmd.options:
                default = _code(o.default) if o.default else ""
                lines.append(f"| {_code(o.names)} | {_cell(o.help)} | {default} |")
            lines.append("")
    return "\n".join(lines)


# --- reusable workflows --------------------------------------------------------------------------


@dataclass(frozen=True)
class WorkflowItem:
    kind: str  # "input", "output" or "secret"
    name: str
    description: str
    type: str = ""
    required: bool = False
    default: str = ""


@dataclass(frozen=True)
class Workflow:
    file: str
    name: str
    summary: str
    items: tuple[WorkflowItem, ...]


def _leading_comment(text: str) -> str:
    lines = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    return " ".join(line for line in lines if line and not line.startswith("Reference:"))


def _as_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def reusable_workflows(directory: Path = WORKFLOWS_DIR) -> list[Workflow]:
    """The workflows with an ``on.workflow_call`` trigger, with their interface."""
    import yaml

    found: list[Workflow] = []
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        text = path.read_text(encoding="utf-8")
        data = yaml.safe_load(text)
        if not isinstance(data, dict):
            continue
        triggers = data.get("on", data.get(True))  # YAML 1.1 reads a bare `on` key as true
        if not isinstance(triggers, dict) or "workflow_call" not in triggers:
            continue
        call = triggers.get("workflow_call") or {}
        items: list[WorkflowItem] = []
        for kind, section in (("input", "inputs"), ("output", "outputs"), ("secret", "secrets")):
            for name, raw in (call.get(section) or {}).items():
                spec = raw if isinstance(raw, dict) else {}
                items.append(
                    WorkflowItem(
                        kind=kind,
                        name=str(name),
                        description=_as_text(spec.get("description")),
                        type=_as_text(spec.get("type")),
                        required=bool(spec.get("required", False)),
                        default=_as_text(spec.get("default")) if "default" in spec else "",
                    )
                )
        found.append(
            Workflow(
                path.name, str(data.get("name", path.stem)), _leading_comment(text), tuple(items)
            )
        )
    return found


def render_workflows_markdown(directory: Path = WORKFLOWS_DIR) -> str:
    workflows = reusable_workflows(directory)
    if not workflows:
        return "No reusable workflow is defined yet.\n"
    lines: list[str] = []
    for wf in workflows:
        lines += [f"## `{wf.file}`", ""]
        if wf.summary:
            lines += [_cell(wf.summary), ""]
        lines += [
            "```yaml",
            "jobs:",
            f"  {wf.name}:",
            f"    uses: contoso/mlrelease/.github/workflows/{wf.file}@v1",
            "```",
            "",
        ]
        for kind, title in (("input", "Inputs"), ("output", "Outputs"), ("secret", "Secrets")):
            rows = [i for i in wf.items if i.kind == kind]
            lines += [f"**{title}**", ""]
            if not rows:
                lines += ["(none)", ""]
                continue
            if kind == "input":
                lines += [
                    "| input | type | required | default | description |",
                    "| --- | --- | --- | --- | --- |",
                ]
                for i in rows:
                    default = _code(i.default) if i.default else ""
                    required = "yes" if i.required else "no"
                    lines.append(
                        f"| {_code(i.name)} | {i.type} | {required} | {default} | {_cell(i.description)} |"
                    )
            elif kind == "output":
                lines += ["| output | description |", "| --- | --- |"]
                lines += [f"| {_code(i.name)} | {_cell(i.description)} |" for i in rows]
            else:
                lines += ["| secret | required | description |", "| --- | --- | --- |"]
                lines += [
                    f"| {_code(i.name)} | {'yes' if i.required else 'no'} | {_cell(i.description)} |"
                    for i in rows
                ]
            lines.append("")
    return "\n".join(lines)


# --- Sphinx glue ---------------------------------------------------------------------------------


def setup(app: Any) -> dict[str, Any]:
    from docutils import nodes
    from sphinx.util.docutils import SphinxDirective

    def make(render: Any, depends: list[Path]) -> type:
        class Generated(SphinxDirective):
            has_content = False

            def run(self) -> list[nodes.Node]:
                for dep in depends:
                    if dep.is_file():
                        self.env.note_dependency(str(dep))
                    elif dep.is_dir():
                        for f in sorted(dep.glob("*.y*ml")):
                            self.env.note_dependency(str(f))
                container = nodes.container()
                text = render()
                self.state.nested_parse(
                    text.splitlines(), self.content_offset, container, match_titles=True
                )
                return list(container.children)

        return Generated

    config_modules = sorted(Path(c.__file__).parent.glob("*.py"))  # the model is split in modules
    app.add_directive("mlrelease-config", make(render_config_markdown, config_modules))
    from mlrelease.cli import main as cli

    app.add_directive("mlrelease-cli", make(render_cli_markdown, [Path(cli.__file__)]))
    app.add_directive("mlrelease-workflows", make(render_workflows_markdown, [WORKFLOWS_DIR]))
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
