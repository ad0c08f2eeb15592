"""``mlrelease new NAME``: a new ML package that passes ``mlrelease check`` and ``nox -t check``.

The package (src layout, tests with a coverage floor, Sphinx docs, ``[tool.mlrelease]``) is written
from the templates in ``mlrelease/templates/new``; then it is adopted exactly as ``mlrelease init``
adopts a repository (:func:`mlrelease.adopt.init.plan_init`: the noxfile, the caller workflow,
Dependabot, .gitignore) and the render record is written, so ``mlrelease update`` keeps it current.
Last, a git repository with one commit on ``main``.

Answers come from flags, then the organisation's defaults file (``$MLRELEASE_DEFAULTS``, else
``~/.config/mlrelease/defaults.toml``, table ``[new]``), then a prompt when stdin is a terminal,
then the built-in defaults. Without a terminal (CI) nothing is ever asked.
"""

from __future__ import annotations

import keyword
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import tomlkit
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from mlrelease._util.runner import run
from mlrelease.adopt.init import Change, plan_init, workflows_repo_setting
from mlrelease.adopt.orgdefaults import load_org_defaults, org_defaults_path
from mlrelease.adopt.record import init_record_change
from mlrelease.config.model import parse_config
from mlrelease.errors import ConfigError, EnvironmentProblem, Problem
from mlrelease.project import pythons_from_requires

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

DEFAULTS_ENV = "MLRELEASE_DEFAULTS"
QUESTIONS = ("description", "python", "license", "feed", "registry", "workflows-repo", "image")
BUILTIN: dict[str, Any] = {
    "description": "",  # "<name>: an ML package"
    "python": ">=3.10",
    "license": "MIT",
    "feed": "",  # the embedded directory feed
    "registry": "",  # the embedded OCI layout
    "workflows-repo": "",  # $MLRELEASE_WORKFLOWS_REPO, else contoso/mlrelease@v1
    "image": False,
}
_NAME = re.compile(r"^([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9])$")  # PEP 508
_LICENSE = re.compile(r"^[A-Za-z0-9.+-]+(?: (?:AND|OR|WITH) [A-Za-z0-9.+-]+)*$")
_HOST = re.compile(r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:\d+)?$")
_SPEC = re.compile(r"^\s*(>=|~=|==)\s*3\.(\d+)")
COVERAGE_MIN = 90


@dataclass(frozen=True)
class NewAnswers:
    name: str
    module: str
    description: str
    python: str
    license: str
    feed: str
    registry: str
    image: bool
    workflows_repo: str

    def as_record(self) -> dict[str, str]:
        return {
            "name": self.name,
            "description": self.description,
            "python": self.python,
            "license": self.license,
            "feed": self.feed,
            "registry": self.registry,
            "image": "true" if self.image else "false",
        }


def _bad(key: str, message: str, hint: str, file: str = "mlrelease new") -> ConfigError:
    return ConfigError([Problem(file=file, key=key, message=message, hint=hint)])


def load_defaults() -> dict[str, Any]:
    """The ``[new]`` table of the organisation's defaults file ({} when there is none; a file
    named by $MLRELEASE_DEFAULTS must exist). One reader for every command: orgdefaults."""
    path = org_defaults_path()
    data = load_org_defaults()
    table = data.get("new", {})
    if not isinstance(table, dict):
        raise _bad("new", "must be a table", 'write [new] with e.g. license = "MIT"', str(path))
    unknown = sorted(set(table) - set(QUESTIONS))
    if unknown:
        raise _bad(
            f"new.{unknown[0]}", "is not a question of mlrelease new",
            f"the keys are: {', '.join(QUESTIONS)}", str(path),
        )  # fmt: skip
    wrong = [k for k, v in table.items() if not isinstance(v, type(BUILTIN[k]))]
    if wrong:
        kind = (
            type(BUILTIN[wrong[0]])
            .__name__.replace("str", "a string")
            .replace("bool", "true/false")
        )
        raise _bad(f"new.{wrong[0]}", f"must be {kind}", "fix the value", str(path))
    return dict(table)


