"""Real nox on copies of examples/driftwatch: the happy path and one broken copy per user mistake.

All copies share one nox environment directory, so only the happy path pays for creating
environments; each broken copy runs only the session it breaks (reinstalling just the project).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

# One pytest-xdist worker for the whole module (./ci/test: --dist loadgroup): the nox environments are built once per module.
pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("sessions")]

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "driftwatch"
VENV_BIN = Path(sys.executable).parent
IGNORE = shutil.ignore_patterns(".nox", "dist", "build", "reports", "__pycache__", "*_cache")


def git(cwd: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.invalid",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.invalid",
        "GIT_AUTHOR_DATE": "2026-01-02T03:04:05Z",
        "GIT_COMMITTER_DATE": "2026-01-02T03:04:05Z",
    }
    proc = subprocess.run(
        ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=True
    )
    return proc.stdout


def make_copy(dest: Path, change: Callable[[Path], None] | None = None) -> Path:
    shutil.copytree(EXAMPLE, dest, ignore=IGNORE)
    if change is not None:
        change(dest)
    git(dest, "init", "-q", "-b", "main")
    git(dest, "add", "-A")
    git(dest, "commit", "-q", "-m", "feat: driftwatch")
    return dest


def nox(cwd: Path, envdir: Path, *args: str, ci: bool = False) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NOXSESSION", "NO_COLOR")}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["NO_COLOR"] = "1"
    if ci:
        env["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "nox", "--envdir", str(envdir), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="module")
def envdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nox-envs")


@pytest.fixture(scope="module")
def happy(tmp_path_factory: pytest.TempPathFactory, envdir: Path) -> tuple[Path, str]:
    """One full `nox -t check` run on an unchanged copy (creates every environment)."""
    root = make_copy(tmp_path_factory.mktemp("happy") / "driftwatch")
    proc = nox(root, envdir, "-t", "check")
    assert proc.returncode == 0, proc.stdout[-6000:]
    return root, proc.stdout


def sha256s(paths: list[Path]) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}


def test_nox_lists_the_shared_sessions() -> None:
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    proc = subprocess.run(
        [sys.executable, "-m", "nox", "-l"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    listed = re.findall(r"^([*-]) (\S+) \[([^\]]*)\]", proc.stdout, re.M)
    assert listed == [
        ("*", "lint", "check,lint"),
        ("*", "tests-3.11", "check,tests"),
        ("*", "tests-3.12", "check,tests"),
        ("*", "docs", "check,docs"),
        ("-", "docs-linkcheck", "docs"),
        ("*", "build", "check,build"),
        ("-", "release", "release"),
        ("-", "publish", "release"),
    ]


def test_happy_path_every_session_passes_and_reports_exist(happy: tuple[Path, str]) -> None:
    root, output = happy
    for session in ("lint", "tests-3.11", "tests-3.12", "docs", "build"):
        assert f"* {session}: success" in output
    for python in ("3.11", "3.12"):
        junit = (root / "build" / "reports" / f"junit-{python}.xml").read_text(encoding="utf-8")
        assert 'failures="0"' in junit
        assert "test_psi_on_gpu_arrays" not in junit  # the gpu marker is deselected
        assert (root / "build" / "reports" / f"coverage-{python}.xml").is_file()
    assert "Required test coverage of 90% reached" in output
    api = (root / "build" / "docs" / "html" / "api.html").read_text(encoding="utf-8")
    assert "Population stability index" in api  # autodoc pulled the docstrings in
    names = sorted(p.name for p in (root / "dist").iterdir())
    assert names == ["driftwatch-0.1.0-py3-none-any.whl", "driftwatch-0.1.0.tar.gz"]
    # into a pipe twine runs without colour codes (NO_COLOR or not a terminal)
    assert re.search(r"twine (--no-color )?check --strict", output)
    assert "check-wheel-contents" in output


def test_wheel_installs_in_a_fresh_venv_and_imports(
    happy: tuple[Path, str], tmp_path: Path
) -> None:
    root, _ = happy
    (wheel,) = (root / "dist").glob("*.whl")
    venv = tmp_path / "venv"
    subprocess.run([str(VENV_BIN / "uv"), "venv", "-q", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run(
        [str(VENV_BIN / "uv"), "pip", "install", "-q", "--python", str(py), str(wheel)], check=True
    )
    code = (
        "import driftwatch, numpy as np; "
        "m = driftwatch.DriftMonitor(np.zeros(100) + np.arange(100), window=50); "
        "print(driftwatch.__version__, [r.drifted for r in m.update(np.arange(100) + 500.0)])"
    )
    out = subprocess.run([str(py), "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0.1.0 [True, True]"


def test_warm_rerun_installs_nothing_and_rebuild_is_byte_identical(
    happy: tuple[Path, str], envdir: Path
) -> None:
    root, _ = happy
    first = sha256s(sorted((root / "dist").iterdir()))
    proc = nox(root, envdir, "-s", "lint", "build")
    assert proc.returncode == 0, proc.stdout[-4000:]
    assert proc.stdout.count("nothing to install") == 2
    assert "uv pip install" not in proc.stdout
    assert sha256s(sorted((root / "dist").iterdir())) == first


def break_lint(root: Path) -> None:
    path = root / "src" / "driftwatch" / "monitor.py"
    text = path.read_text(encoding="utf-8")
    future = "from __future__ import annotations\n"
    path.write_text(text.replace(future, future + "\nimport os\n"), encoding="utf-8")


def break_test(root: Path) -> None:
    path = root / "tests" / "test_monitor.py"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace("assert monitor.drift_rate == 1.0", "assert monitor.drift_rate == 0.5"),
        encoding="utf-8",
    )


def break_coverage(root: Path) -> None:
    (root / "tests" / "test_monitor.py").unlink()


def break_docs(root: Path) -> None:
    path = root / "docs" / "api.rst"
    path.write_text(
        path.read_text(encoding="utf-8") + "\n.. automodule:: driftwatch.nosuchmodule\n",
        encoding="utf-8",
    )


def break_metadata(root: Path) -> None:
    (root / "README.md").unlink()


@pytest.mark.parametrize(
    "case",
    [
        (break_lint, "lint", ["F401", "src/driftwatch/monitor.py:5:8", "`ruff check --fix`"]),
        (
            break_test,
            "tests-3.12",
            [
                "FAILED tests/test_monitor.py::test_shifted_data_drifts",
                "a test of the repository failed",
                "the repository's own tests failed: 1 of",
            ],
        ),
        (
            break_coverage,
            "tests-3.12",
            [
                "Required test coverage of 90% not reached",
                "passed: the run failed on the coverage floor, "
                "tool.mlrelease.test.coverage-min = 90",
            ],
        ),
        (break_docs, "docs", ["driftwatch.nosuchmodule", "fix the Sphinx warnings above"]),
        (
            break_metadata,
            "build",
            ["README.md", "python -m build failed: the repository's build backend"],
        ),
    ],
    ids=["lint-error", "failing-test", "coverage-under-floor", "sphinx-warning", "missing-readme"],
)
def test_broken_copy_fails_in_its_session_naming_the_cause(
    happy: tuple[Path, str],
    envdir: Path,
    tmp_path: Path,
    case: tuple[Callable[[Path], None], str, list[str]],
) -> None:
    change, session, causes = case
    root = make_copy(tmp_path / "driftwatch", change)
    proc = nox(root, envdir, "-s", session)
    assert proc.returncode != 0
    assert f"Session {session} failed" in proc.stdout, proc.stdout[-4000:]
    for cause in causes:
        assert cause in proc.stdout, proc.stdout[-4000:]


def test_missing_interpreter_is_reported_and_an_error_in_ci(tmp_path: Path, envdir: Path) -> None:
    def ask_for_39(root: Path) -> None:
        path = root / "pyproject.toml"
        text = path.read_text(encoding="utf-8")
        path.write_text(
            text.replace('python = ["3.11", "3.12"]', 'python = ["3.9"]'), encoding="utf-8"
        )

    root = make_copy(tmp_path / "driftwatch", ask_for_39)
    local = nox(root, envdir, "-s", "tests")
    assert "Session tests-3.9 skipped: Python interpreter 3.9 not found" in local.stdout
    in_ci = nox(root, envdir, "-s", "tests", ci=True)
    assert in_ci.returncode != 0
    assert "Session tests-3.9 failed: Python interpreter 3.9 not found" in in_ci.stdout


def test_lint_fail_on_new_ignores_old_debt_and_fails_on_new_findings(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / "src" / "pkg").mkdir(parents=True)
    old = root / "src" / "pkg" / "old.py"
    old.write_text("import os\n\n\ndef f():\n    return 1\n", encoding="utf-8")
    (root / "pyproject.toml").write_text('[tool.ruff.lint]\nselect = ["F"]\n', encoding="utf-8")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: start with lint debt")
    git(root, "checkout", "-q", "-b", "feature")
    env = {**os.environ, "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
    argv = [sys.executable, "-m", "mlrelease.stages.lint_new", "--base", "main", "--format", "src"]

    clean = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert "1 older finding in unchanged lines not counted" in clean.stderr
    assert "RuntimeWarning" not in clean.stderr  # runpy's warning before every lint run

    old.write_text(
        old.read_text(encoding="utf-8") + "\n\ndef g():\n    return undefined_name\n",
        encoding="utf-8",
    )
    (root / "src" / "pkg" / "new.py").write_text("import sys\n", encoding="utf-8")
    dirty = subprocess.run(argv, cwd=root, env=env, capture_output=True, text=True, check=False)
    assert dirty.returncode == 1
    assert "src/pkg/old.py:9:12: F821" in dirty.stdout
    assert "src/pkg/new.py:1:8: F401" in dirty.stdout
    assert "old.py:1:8" not in dirty.stdout  # the old finding is still not counted

    wrong = subprocess.run(
        [*argv[:4], "origin/nope", *argv[5:]],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert wrong.returncode == 1
    assert "lint.base 'origin/nope' is not a commit" in wrong.stderr
    assert "Traceback" not in wrong.stderr


# --- a uv on PATH that does not run ------------------------------------------------------------------

BROKEN_UV = '#!/bin/sh\necho "pyenv: uv: command not found" >&2\nexit 127\n'


def _broken_uv(where: Path) -> Path:
    where.mkdir()
    (where / "uv").write_text(BROKEN_UV, encoding="utf-8")
    (where / "uv").chmod(0o755)
    return where


def _venv_without_uv(where: Path) -> Path:
    """A venv holding this interpreter's packages (links) less the uv package; its python."""
    import sysconfig

    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(where)], check=True)
    version = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = where / "lib" / version / "site-packages"
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if not entry.name.lower().startswith("uv") and entry.suffix != ".pth":
            (site / entry.name).symlink_to(entry)
    repo = EXAMPLE.parents[1]
    (site / "mlrelease-checkout.pth").write_text(f"{repo / 'src'}\n{repo}\n", encoding="utf-8")
    return where / "bin" / "python"


