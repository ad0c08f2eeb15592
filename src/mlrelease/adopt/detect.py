"""What ``mlrelease init`` learns from an existing repository before proposing anything.

Read-only. Every inference is recorded as a :class:`Note` (what was decided and why, and how to
change it), which ``init`` prints and turns into comments in the generated table.
"""

from __future__ import annotations

import ast
import configparser
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlrelease._util.git import Repo
from mlrelease.adopt.ci import CiFacts, read_ci
from mlrelease.adopt.docsbuild import docs_build
from mlrelease.adopt.facts import (
    Branch,
    Changelog,
    Formatter,
    ReadTheDocs,
    TagFormat,
    ToolPins,
    changelog,
    default_branch,
    formatter,
    in_package_tests,
    read_the_docs,
    tag_format,
    tool_pins,
    version_ahead_of_tag,
)
from mlrelease.adopt.measure import (
    LintDebt,
    MypyDecision,
    decide_mypy,
    lint_debt,
    provision,
)
from mlrelease.config.model import DEFAULT_TOOLS, read_pyproject
from mlrelease.project import (
    DOCS_CANDIDATES,
    find_source,
    normalize,
    project_identity,
    pythons_from_requires,
)

TEST_DIR_CANDIDATES = ("tests", "test")
DOCS_EXTRA_NAMES = ("docs", "doc", "documentation")
TEST_EXTRA_NAMES = ("dev-tests", "dev_tests", "testing", "test", "tests", "test-dev")
DEV_EXTRA_NAMES = ("dev", "develop", "development")  # only when no test extra or group exists
# Markers of tests that cannot run on a hosted CI runner (no GPU, and the network is the
# repository's own concern: tests it marks as needing it are deselected).
HARDWARE_MARKERS = ("gpu", "cuda", "multi_gpu", "tpu")
NETWORK_MARKERS = ("network", "internet", "online", "requires_network", "needs_network")
# Sphinx extension or theme module -> the distribution that provides it.
SPHINX_PACKAGES = {
    "myst_parser": "myst-parser",
    "myst_nb": "myst-nb",
    "nbsphinx": "nbsphinx",
    "numpydoc": "numpydoc",
    "sphinx_autodoc_typehints": "sphinx-autodoc-typehints",
    "sphinx_copybutton": "sphinx-copybutton",
    "sphinx_design": "sphinx-design",
    "sphinx_gallery": "sphinx-gallery",
    "sphinx_rtd_theme": "sphinx-rtd-theme",
    "sphinx_book_theme": "sphinx-book-theme",
    "pydata_sphinx_theme": "pydata-sphinx-theme",
    "furo": "furo",
    "autoapi": "sphinx-autoapi",
    "sphinxcontrib.bibtex": "sphinxcontrib-bibtex",
    "sphinxcontrib.mermaid": "sphinxcontrib-mermaid",
    "sphinx_click": "sphinx-click",
    "sphinxarg.ext": "sphinx-argparse",
}


@dataclass(frozen=True)
class Note:
    topic: str  # "python", "lint", "docs", ...
    text: str


@dataclass
class Detected:
    """Facts about the repository and the ``[tool.mlrelease]`` values inferred from them."""

    root: Path
    name: str
    build_backend: str
    requires_python: str | None
    version_source: str
    pythons: list[str]
    layout: str
    source: str | None  # relative package dir, when the project would not infer it
    source_found: str | None  # relative package dir as found
    test_paths: list[str]
    pytest_options: dict[str, Any]
    has_table: bool
    docs_dir: str | None = None
    docs_extras: list[str] = field(default_factory=list)
    docs_groups: list[str] = field(default_factory=list)
    docs_requirements: list[str] = field(default_factory=list)
    docs_requirement_file: str | None = None
    test_extras: list[str] = field(default_factory=list)
    test_groups: list[str] = field(default_factory=list)
    exclude_markers: list[str] = field(default_factory=list)
    coverage_min: float | None = None
    mypy_configured: bool = False
    mypy: MypyDecision = field(default_factory=lambda: MypyDecision(False, "not checked"))
    ci: CiFacts = field(default_factory=CiFacts)
    test_workers: str | None = None
    pytest_args: list[str] = field(default_factory=list)
    docs_define: dict[str, str] = field(default_factory=dict)
    docs_off: str | None = None  # why docs.enabled = false (e.g. a mkdocs project)
    docs_cwd: str | None = None  # where the repository runs sphinx-build from
    docs_cwd_why: str = ""
    warnings: list[str] = field(default_factory=list)
    lint: LintDebt = field(default_factory=lambda: LintDebt(checked=False))
    notes: list[Note] = field(default_factory=list)
    test_paths_why: str = ""
    test_extras_why: str = ""
    docs_why: str = ""
    branch: Branch | None = None  # None: not a git repository
    tags: TagFormat = field(default_factory=lambda: TagFormat(None, 0))
    changelog: Changelog = field(default_factory=lambda: Changelog(None, ""))
    pins: ToolPins = field(default_factory=ToolPins)
    formatter: Formatter = field(default_factory=lambda: Formatter(False, None))
    rtd: ReadTheDocs = field(default_factory=ReadTheDocs)

    def note(self, topic: str, text: str) -> None:
        self.notes.append(Note(topic, text))


