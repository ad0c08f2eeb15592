"""The rules beside the import layers (test_architecture.py), checked on the source by AST:

(a) one reporter: only ``mlrelease/_util/console.py`` writes output (stdout, stderr, the step
    outputs, the step summary, workflow commands); ``noxsessions/`` included;
(b) ``noxsessions/`` import only public mlrelease modules (no ``mlrelease._util``, no ``cli``);
(c) a plan module imports no backend module;
(d) no module imports a private name (``_x``) of another module.

Each rule is a function from source text to its findings, so the tests below also plant a
violation and see the rule catch it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "src" / "mlrelease"
NOXSESSIONS = ROOT / "noxsessions"

# (a) The only module that writes output. Nothing else is exempt: a child process's script held
# in a string (``"import sys; print(...)"``) is not a write of ours, and the AST check does not
# look into strings, so it needs no entry.
REPORTER = "src/mlrelease/_util/console.py"
WRITERS_ALLOWED: dict[str, str] = {}  # path -> why (empty: the reporter is the one writer)

# (c) Plan modules: each capability's pure "what would be done" (``*/plan.py``, any module whose
# name ends in ``plan``, and ``preview``, which prints them all). Backends: the modules that talk to
# the outside world for a capability (feeds, image targets, engines, python-semantic-release,
# credentials, the network). A plan describes; the run gets a backend and acts.
BACKENDS = frozenset(
    {
        "mlrelease.wheels.directory",
        "mlrelease.wheels.remote",
        "mlrelease.images.registry",
        "mlrelease.images.layout",
        "mlrelease.images.engines",
        "mlrelease.versioning.semrel",
        "mlrelease.auth.azure",
        "mlrelease.auth.feed",
        "mlrelease.auth.registry",
        "mlrelease._util.http",
        "mlrelease._util.transport",
    }
)
PLAN_IMPORTS_ALLOWED: dict[tuple[str, str], str] = {}  # (plan, backend) -> why

WORKFLOW_COMMAND = re.compile(
    r"^::(group|endgroup|add-mask|error|warning|notice|debug|set-output|save-state|stop-commands)"
)
STREAMS = {"stdout", "stderr", "__stdout__", "__stderr__"}
GITHUB_FILES = {"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH"}


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the docstring nodes (text about output, not output)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def output_writes(source: str) -> list[str]:
    """(a) Where ``source`` writes output itself instead of through the reporter."""
    tree = ast.parse(source)
    docs = _docstrings(tree)
    found: list[str] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name) and func.id in {"print", "breakpoint"}:
                found.append(f"{line}: {func.id}()")
            elif isinstance(func, ast.Attribute) and func.attr in {"print_help", "print_usage"}:
                found.append(f"{line}: .{func.attr}() (argparse writes to stdout)")
        elif isinstance(node, ast.Attribute):
            if isinstance(node.value, ast.Name) and node.value.id == "sys" and node.attr in STREAMS:
                found.append(f"{line}: sys.{node.attr}")
            elif node.attr in {"redirect_stdout", "redirect_stderr"}:
                found.append(f"{line}: {node.attr}")
        elif isinstance(node, ast.ImportFrom) and node.module in {"sys", "contextlib"}:
            names = {a.name for a in node.names} & (
                STREAMS | {"redirect_stdout", "redirect_stderr"}
            )
            found += [f"{line}: from {node.module} import {n}" for n in sorted(names)]
        elif (
            isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs
        ):
            if node.value in GITHUB_FILES:
                found.append(f"{line}: ${node.value}")
            elif WORKFLOW_COMMAND.match(node.value):
                found.append(f"{line}: workflow command {node.value.split()[0]!r}")
    return found


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC.parent if SRC in path.parents else ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imported(tree: ast.AST) -> list[tuple[int, str, str | None]]:
    """(line, module, name or None) of every import, anywhere in the file."""
    found: list[tuple[int, str, str | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, a.name, None) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found += [(node.lineno, node.module, a.name) for a in node.names]
    return found


def _private(part: str) -> bool:
    return part.startswith("_") and not part.startswith("__")


def private_modules(source: str) -> list[str]:
    """(b) The private or CLI mlrelease modules ``source`` (a nox session file) imports."""
    found = []
    for line, module, name in _imported(ast.parse(source)):
        if module != "mlrelease" and not module.startswith("mlrelease."):
            continue
        dotted = f"{module}.{name}" if name else module
        parts = dotted.split(".")
        if any(_private(p) for p in parts) or "cli" in parts[:2]:
            found.append(f"{line}: {dotted}")
    return found


def backend_imports(source: str) -> list[str]:
    """(c) The backend modules ``source`` (a plan module) imports."""
    found = []
    for line, module, name in _imported(ast.parse(source)):
        for candidate in (f"{module}.{name}" if name else "", module):
            if candidate in BACKENDS:
                found.append(f"{line}: {candidate}")
                break
    return found


def private_names(source: str, *, module: str) -> list[str]:
    """(d) Private names ``source`` takes from another module: ``from m import _x``, or
    ``m._x`` on a module it imported (``import m``, ``from pkg import m``)."""
    tree = ast.parse(source)
    found = []
    aliases: set[str] = set()
    for line, imported, name in _imported(tree):
        ours = imported.split(".")[0] in {"mlrelease", "noxsessions"}
        if not ours or imported == module:
            continue
        if name is None:
            aliases.add(imported)  # ``import a.b.c``: used as ``a.b.c._x``
        elif _private(name):
            found.append(f"{line}: from {imported} import {name}")
        else:
            aliases.add(name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            owner = _dotted(node.value)
            if owner in aliases:
                found.append(f"{node.lineno}: {owner}.{node.attr}")
    return found


def _dotted(expr: ast.expr) -> str | None:
    """``a.b.c`` for a chain of names, else None."""
    if isinstance(expr, ast.Name):
        return expr.id
    if isinstance(expr, ast.Attribute):
        owner = _dotted(expr.value)
        return f"{owner}.{expr.attr}" if owner else None
    return None


def _sources() -> list[Path]:
    return sorted([*SRC.rglob("*.py"), *NOXSESSIONS.rglob("*.py")])


def _rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def is_plan_module(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return module.startswith("mlrelease.") and (last.endswith("plan") or last == "preview")


# --- the rules on the code ------------------------------------------------------------------------


def test_only_the_reporter_writes_output() -> None:
    wrong = []
    for path in _sources():
        rel = _rel(path)
        if rel == REPORTER or rel in WRITERS_ALLOWED:
            continue
        wrong += [f"{rel}:{hit}" for hit in output_writes(_read(path))]
    assert not wrong, "write through mlrelease._util.console instead:\n" + "\n".join(wrong)


def test_noxsessions_import_only_public_modules() -> None:
    files = sorted(NOXSESSIONS.rglob("*.py"))
    assert files
    wrong = [f"{_rel(p)}:{hit}" for p in files for hit in private_modules(_read(p))]
    assert not wrong, "use mlrelease.session_support (or another public module):\n" + "\n".join(
        wrong
    )


def test_plans_import_no_backend() -> None:
    plans = [p for p in sorted(SRC.rglob("*.py")) if is_plan_module(_module_name(p))]
    assert {"mlrelease.images.plan", "mlrelease.stages.plan"} <= {_module_name(p) for p in plans}
    wrong = []
    for path in plans:
        plan = _module_name(path)
        for hit in backend_imports(_read(path)):
            if (plan, hit.split(": ", 1)[1]) not in PLAN_IMPORTS_ALLOWED:
                wrong.append(f"{_rel(path)}:{hit}")
    assert not wrong, "a plan describes; the run gets the backend:\n" + "\n".join(wrong)


def test_no_module_imports_a_private_name_of_another() -> None:
    wrong = []
    for path in _sources():
        module = _module_name(path)
        wrong += [f"{_rel(path)}:{hit}" for hit in private_names(_read(path), module=module)]
    assert not wrong, "make the name public (drop the underscore) or keep it inside:\n" + "\n".join(
        wrong
    )


def test_the_allow_lists_name_real_things() -> None:
    assert (ROOT / REPORTER).is_file()
    for rel in WRITERS_ALLOWED:
        assert (ROOT / rel).is_file(), rel
    modules = {_module_name(p) for p in SRC.rglob("*.py")}
    assert not BACKENDS - modules, sorted(BACKENDS - modules)
    for plan, backend in PLAN_IMPORTS_ALLOWED:
        assert plan in modules, plan
        assert backend in BACKENDS, backend


# --- each rule catches a planted violation ---------------------------------------------------------


@pytest.mark.parametrize(
    "planted",
    [
        "print('done')",
        "import sys\nsys.stdout.write('x')",
        "import sys\nsys.stderr.flush()",
        "from sys import stderr",
        "import argparse\nargparse.ArgumentParser().print_help()",
        "import contextlib, sys\nwith contextlib.redirect_stdout(None):\n    pass",
        "import os\nopen(os.environ['GITHUB_OUTPUT'], 'a')",
        "import os\nos.environ.get('GITHUB_STEP_SUMMARY')",
        "def f(title):\n    return f'::group::{title}'",
        "def f(v):\n    return '::add-mask::' + v",
        "x = '::error file=a.py::broken'",
    ],
)
def test_rule_a_catches_a_write(planted: str) -> None:
    assert output_writes(planted)


@pytest.mark.parametrize(
    "innocent",
    [
        '"""Writes ``::group::`` and ``$GITHUB_OUTPUT`` through the console."""',
        'SCRIPT = "import sys; print(sys.version_info[:2])"',
        "from mlrelease._util import console\nconsole.out('x')",
        "def f():\n    '''$GITHUB_OUTPUT'''\n    return 1",
    ],
)
def test_rule_a_leaves_text_about_output_alone(innocent: str) -> None:
    assert output_writes(innocent) == []


def test_rule_b_catches_a_private_or_cli_import() -> None:
    assert private_modules("from mlrelease._util.console import counted")
    assert private_modules("from mlrelease._util import uvtool")
    assert private_modules("import mlrelease._util.uvtool")
    assert private_modules("from mlrelease.cli.main import main")
    assert private_modules("def f():\n    from mlrelease.stages import _hidden")
    assert private_modules("from mlrelease.session_support import counted, find_uv") == []
    assert private_modules("from mlrelease.stages.plan import StagePlan") == []


def test_rule_c_catches_a_backend_import() -> None:
    assert backend_imports("from mlrelease.images.registry import Registry")
    assert backend_imports("from mlrelease.wheels import remote")
    assert backend_imports("import mlrelease.versioning.semrel")
    assert backend_imports(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
        "    from mlrelease.wheels.directory import DirectoryFeed"
    )
    assert backend_imports("from mlrelease.wheels.feed import Feed") == []
    assert is_plan_module("mlrelease.wheels.plan")
    assert is_plan_module("mlrelease.versioning.release_plan")
    assert not is_plan_module("mlrelease.wheels.publish")


def test_rule_d_catches_a_private_name() -> None:
    me = "mlrelease.images.sbom"
    assert private_names("from mlrelease.images.build import _pip", module=me)
    assert private_names("from mlrelease.images import build\nbuild._pip()", module=me)
    assert private_names("import mlrelease.images.build\nmlrelease.images.build._x", module=me)
    assert private_names(
        "from mlrelease._util import console\nconsole._escape_data('x')", module=me
    )
    # Its own private names, dunders, other libraries' and public names are fine.
    assert private_names("from mlrelease.images.sbom import _mine", module=me) == []
    assert private_names("from mlrelease import __version__", module=me) == []
    assert private_names("from os import _exit", module=me) == []
    assert private_names("from mlrelease._util import console\nconsole.out('x')", module=me) == []