@pytest.mark.parametrize("uv_package", [True, False], ids=["uv-package", "no-working-uv"])
def test_build_works_with_a_broken_uv_first_on_path(tmp_path: Path, uv_package: bool) -> None:
    """A pyenv shim for a uv of another Python (exit 127) is first on PATH: with the uv package
    installed its binary is used (nox and build's --installer uv); without it the environment is
    made with virtualenv and build installs with pip."""
    shims = _broken_uv(tmp_path / "shims")
    root = make_copy(tmp_path / "driftwatch")
    env = {k: v for k, v in os.environ.items() if k not in ("CI", "NOXSESSION", "UV")}
    env["PATH"] = f"{shims}{os.pathsep}{VENV_BIN}{os.pathsep}/usr/bin{os.pathsep}/bin"
    env["NO_COLOR"] = "1"
    argv = [sys.executable, "-m", "nox", "--envdir", str(tmp_path / "envs"), "-s", "build"]
    if not uv_package:
        argv[0] = str(_venv_without_uv(tmp_path / "nox-venv"))
        env["PATH"] = f"{shims}{os.pathsep}/usr/bin{os.pathsep}/bin"
        # mlrelease without its uv dependency (pip install --no-deps): nox's script mode sees the
        # header's mlrelease unmet and would install it again; run the noxfile in place.
        env["NOX_SCRIPT_MODE"] = "none"
    proc = subprocess.run(
        argv,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:]
    names = sorted(p.name for p in (root / "dist").iterdir())
    assert names == ["driftwatch-0.1.0-py3-none-any.whl", "driftwatch-0.1.0.tar.gz"]
    assert "command not found" not in proc.stdout
    if uv_package:
        assert "--installer uv" in proc.stdout
    else:
        assert "--installer" not in proc.stdout
        assert "virtualenv" in proc.stdout, proc.stdout[-3000:]


def test_lint_and_docs_run_within_requires_python_not_on_noxs_own(tmp_path: Path) -> None:
    """nox runs on this interpreter; a project that excludes it gets lint and docs (which install
    the project) on the matrix's newest Python; the tests keep their matrix, build nox's own."""

    def exclude_this_python(root: Path) -> None:
        path = root / "pyproject.toml"
        newer = f"3.{sys.version_info[1] + 1}"
        text = path.read_text(encoding="utf-8")
        text = text.replace('requires-python = ">=3.10"', f'requires-python = ">={newer}"')
        text = text.replace('python = ["3.11", "3.12"]', f'python = ["{newer}"]')
        path.write_text(text, encoding="utf-8")

    for change, expected in ((None, None), (exclude_this_python, f"3.{sys.version_info[1] + 1}")):
        root = make_copy(tmp_path / str(expected), change)
        proc = nox(root, tmp_path / "envs", "-l", "--json")
        assert proc.returncode == 0, proc.stdout
        pythons = {s["session"]: s["python"] for s in json.loads(proc.stdout)}
        assert pythons["lint"] == expected
        assert pythons["docs"] == expected
        assert pythons["build"] is None