def resolve_answers(
    name: str,
    flags: dict[str, Any],
    *,
    defaults: dict[str, Any] | None = None,
    ask: Callable[[str, str], str] | None = None,
) -> NewAnswers:
    """Flags, then the defaults file, then ``ask`` (a terminal prompt, or None), then built-ins."""
    module = check_name(name)
    defaults = load_defaults() if defaults is None else defaults
    values: dict[str, Any] = {}
    for key in QUESTIONS:
        if flags.get(key) not in (None, ""):
            values[key] = flags[key]
        elif key in defaults:
            values[key] = defaults[key]
        elif ask is not None and key in ("description", "python", "license"):
            fallback = BUILTIN[key] or f"{name}: an ML package"
            values[key] = ask(key, str(fallback)).strip() or fallback
        else:
            values[key] = BUILTIN[key]
    description = str(values["description"]).strip() or f"{name}: an ML package"
    if any(ch < " " for ch in description):
        raise _bad("--description", "must be one line", "give one line of plain text")
    python = str(values["python"]).strip()
    try:
        SpecifierSet(python)
    except InvalidSpecifier:
        python_ok = False
    else:
        python_ok = bool(_SPEC.match(python) and pythons_from_requires(python))
    if not python_ok:
        raise _bad(
            "--python", f"{python!r} is not a Python range this package can be tested on",
            'e.g. --python ">=3.10" (requires-python, from 3.10 on)',
        )  # fmt: skip
    license_ = str(values["license"]).strip()
    if not _LICENSE.match(license_):
        raise _bad("--license", f"{license_!r} is not an SPDX license expression", "e.g. MIT")
    feed = str(values["feed"]).strip()
    if feed and not re.match(r"^https?://[^\s/]+/\S*$", feed):
        raise _bad(
            "--feed", f"{feed!r} is not an upload URL",
            "the feed's upload URL, e.g. https://pypi.example.com/ (blank: the embedded feed)",
        )  # fmt: skip
    registry = str(values["registry"]).strip()
    if registry and not _HOST.match(registry):
        raise _bad(
            "--registry", f"{registry!r} is not a registry host",
            "a host without scheme or path, e.g. contosoml.azurecr.io",
        )  # fmt: skip
    repo, ref = workflows_repo_setting(str(values["workflows-repo"]) or None)
    return NewAnswers(
        name=name,
        module=module,
        description=description,
        python=python,
        license=license_,
        feed=feed,
        registry=registry,
        image=bool(values["image"]) or bool(registry),
        workflows_repo=f"{repo}@{ref}",
    )


def check_name(name: str) -> str:
    """The import name of distribution ``name``; a clear error when it cannot be one."""
    module = re.sub(r"[-.]+", "_", name).lower()
    if not _NAME.match(name) or not module.isidentifier() or keyword.iskeyword(module):
        raise _bad(
            "NAME", f"{name!r} is not a valid package name",
            "letters, digits, '-', '_' and '.', starting with a letter and importable once '-' "
            "and '.' become '_' (e.g. churn-model)",
        )  # fmt: skip
    return module


def check_target(target: Path) -> None:
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise _bad(
            "--dir", f"{target} exists and is not empty",
            "choose a new directory (--dir), or run `mlrelease init` there to adopt it",
        )  # fmt: skip


def pyproject_text(a: NewAnswers) -> str:
    def q(value: Any) -> str:
        return str(tomlkit.item(value).as_string())

    lines = [
        "[build-system]",
        'requires = ["hatchling>=1.25"]',
        'build-backend = "hatchling.build"',
        "",
        "[project]",
        f"name = {q(a.name)}",
        'version = "0.0.0"',
        f"description = {q(a.description)}",
        'readme = "README.md"',
        f"requires-python = {q(a.python)}",
        f"license = {q(a.license)}",
        "dependencies = []",
        "",
        "[tool.hatch.build.targets.wheel]",
        f'packages = ["src/{a.module}"]',
        "",
        "# mlrelease: everything CI and `nox` do comes from this table (docs: reference/configuration).",
        "[tool.mlrelease]",
        f"python = {q(pythons_from_requires(a.python))}",
        "",
        "[tool.mlrelease.test]",
        f"coverage-min = {COVERAGE_MIN}",
    ]
    if a.feed:
        lines += ["", "[tool.mlrelease.publish.feed]", f"upload-url = {q(a.feed)}"]
    if a.image:
        lines += ["", "# The released wheel in the built-in image template (no Dockerfile needed)."]
        lines += ["[[tool.mlrelease.publish.images]]", f"name = {q(a.module.replace('_', '-'))}"]
        if a.registry:
            lines.append(f"registry = {q(a.registry)}")
    lines += [
        "",
        "[tool.ruff]",
        "line-length = 100",
        "",
        "[tool.ruff.lint]",
        'select = ["E", "F", "W", "I", "B", "UP", "RUF"]',
        "",
        "[tool.mypy]",
        "strict = true",
        "",
        "[tool.pytest.ini_options]",
        'testpaths = ["tests"]',
        'addopts = ["-ra", "--strict-markers"]',
    ]
    return "\n".join(lines) + "\n"


