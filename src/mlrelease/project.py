"""Facts about a project that the configuration does not say: name, version source, layout,
docs directory, available interpreters. Read-only; computed once per command.
"""

from __future__ import annotations

import functools
import re
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.specifiers import InvalidSpecifier, SpecifierSet

from mlrelease._util.runner import run
from mlrelease.config.model import Config, load_config, read_pyproject
from mlrelease.errors import ConfigError, Problem

KNOWN_PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
DOCS_CANDIDATES = ("docs", "docs/source", "doc", "doc/source")
# Top-level directories that are never the package of a flat layout.
NOT_PACKAGES = frozenset(
    ("tests", "test", "docs", "doc", "examples", "benchmarks", "scripts", "build", "dist", "src")
)
VCS_VERSION_BACKENDS = {
    "setuptools_scm": "setuptools-scm",
    "setuptools-scm": "setuptools-scm",
    "hatch-vcs": "hatch-vcs",
    "vcs": "hatch-vcs",
    "poetry-dynamic-versioning": "poetry-dynamic-versioning",
    "pdm-backend-scm": "pdm-backend (scm)",
}


@dataclass(frozen=True, kw_only=True)
class Project:
    """A project directory with its validated configuration and inferred facts."""

    root: Path
    config: Config
    pyproject: dict[str, Any] = field(repr=False)
    name: str
    normalized_name: str
    import_name: str
    static_version: str | None
    version_source: str  # "pyproject", "poetry", "file:<path>" or "dynamic:<tool>"
    requires_python: str | None
    build_backend: str
    source_dir: Path | None  # the package directory (e.g. src/pkg)
    layout: str  # "src", "flat" or "unknown"
    docs_dir: Path | None
    test_paths: tuple[str, ...]
    # A monorepo member's workspace root (None for a single package): the embedded feed and image
    # layouts under .mlrelease/ are shared there, so every member publishes to one feed.
    workspace_root: Path | None = None

    @property
    def output_root(self) -> Path:
        """Where ``.mlrelease/`` output (embedded feed, image layouts) lives."""
        return self.workspace_root or self.root


def normalize(name: str) -> str:
    """PEP 503 normalized project name."""
    return re.sub(r"[-_.]+", "-", name).lower()


def find_source(root: Path, import_name: str, configured: str | None) -> tuple[Path | None, str]:
    if configured:
        return root / configured, "src" if configured.startswith("src/") else "flat"
    for layout, base in (("src", root / "src"), ("flat", root)):
        for candidate in (base / import_name, base / f"{import_name}.py"):
            if candidate.exists():
                return candidate, layout
    src = root / "src"
    if src.is_dir():
        pkgs = sorted(p for p in src.iterdir() if (p / "__init__.py").exists())
        if len(pkgs) == 1:
            return pkgs[0], "src"
    # flat layout whose import name is not the distribution's (imbalanced-learn -> imblearn/)
    flat = sorted(
        p
        for p in root.iterdir()
        if p.is_dir() and p.name not in NOT_PACKAGES and (p / "__init__.py").is_file()
    )
    if len(flat) == 1:
        return flat[0], "flat"
    return None, "unknown"


def find_docs_dir(root: Path, configured: str | None) -> Path | None:
    if configured:
        return root / configured
    for candidate in DOCS_CANDIDATES:
        if (root / candidate / "conf.py").is_file():
            return root / candidate
    return None


@functools.cache
def available_pythons(candidates: tuple[str, ...] = KNOWN_PYTHONS) -> list[str]:
    """The ``3.X`` interpreters on PATH that actually run (what nox can make environments for).

    Running each one matters: pyenv puts a shim for every installed version on PATH, and a shim
    for a version that is not selected exits 127. The probes run in parallel (a pyenv shim costs
    about 100 ms).
    """

    def runs(version: str) -> bool:
        exe = shutil.which(f"python{version}")
        if exe is None:
            return False
        return run([exe, "-c", ""], check=False, quiet=True).returncode == 0

    with ThreadPoolExecutor(max_workers=len(candidates) or 1) as pool:
        ok = list(pool.map(runs, candidates))
    return [v for v, good in zip(candidates, ok, strict=True) if good]