def _table(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    cur: Any = data
    for key in keys:
        cur = cur.get(key) if isinstance(cur, dict) else None
    return cur if isinstance(cur, dict) else {}


def _project_identity(root: Path, data: dict[str, Any]) -> tuple[str, str | None, str]:
    """(name, requires-python, version source), read as every command reads them."""
    ident = project_identity(root, data)
    return ident.name, ident.requires_python, ident.version_source


def pytest_options(root: Path, data: dict[str, Any]) -> dict[str, Any]:
    """The repository's own pytest settings, from wherever pytest would read them."""
    ini = _table(data, "tool", "pytest", "ini_options")
    if ini:
        return dict(ini)
    for name, section in (
        ("pytest.ini", "pytest"),
        ("tox.ini", "pytest"),
        ("setup.cfg", "tool:pytest"),
    ):
        path = root / name
        if not path.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except configparser.Error:
            continue
        if parser.has_section(section):
            opts: dict[str, Any] = {}
            for key, value in parser.items(section):
                if key in ("testpaths", "markers"):
                    opts[key] = [v.strip() for v in value.splitlines() if v.strip()]
                    if key == "testpaths" and len(opts[key]) == 1:
                        opts[key] = opts[key][0].split()
                else:
                    opts[key] = value
            return opts
    return {}


def _marker_names(markers: object) -> list[str]:
    names = []
    for entry in markers if isinstance(markers, list) else []:
        if isinstance(entry, str):
            names.append(re.split(r"[:(]", entry, maxsplit=1)[0].strip())
    return names


def _coverage_floor(root: Path, data: dict[str, Any], opts: dict[str, Any]) -> float | None:
    addopts = opts.get("addopts", "")
    text = " ".join(addopts) if isinstance(addopts, list) else str(addopts)
    m = re.search(r"--cov-fail-under[= ](\d+(?:\.\d+)?)", text)
    if m:
        return float(m.group(1))
    floor = _table(data, "tool", "coverage", "report").get("fail_under")
    if isinstance(floor, (int, float)) and not isinstance(floor, bool):
        return float(floor)
    for name, section in (
        (".coveragerc", "report"),
        ("setup.cfg", "coverage:report"),
        ("tox.ini", "coverage:report"),
    ):
        rc = root / name
        if not rc.is_file():
            continue
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(rc, encoding="utf-8")
        except configparser.Error:
            continue
        if parser.has_option(section, "fail_under"):
            try:
                return float(parser.get(section, "fail_under"))
            except ValueError:
                return None
    return None


def _mypy_configured(root: Path, data: dict[str, Any]) -> bool:
    if _table(data, "tool", "mypy"):
        return True
    if (root / "mypy.ini").is_file() or (root / ".mypy.ini").is_file():
        return True
    cfg = root / "setup.cfg"
    return cfg.is_file() and "[mypy]" in cfg.read_text(encoding="utf-8", errors="replace")


def _extras_and_groups(data: dict[str, Any], names: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The first extra and dependency group named in ``names``, in the order of ``names``."""
    extras_table = _table(data, "project", "optional-dependencies")
    poetry_extras = _table(data, "tool", "poetry", "extras")
    groups_table = _table(data, "dependency-groups")
    # poetry dependency groups are not PEP 735 groups: pip cannot install them.
    extras = [n for n in names if n in extras_table or n in poetry_extras]
    groups = [n for n in names if n in groups_table]
    return extras[:1], groups[:1]


def sphinx_requirements(conf: Path) -> list[str]:
    """Distributions a Sphinx conf.py needs, from its ``extensions`` and ``html_theme``."""
    try:
        tree = ast.parse(conf.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return []
    modules: list[str] = []
    for node in tree.body:
        if not isinstance(node, ast.Assign):
            continue
        targets = [t.id for t in node.targets if isinstance(t, ast.Name)]
        if "extensions" in targets and isinstance(node.value, (ast.List, ast.Tuple)):
            modules += [
                e.value
                for e in node.value.elts
                if isinstance(e, ast.Constant) and isinstance(e.value, str)
            ]
        if "html_theme" in targets and isinstance(node.value, ast.Constant):
            modules.append(str(node.value.value))
    wanted: list[str] = []
    for module in modules:
        dist = SPHINX_PACKAGES.get(module) or SPHINX_PACKAGES.get(module.split(".")[0])
        if dist and dist not in wanted:
            wanted.append(dist)
    return wanted


def detect(root: Path, *, run_ruff: bool = True) -> Detected:
    """Read ``root`` and infer a ``[tool.mlrelease]`` table. Raises :class:`ConfigError`."""
    data = read_pyproject(root / "pyproject.toml")
    name, requires_python, version_source = _project_identity(root, data)
    backend = str(
        _table(data, "build-system").get("build-backend", "setuptools.build_meta:__legacy__")
    )
    import_name = normalize(name).replace("-", "_")
    pkg, layout = find_source(root, import_name, None)
    inferred = pkg  # what load_project infers too: `source` is written only when it differs
    source_found = pkg.relative_to(root).as_posix() if pkg else None
    opts = pytest_options(root, data)
    testpaths = opts.get("testpaths")
    if isinstance(testpaths, str):
        testpaths = testpaths.split()
    if isinstance(testpaths, list) and testpaths:
        test_paths, tests_why = [str(p) for p in testpaths], "pytest testpaths"
    else:
        test_paths = [d for d in TEST_DIR_CANDIDATES if (root / d).is_dir()]
        tests_why = "found"
        if not test_paths:
            test_paths, tests_why = in_package_tests(root, pkg), "inside the package"
    found = Detected(
        root=root,
        name=name,
        build_backend=backend,
        requires_python=requires_python,
        version_source=version_source,
        pythons=pythons_from_requires(requires_python) if requires_python else [],
        layout=layout,
        source=source_found if pkg is not None and pkg != inferred else None,
        source_found=source_found,
        test_paths=test_paths,
        pytest_options=opts,
        has_table=isinstance(_table(data, "tool").get("mlrelease"), dict),
        test_paths_why=tests_why,
    )
    found.ci = read_ci(root)
    _detect_tests(found, data)
    _detect_docs(found, data)
    found.mypy_configured = _mypy_configured(root, data)
    _detect_repository(found, data)
    if run_ruff:
        paths = [p for p in [source_found, *test_paths] if p and (root / p).exists()]
        ruff = provision("ruff", found.pins.values.get("ruff", DEFAULT_TOOLS["ruff"]), cwd=root)
        found.lint = lint_debt(root, paths, ruff)
    found.mypy = decide_mypy(
        root,
        data,
        package=source_found,
        ci_mypy=found.ci.mypy,
        configured=found.mypy_configured,
        pins=found.pins,
        trial=run_ruff,
    )
    return found


def _detect_repository(found: Detected, data: dict[str, Any]) -> None:
    """What git, pre-commit and the changelog say (branch, tags, pins, formatter)."""
    root = found.root
    if Repo(root).is_repository():
        found.branch = default_branch(root)
        found.tags = tag_format(root)
    found.changelog = changelog(root)
    found.pins = tool_pins(root, data)
    found.formatter = formatter(root, data)
    declared = project_identity(root, data).static_version
    if declared and found.tags.version and not found.tags.calver:
        found.warnings += version_ahead_of_tag(declared, found.tags.example, found.tags.version)


def _detect_tests(found: Detected, data: dict[str, Any]) -> None:
    markers = _marker_names(found.pytest_options.get("markers"))
    found.exclude_markers = [m for m in markers if m in (*HARDWARE_MARKERS, *NETWORK_MARKERS)]
    found.coverage_min = _coverage_floor(found.root, data, found.pytest_options)
    _tests_as_ci_runs_them(found)
    found.test_extras, found.test_groups = _extras_and_groups(data, TEST_EXTRA_NAMES)
    if found.test_extras or found.test_groups:
        found.test_extras_why = "the test extra/group"
    else:
        found.test_extras, found.test_groups = _extras_and_groups(data, DEV_EXTRA_NAMES)
        if found.test_extras or found.test_groups:
            found.test_extras_why = "no test extra or group: the dev one"
    if found.ci.workers and _xdist_declared(data, found.test_extras, found.test_groups):
        found.test_workers = found.ci.workers


def _tests_as_ci_runs_them(found: Detected) -> None:
    """Ignored paths, deselected markers and a coverage floor from the repository's CI."""
    ci = found.ci
    if found.coverage_min is None and ci.coverage_min is not None:
        found.coverage_min = ci.coverage_min
        found.note("tests", f"coverage floor {ci.coverage_min:g} from {ci.why['coverage_min']}")
    for path in ci.ignored:
        if path in found.test_paths and len(found.test_paths) > 1:
            found.test_paths.remove(path)
        else:
            found.pytest_args.append(f"--ignore={path}")
    for marker in ci.deselected:
        if marker not in found.exclude_markers:
            found.exclude_markers.append(marker)


def _xdist_declared(data: dict[str, Any], extras: list[str], groups: list[str]) -> bool:
    tables = [
        (_table(data, "project", "optional-dependencies"), extras),
        (_table(data, "dependency-groups"), groups),
    ]
    for table, names in tables:
        for name in names:
            reqs = table.get(name)
            for req in reqs if isinstance(reqs, list) else []:
                if isinstance(req, str) and re.match(r"pytest[-_]xdist\b", req, re.I):
                    return True
    return False


def _detect_docs(found: Detected, data: dict[str, Any]) -> None:
    root = found.root
    build = docs_build(root)
    docs = build.source or next(
        (c for c in DOCS_CANDIDATES if (root / c / "conf.py").is_file()), None
    )
    if docs is None:
        if build.mkdocs:
            found.docs_off = (
                f"{build.mkdocs}: a mkdocs site; mlrelease builds Sphinx docs only, so mkdocs "
                "is not built (docs.enabled = false; build it in your own nox session)"
            )
        return
    found.docs_dir = docs
    found.docs_define = dict(build.define)
    if build.source and build.cwd:
        found.docs_cwd, found.docs_cwd_why = build.cwd, build.why
    rtd = found.rtd = read_the_docs(root)
    declared = set(_table(data, "project", "optional-dependencies"))
    if rtd.extras and set(rtd.extras) <= declared:
        found.docs_extras, found.docs_why = list(rtd.extras), f"from {rtd.file}"
    else:
        found.docs_extras, found.docs_groups = _extras_and_groups(data, DOCS_EXTRA_NAMES)
    for candidate in (*rtd.requirement_files, f"{docs}/requirements.txt", "docs/requirements.txt"):
        if (root / candidate).is_file():
            found.docs_requirement_file = candidate
            if candidate != f"{docs}/requirements.txt":  # the docs session reads only that one
                found.docs_requirements = requirement_lines(root / candidate)
            if candidate in rtd.requirement_files:
                found.docs_why = f"from {rtd.file}"
            break
    if not (found.docs_extras or found.docs_groups or found.docs_requirement_file):
        found.docs_requirements = sphinx_requirements(root / docs / "conf.py")


def requirement_lines(path: Path) -> list[str]:
    """PEP 508 lines of a requirements file (options, includes and comments left out)."""
    lines = []
    for raw in path.read_text(encoding="utf-8", errors="replace").splitlines():
        line = raw.split(" #", 1)[0].strip()
        if line and not line.startswith(("#", "-")):
            lines.append(line)
    return lines