def _template(name: str, a: NewAnswers) -> str:
    text = (resources.files("mlrelease") / "templates" / "new" / name).read_text(encoding="utf-8")
    title = f"{a.name}\n{'=' * len(a.name)}"
    return Template(text).substitute(
        name=a.name, module=a.module, description=a.description, title=title
    )


def package_files(a: NewAnswers) -> dict[str, str]:
    """The package itself (init adds what mlrelease owns on top)."""
    files = {
        "pyproject.toml": pyproject_text(a),
        "README.md": _template("README.md.tmpl", a),
        "CHANGELOG.md": _template("CHANGELOG.md.tmpl", a),
        ".gitignore": "__pycache__/\n*.py[cod]\n*.egg-info/\n.venv/\n.coverage\n",
        f"src/{a.module}/__init__.py": _template("init.py.tmpl", a),
        f"src/{a.module}/core.py": _template("core.py.tmpl", a),
        f"src/{a.module}/py.typed": "",
        "tests/test_core.py": _template("test_core.py.tmpl", a),
        "docs/conf.py": _template("conf.py.tmpl", a),
        "docs/index.rst": _template("index.rst.tmpl", a),
        "docs/api.rst": _template("api.rst.tmpl", a),
    }
    if a.license == "MIT":
        files["LICENSE"] = _template("LICENSE-MIT.tmpl", a)
    return files


def git_identity(cwd: Path) -> None:
    """The initial commit needs a git identity: refuse before writing anything without one."""
    for key in ("user.name", "user.email"):
        if not run(["git", "config", "--get", key], cwd=cwd, check=False, quiet=True).stdout:
            env = "GIT_AUTHOR_NAME" if key == "user.name" else "GIT_AUTHOR_EMAIL"
            if not os.environ.get(env):
                raise EnvironmentProblem(
                    f"git has no {key}: the new repository's first commit needs one",
                    hint=f'git config --global {key} "..." (or set {env} and '
                    f"{env.replace('AUTHOR', 'COMMITTER')})",
                )


def create(target: Path, a: NewAnswers) -> list[Change]:
    """Write the package, adopt it as init does, record the render, commit on main."""
    check_target(target)
    files = package_files(a)
    # The table is checked as `mlrelease check` would, before anything is written.
    parse_config(tomllib.loads(files["pyproject.toml"])["tool"]["mlrelease"], file="mlrelease new")
    git_identity(target.parent if target.parent.is_dir() else Path.cwd())
    target.mkdir(parents=True, exist_ok=True)
    written: list[Change] = []
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(Change(rel, None, text, "the package"))
    message = f"feat: {a.name}, made with mlrelease new"
    return written + adopt_and_commit(target, a.workflows_repo, a.as_record(), message)


def adopt_and_commit(
    target: Path, workflows_repo: str, answers: dict[str, str], message: str
) -> list[Change]:
    """``git init``, what ``mlrelease init`` adds (and the record), one commit on ``main``."""
    run(["git", "init", "-q", "-b", "main"], cwd=target, quiet=True)
    plan = plan_init(target, dockerfile=False, workflows_repo=workflows_repo)
    changes = plan.pending + init_record_change(plan, workflows_repo, answers)
    for change in changes:
        path = target / change.path
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(change.new, encoding="utf-8")
    run(["git", "add", "-A"], cwd=target, quiet=True)
    run(["git", "commit", "-q", "--no-verify", "-m", message], cwd=target, quiet=True)
    return changes