def pythons_from_requires(requires_python: str | None) -> list[str]:
    """Known minor versions allowed by ``requires-python`` (all known ones when unset)."""

    if not requires_python:
        return list(KNOWN_PYTHONS)
    try:
        spec = SpecifierSet(requires_python)
    except InvalidSpecifier:
        return list(KNOWN_PYTHONS)
    return [
        v
        for v in KNOWN_PYTHONS
        if spec.contains(f"{v}.0", prereleases=True) or spec.contains(f"{v}.99")
    ]


def matrix_pythons(project: Project) -> list[str]:
    """The test matrix: the configured list, or requires-python intersected with what exists."""
    if project.config.python:
        return list(project.config.python)
    allowed = pythons_from_requires(project.requires_python)
    present = available_pythons(tuple(allowed))
    return present or allowed[-1:]


# What a build writes and a publish sends: wheels and sdists (.tar.gz; .zip for old sdists).
DIST_SUFFIXES = (".whl", ".tar.gz", ".zip")


def dist_files(directory: Path) -> list[Path]:
    """The wheels and sdists in ``directory``, sorted (none when it does not exist).

    The one place that says what a distribution file is: the build session cleans and checks
    these, publishing sends them, the image build takes its wheel from them.
    """
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and p.name.endswith(DIST_SUFFIXES) and not p.name.startswith(".")
    )


def matrix(project: Project) -> dict[str, Any]:
    """The test matrix as a GitHub Actions ``strategy.matrix`` (``fromJSON``-ready)."""
    return {"python": matrix_pythons(project)}


@dataclass(frozen=True)
class Identity:
    """Who the project is, from ``[project]`` or, for poetry projects, ``[tool.poetry]``."""

    name: str
    static_version: str | None
    version_source: str  # "pyproject", "poetry", "file:PATH", "attr:PATH:VAR", "dynamic:<tool>"
    requires_python: str | None


def project_identity(root: Path, data: dict[str, Any]) -> Identity:
    """The one reading of a project's name, version source and requires-python (``load_project``
    and ``init`` both use it). Raises :class:`ConfigError` when the name is missing."""
    project_table = data.get("project")
    tool = data.get("tool")
    poetry = tool.get("poetry") if isinstance(tool, dict) else None
    name: str | None = None
    static_version: str | None = None
    version_source = "pyproject"
    requires_python: str | None = None
    if isinstance(project_table, dict) and project_table.get("name"):
        raw_name = project_table.get("name")
        name = raw_name if isinstance(raw_name, str) else None
        raw_version = project_table.get("version")
        static_version = raw_version if isinstance(raw_version, str) else None
        raw_rp = project_table.get("requires-python")
        requires_python = raw_rp if isinstance(raw_rp, str) else None
        dynamic = project_table.get("dynamic", [])
        if static_version is None and isinstance(dynamic, list) and "version" in dynamic:
            version_source, static_version = setuptools_version_source(
                root, data, f"dynamic:{detect_dynamic_version_tool(data)}"
            )
            if version_source == "dynamic:unknown":
                version_source, static_version = module_version_source(
                    root, data, name or "", version_source
                )
    elif isinstance(poetry, dict):
        raw_name = poetry.get("name")
        name = raw_name if isinstance(raw_name, str) else None
        raw_version = poetry.get("version")
        static_version = raw_version if isinstance(raw_version, str) else None
        version_source = "poetry"
        deps = poetry.get("dependencies", {})
        if isinstance(deps, dict) and isinstance(deps.get("python"), str):
            requires_python = _poetry_python(deps["python"])
    if not name:
        raise ConfigError(
            problems=[
                Problem(
                    "pyproject.toml",
                    "project.name",
                    "is missing",
                    'add a [project] table with name = "..." (or [tool.poetry] name for poetry projects)',
                )
            ]
        )
    return Identity(name, static_version, version_source, requires_python)


def load_project(
    root: Path, *, config: Config | None = None, workspace_root: Path | None = None
) -> Project:
    """Read ``root/pyproject.toml`` and infer the facts. Raises :class:`ConfigError`.

    ``config`` replaces the file's own ``[tool.mlrelease]`` (a monorepo member's merged table);
    ``workspace_root`` is the monorepo root of a member."""
    root = root.resolve()
    data = read_pyproject(root / "pyproject.toml")
    config = config if config is not None else load_config(root)
    ident = project_identity(root, data)
    name, static_version = ident.name, ident.static_version
    version_source, requires_python = ident.version_source, ident.requires_python
    _check_name_and_version(name, static_version, version_source)
    build_system = data.get("build-system", {})
    backend = (
        build_system.get("build-backend", "setuptools.build_meta:__legacy__")
        if isinstance(build_system, dict)
        else ""
    )
    import_name = normalize(name).replace("-", "_")
    source_dir, layout = find_source(root, import_name, config.source)
    if source_dir is not None and (not config.source or _is_importable(source_dir)):
        # the import package, never the distribution name (imbalanced-learn imports as imblearn)
        import_name = source_dir.stem
    docs_dir = find_docs_dir(root, config.docs.source)
    return Project(
        root=root,
        config=config,
        pyproject=data,
        name=name,
        normalized_name=normalize(name),
        import_name=import_name,
        static_version=static_version,
        version_source=version_source,
        requires_python=requires_python,
        build_backend=str(backend),
        source_dir=source_dir,
        layout=layout,
        docs_dir=docs_dir,
        test_paths=config.test.paths,
        workspace_root=workspace_root,
    )


def _check_name_and_version(name: str, version: str | None, source: str) -> None:
    """A name or version with a stray newline or space would end up in tags, paths and headers."""
    table = "tool.poetry" if source == "poetry" else "project"
    problems = []
    if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?", name):
        problems.append(
            Problem(
                "pyproject.toml",
                f"{table}.name",
                f"{name[:60]!r} is not a valid project name",
                "use letters, digits, '.', '-' and '_', starting and ending with a letter or digit",
            )
        )
    if version is not None and (not version or re.search(r"[\s\x00-\x1f\x7f]", version)):
        problems.append(
            Problem(
                "pyproject.toml",
                f"{table}.version",
                f"{version[:60]!r} is not a valid version (it holds a space or a newline)",
                'write a PEP 440 version without spaces or newlines, e.g. "1.2.0"',
            )
        )
    if problems:
        raise ConfigError(problems=problems)


def _is_importable(path: Path) -> bool:
    """A package directory (with ``__init__.py``) or a module file."""
    return (path / "__init__.py").is_file() if path.is_dir() else path.suffix == ".py"


def setuptools_version_source(
    root: Path, data: dict[str, Any], fallback: str
) -> tuple[str, str | None]:
    """(version source, version) of ``[tool.setuptools.dynamic] version``: ``file:PATH`` for
    ``{file = PATH}``, ``attr:PATH:VAR`` for ``{attr = "pkg.VAR"}`` with a literal; else
    ``(fallback, None)``."""
    version_file = setuptools_version_file(data)
    if version_file:
        return f"file:{version_file}", read_version_file(root / version_file)
    attr = setuptools_version_attr(root, data)
    if attr:
        path, var, value = attr
        return f"attr:{path}:{var}", value
    return fallback, None


def setuptools_version_attr(root: Path, data: dict[str, Any]) -> tuple[str, str, str] | None:
    """``{attr = "pkg._version.__version__"}`` -> (``pkg/_version.py``, ``__version__``, value),
    when that module assigns the variable a string literal."""
    tool = data.get("tool", {})
    setuptools = tool.get("setuptools", {}) if isinstance(tool, dict) else {}
    dynamic = setuptools.get("dynamic", {}) if isinstance(setuptools, dict) else {}
    version = dynamic.get("version") if isinstance(dynamic, dict) else None
    attr = version.get("attr") if isinstance(version, dict) else None
    if not isinstance(attr, str) or "." not in attr:
        return None
    module, _, var = attr.rpartition(".")
    parts = module.split(".")
    for base in ("", "src/"):
        for rel in ("/".join(parts) + ".py", "/".join(parts) + "/__init__.py"):
            path = root / f"{base}{rel}"
            if not path.is_file():
                continue
            m = re.search(
                rf"^{re.escape(var)}\s*(?::[^=\n]*)?=\s*['\"]([^'\"]*)['\"]",
                path.read_text(encoding="utf-8", errors="replace"),
                re.MULTILINE,
            )
            return (f"{base}{rel}", var, m.group(1)) if m else None
    return None


def setuptools_version_file(data: dict[str, Any]) -> str | None:
    """``[tool.setuptools.dynamic] version = {file = "VERSION"}`` -> ``"VERSION"``."""
    tool = data.get("tool", {})
    setuptools = tool.get("setuptools", {}) if isinstance(tool, dict) else {}
    dynamic = setuptools.get("dynamic", {}) if isinstance(setuptools, dict) else {}
    version = dynamic.get("version") if isinstance(dynamic, dict) else None
    files = version.get("file") if isinstance(version, dict) else None
    if isinstance(files, list) and len(files) == 1:
        files = files[0]
    return files if isinstance(files, str) and files else None


_MODULE_VERSION_RE = r"^__version__\s*(?::[^=\n]*)?=\s*['\"]([^'\"]*)['\"]"


def module_version_source(
    root: Path, data: dict[str, Any], name: str, fallback: str
) -> tuple[str, str | None]:
    """A version that flit or hatch reads from a module: ``attr:PATH:__version__`` and its value.

    hatch: ``[tool.hatch.version] path``; flit (a dynamic version, always ``__version__``): the
    module's ``__init__.py`` or file, else its ``_version.py`` (``from ._version import
    __version__``). Else ``(fallback, None)``: a file the release cannot stamp is never guessed.
    """
    tool = data.get("tool", {})
    hatch = tool.get("hatch", {}) if isinstance(tool, dict) else {}
    hatch_version = hatch.get("version", {}) if isinstance(hatch, dict) else {}
    candidates: list[str] = []
    if (
        isinstance(hatch_version, dict)
        and isinstance(hatch_version.get("path"), str)
        and "pattern" not in hatch_version  # a custom pattern: not a __version__ assignment
    ):
        candidates.append(hatch_version["path"])
    backend = data.get("build-system", {})
    if isinstance(backend, dict) and str(backend.get("build-backend", "")).startswith("flit"):
        flit = tool.get("flit", {}) if isinstance(tool, dict) else {}
        module_table = flit.get("module", {}) if isinstance(flit, dict) else {}
        module = module_table.get("name") if isinstance(module_table, dict) else None
        module = str(module or normalize(name).replace("-", "_")).replace(".", "/")
        for base in ("", "src/"):
            candidates += [
                f"{base}{module}/__init__.py",
                f"{base}{module}.py",
                f"{base}{module}/_version.py",
                f"{base}{module}/__version__.py",
            ]
    for rel in candidates:
        path = root / rel
        if path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            m = re.search(_MODULE_VERSION_RE, text, re.MULTILINE)
            if m:
                return f"attr:{rel}:__version__", m.group(1)
    return fallback, None


def read_version_file(path: Path) -> str | None:
    """The version a plain version file holds (its first non-empty line), or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return next((ln.strip() for ln in text.splitlines() if ln.strip()), None)


def detect_dynamic_version_tool(data: dict[str, Any]) -> str:
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        return "unknown"
    if "setuptools_scm" in tool or "setuptools-scm" in tool:
        return "setuptools-scm"
    hatch = tool.get("hatch", {})
    if isinstance(hatch, dict):
        source = hatch.get("version", {})
        if isinstance(source, dict) and source.get("source") == "vcs":
            return "hatch-vcs"
    pdm = tool.get("pdm", {})
    if isinstance(pdm, dict):
        ver = pdm.get("version", {})
        if isinstance(ver, dict) and ver.get("source") == "scm":
            return "pdm-backend (scm)"
    requires = data.get("build-system", {}).get("requires", [])
    for req in requires if isinstance(requires, list) else []:
        for marker, label in VCS_VERSION_BACKENDS.items():
            if isinstance(req, str) and req.lower().startswith(marker):
                return label
    return "unknown"


def _poetry_python(constraint: str) -> str | None:
    """``^3.10`` -> ``>=3.10``; ``>=3.10,<4`` unchanged; anything else None."""
    constraint = constraint.strip()
    m = re.fullmatch(r"[\^~]\s*(3\.\d+)(?:\.\d+)?", constraint)
    if m:
        return f">={m.group(1)}"
    if re.fullmatch(r"[<>=!~,.\d\s*]+", constraint):
        return constraint
    return None
