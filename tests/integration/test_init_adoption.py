"""Adoption with no hand edit: `mlrelease init` reads what a repository already says, then
`nox -t check` passes on the first run.

Two fixtures (tests/fixtures/projects), each with the git history a real repository has, made here
in a temporary copy:

- setuptools-inpkg, cloned from a bare remote whose default branch is ``master`` and whose tags are
  ``1.2.0``/``1.2.3`` (no ``v``): distribution ``tabular-scalers`` imports as ``scalekit``, tests
  inside the package (``scalekit/tests`` with a conftest.py, ``scalekit/robust/tests``), a test
  marked ``network``, version in ``scalekit/VERSION`` ([tool.setuptools.dynamic]), HISTORY.md,
  ``dev`` and ``test`` extras (``pytest>=8,<9.2``), ``select = ["ALL"]`` ruff debt, black as
  formatter, ruff pinned by pre-commit, no mypy configuration, a coverage floor of 70.
- scm-docs: setuptools-scm without any tag, Sphinx in ``doc/`` with an extension that only the
  ``rtd`` extra named by ``.readthedocs.yaml`` provides, a ``tests`` extra, ruff format, mypy
  strict whose stubs come from the pre-commit mypy hook.

Then the fixtures of issue 18 (ruff-d-master, ci-ignored, doc-makefile, precommit-pin, tox-floor,
mkdocs-site) from this checkout's wheel installed with nox in an empty venv, as the README installs
it: no ruff or mypy on PATH (uv only as the wheel's own dependency), so init must provision the
pinned tools itself.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration.test_init import FIXTURES, VENV_BIN, git, mlrelease, nox, plan, table
from tests.integration.test_installed_wheel import GIT_ENV, _machine_env, _system_path

pytestmark = pytest.mark.integration


def master_clone(tmp_path: Path) -> Path:
    """setuptools-inpkg with two releases tagged 1.2.0 and 1.2.3 on master, freshly cloned."""
    upstream = tmp_path / "upstream"
    shutil.copytree(FIXTURES / "setuptools-inpkg", upstream)
    git(upstream, "init", "-q", "-b", "master")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "feat: first version")
    git(upstream, "tag", "1.2.0")
    (upstream / "README.md").write_text("# tabular-scalers\n\nScaling.\n", encoding="utf-8")
    git(upstream, "commit", "-q", "-am", "fix: robust scaling ignores NaN")
    git(upstream, "tag", "1.2.3")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "master", str(remote))
    git(upstream, "push", "-q", str(remote), "master", "--tags")
    root = tmp_path / "tabular-scalers"
    git(tmp_path, "clone", "-q", str(remote), str(root))
    return root


def main_repo_without_tags(tmp_path: Path, name: str) -> Path:
    root = tmp_path / name
    shutil.copytree(FIXTURES / name, root)
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first version")
    remote = tmp_path / f"{name}.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(root, "remote", "add", "origin", str(remote))
    git(root, "push", "-q", "origin", "main")
    git(root, "fetch", "-q", "origin")
    return root


def _needs_python311() -> None:
    if shutil.which("python3.11", path=os.environ.get("PATH")) is None:
        pytest.fail("python3.11 is needed on PATH (./ci/test sets PYENV_VERSION)")


def _ruff(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(VENV_BIN / "ruff"), *args], cwd=root, capture_output=True, text=True, check=False
    )


# --- setuptools, master, tags without v, tests inside the package --------------------------------


def test_init_reads_branch_tags_version_file_changelog_pins_and_in_package_tests(
    tmp_path: Path,
) -> None:
    root = master_clone(tmp_path)
    dry = mlrelease(root, "init", "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    out = dry.stdout
    # what was detected, and why, is said before the diff
    assert "tests: scalekit (inside the package)" in out
    assert "version: in scalekit/VERSION" in out
    assert "branch: master (origin/HEAD points at master)" in out
    assert 'tags: 2 like 1.2.3 (the newest): tag-format = "{version}"' in out
    assert "changelog: HISTORY.md" in out
    assert "tools.ruff = '0.17.4': as .pre-commit-config.yaml" in out
    assert "the repository formats with black: ruff format --check is off" in out
    assert 'lint.fail-on = "new" against origin/master' in out
    assert "mypy: off: the repository does not run mypy in CI, pre-commit" in out
    assert "test dependencies: extra test" in out
    assert '+mypy = "off"' in out  # and the diff shows it
    assert not (root / "noxfile.py").exists()

    proc = mlrelease(root, "init")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    cfg = table(root)
    assert "source" not in cfg  # the one package of the flat layout: found without the key
    assert cfg["test"]["paths"] == ["scalekit"]  # scalekit/tests and scalekit/robust/tests
    assert cfg["test"]["exclude-markers"] == ["network"]
    assert cfg["test"]["extras"] == ["test"]  # not dev, listed first
    assert cfg["test"]["coverage-min"] == 70
    assert cfg["lint"] == {
        "format": False,
        "fail-on": "new",
        "base": "origin/master",
        "mypy": "off",
    }
    assert cfg["version"] == {
        "tag-format": "{version}",
        "release-branches": ["master"],
        "changelog": "HISTORY.md",
    }
    assert cfg["tools"] == {"pytest": "<9.2,>=8", "ruff": "0.17.4"}
    workflow = (root / ".github" / "workflows" / "mlrelease.yml").read_text(encoding="utf-8")
    assert "branches: [master]" in workflow
    # the generated noxfile passes the repository's own ruff rules (select = ["ALL"])
    assert _ruff(root, "check", "--no-cache", "noxfile.py").returncode == 0

    facts = plan(root)
    assert facts["project"]["import-name"] == "scalekit"
    assert facts["project"]["version-source"] == "file:scalekit/VERSION"
    assert facts["project"]["version"] == "1.2.3"
    argv = facts["stages"]["tests"]["sessions"]["3.11"]["commands"][0]["argv"]
    assert "--cov=scalekit" in argv
    assert argv[-1] == "scalekit"
    check = mlrelease(root, "check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ok: lint.base origin/master resolves" in check.stdout

    version = mlrelease(root, "version", "--json")
    assert version.returncode == 0, version.stderr
    assert json.loads(version.stdout)["current-version"] == "1.2.3"  # not an initial 0.0.0

    # a release stamps the version file and tags without v, on master
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: adopt mlrelease")
    (root / "scalekit" / "util.py").write_text("HALF = 0.5\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: a constant")
    release = mlrelease(root, "release", "--no-push")
    assert release.returncode == 0, release.stdout + release.stderr
    assert (root / "scalekit" / "VERSION").read_text(encoding="utf-8") == "1.3.0\n"
    assert "1.3.0" in git(root, "tag", "--list").split()
    history = (root / "HISTORY.md").read_text(encoding="utf-8")
    assert history.index("## [1.3.0]") < history.index("## 1.2.3 (2024-05-02)")
    verify = mlrelease(root, "release", "--verify-tag")
    assert verify.returncode == 0, verify.stdout + verify.stderr


@pytest.mark.slow
def test_nox_check_passes_after_init_on_setuptools_master_in_package_tests(
    tmp_path: Path,
) -> None:
    _needs_python311()
    root = master_clone(tmp_path)
    assert mlrelease(root, "init").returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: adopt mlrelease")
    proc = nox(root, "-t", "check")
    out = proc.stdout
    assert proc.returncode == 0, out[-6000:]
    assert "* lint: success" in out
    assert "ruff==0.17.4" in out  # the ruff pre-commit pins
    assert re.search(r"older findings? in unchanged lines not counted", out)
    assert "ruff format" not in out  # black formats this repository
    assert "* tests-3.11: success" in out
    assert (
        "4 passed, 1 deselected" in out
    )  # both in-package test dirs, conftest fixture, no network
    assert "--cov=scalekit" in out
    assert "Required test coverage of 70% reached" in out
    assert "* build: success" in out
    assert list((root / "dist").glob("tabular_scalers-1.2.3-*.whl"))


# --- setuptools-scm without tags, docs in doc/ from a Read the Docs extra ------------------------


@pytest.mark.slow
def test_nox_check_passes_after_init_on_scm_without_tags_and_rtd_docs(tmp_path: Path) -> None:
    _needs_python311()
    root = main_repo_without_tags(tmp_path, "scm-docs")
    proc = mlrelease(root, "init")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "docs: doc (dependencies: rtd from .readthedocs.yaml)" in proc.stdout
    assert "tags: none yet" in proc.stdout
    cfg = table(root)
    assert cfg["docs"]["source"] == "doc"
    assert cfg["docs"]["extras"] == ["rtd"]
    assert cfg["test"]["extras"] == ["tests"]
    assert cfg["lint"] == {"requirements": ["types-PyYAML"]}  # mypy on, ruff clean, ruff format
    assert "version" not in cfg
    assert "tools" not in cfg  # the pre-commit pins equal mlrelease's defaults
    assert plan(root)["project"]["version-source"] == "dynamic:setuptools-scm"
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: adopt mlrelease")

    check = nox(root, "-t", "check")
    out = check.stdout
    assert check.returncode == 0, out[-6000:]
    for session in ("lint", "tests-3.11", "docs", "build"):
        assert f"* {session}: success" in out, session
    assert "types-PyYAML" in out
    assert list((root / "build" / "docs" / "html").glob("index.html"))
    assert list((root / "dist").glob("shiftlens-0.1.dev*.whl"))

    # lint runs every tool and reports every failure, not only the first
    src = root / "src" / "shiftlens" / "__init__.py"
    src.write_text(
        src.read_text(encoding="utf-8")
        + "\n\ndef broken() -> int:\n    import os\n\n    return  'x'\n",
        encoding="utf-8",
    )
    lint = nox(root, "-s", "lint")
    out = lint.stdout
    assert lint.returncode != 0
    assert "ruff check failed" in out
    assert "ruff format --check failed" in out
    assert "mypy failed" in out
    assert "3 of 3 checks failed: ruff check; ruff format --check; mypy" in out
    assert "Session lint failed" in out


# --- check and plan say what release would reject ----------------------------------------------


def test_check_rejects_a_missing_lint_base_and_bad_stamp_entries(tmp_path: Path) -> None:
    root = main_repo_without_tags(tmp_path, "scm-docs")
    git(root, "remote", "remove", "origin")  # a clone whose origin/main is gone
    assert mlrelease(root, "init").returncode == 0
    pyproject = root / "pyproject.toml"
    original = pyproject.read_text(encoding="utf-8")
    pyproject.write_text(
        original.replace("[tool.mlrelease.lint]\n", '[tool.mlrelease.lint]\nfail-on = "new"\n'),
        encoding="utf-8",
    )
    proc = mlrelease(root, "check")
    assert proc.returncode == 1
    assert "lint.base 'origin/main' is not a commit in this clone" in proc.stdout
    assert "tool.mlrelease.lint.base" in proc.stdout
    assert "Traceback" not in proc.stderr
    # a shallow clone (CI's plan job) is only warned: the lint job fetches the whole history
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: adopt mlrelease")
    pyproject.write_text(original, encoding="utf-8")  # fail-on = "all" again
    shallow = tmp_path / "shallow"
    git(tmp_path, "clone", "-q", "--depth", "1", f"file://{root}", str(shallow))
    shallow_toml = shallow / "pyproject.toml"
    shallow_toml.write_text(
        shallow_toml.read_text(encoding="utf-8").replace(
            'fail-on = "new"\n', 'fail-on = "new"\nbase = "origin/release"\n'
        ),
        encoding="utf-8",
    )
    proc = mlrelease(shallow, "check")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "warning: lint.base 'origin/release' is not in this shallow clone" in proc.stdout

    for entry, message in (
        ("NOPE", "NOPE does not exist"),
        ("README.md", "README.md is not a plain version file"),
        ("src/shiftlens/__init__.py:__version__", 'has no __version__ = "..." assignment'),
    ):
        pyproject.write_text(
            original + f'\n[tool.mlrelease.version]\nstamp = ["{entry}"]\n', encoding="utf-8"
        )
        for command in ("check", "plan"):
            proc = mlrelease(root, command)
            assert proc.returncode == 2, (command, proc.stdout, proc.stderr)
            assert "tool.mlrelease.version.stamp" in proc.stderr
            assert message in proc.stderr, proc.stderr
            assert "Traceback" not in proc.stderr
    (root / "VERSION").write_text("0.3.0\n", encoding="utf-8")
    pyproject.write_text(
        original + '\n[tool.mlrelease.version]\nstamp = ["VERSION"]\n', encoding="utf-8"
    )
    assert mlrelease(root, "check").returncode == 0
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: a version file")
    steps = mlrelease(root, "release", "--dry-run", "--no-push", "--as", "0.4.0")
    assert steps.returncode == 0, steps.stdout + steps.stderr
    assert "stamp 0.4.0 into VERSION (the whole file)" in steps.stdout + steps.stderr


# --- coverage measures the import package, and measuring nothing fails -------------------------


def test_coverage_of_nothing_fails_the_tests_command(tmp_path: Path) -> None:
    """pytest-cov only warns "No data was collected"; the floor must still fail the run."""
    root = tmp_path / "imbalanced-lite"
    (root / "imblite").mkdir(parents=True)
    (root / "imblite" / "__init__.py").write_text("def f():\n    return 1\n", encoding="utf-8")
    (root / "tests").mkdir()
    (root / "tests" / "test_f.py").write_text(
        "from imblite import f\n\n\ndef test_f():\n    assert f() == 1\n", encoding="utf-8"
    )
    (root / "pyproject.toml").write_text(
        '[project]\nname = "imbalanced-lite"\nversion = "0.1.0"\n\n'
        "[tool.mlrelease.test]\ncoverage-min = 50\n",
        encoding="utf-8",
    )
    from mlrelease.project import load_project
    from mlrelease.stages.test import tests_plan

    project = load_project(root)
    assert project.import_name == "imblite"  # never the distribution name
    argv = list(tests_plan(project, "3.11").commands[0].argv)
    assert "--cov=imblite" in argv
    env = {**os.environ, "PYTHONPATH": str(root)}

    def pytest_run(args: list[str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", *args, "-p", "no:cacheprovider"],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )

    good = pytest_run(argv)
    assert good.returncode == 0, good.stdout + good.stderr
    wrong = [a if not a.startswith("--cov=") else "--cov=imbalanced_lite" for a in argv]
    bad = pytest_run(wrong)
    assert bad.returncode != 0  # the tests pass, but coverage measured nothing: the floor fails
    assert "1 passed" in bad.stdout
    assert "Required test coverage of 50% not reached. Total coverage: 0.00%" in bad.stdout


# --- from the built wheel, in an empty venv with only nox added (the README's install) ----------


@dataclass
class WheelEnv:
    bin: Path  # the venv's scripts: mlrelease and nox, nothing else
    path: str  # PATH: that venv, a python3.11, the system directories; no ruff or mypy

    def env(self) -> dict[str, str]:
        # pip (nox's virtualenv sessions) leaves byte-compiling to the first import: half its CPU.
        machine = {**_machine_env(), "PIP_COMPILE": "0"}
        return {**machine, **GIT_ENV, "PATH": self.path, "NO_COLOR": "1"}

    def run(self, root: Path, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(self.bin / tool), *args],
            cwd=root,
            env=self.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=1200,
        )


def _python311() -> Path:
    """A real CPython 3.11 (the fixtures' requires-python is >=3.11,<3.12): the one on PATH
    (through a pyenv shim too), else this interpreter when it is 3.11."""
    found = subprocess.run(
        ["python3.11", "-c", "import sys; print(sys.executable)"],
        capture_output=True, text=True, check=False,
    ) if shutil.which("python3.11") else None  # fmt: skip
    if found is not None and found.returncode == 0 and found.stdout.strip():
        return Path(found.stdout.strip()).resolve()
    assert sys.version_info[:2] == (3, 11), "the wheel-installed adoption tests need python3.11"
    return Path(getattr(sys, "_base_executable", sys.executable)).resolve()


@pytest.fixture(scope="session")
def wheel_env(tmp_path_factory: pytest.TempPathFactory, mlrelease_wheel: Path) -> WheelEnv:
    """This checkout's wheel and nox, installed into a fresh venv: no dev tools on PATH."""
    from mlrelease._util.uvtool import find_uv

    tmp = tmp_path_factory.mktemp("wheel-env")
    uv = find_uv()
    assert uv, "installing the wheel needs a working uv (the dev environment installs it)"
    wheel = mlrelease_wheel
    python = _python311()
    venv = tmp / "venv"
    subprocess.run([str(python), "-m", "venv", str(venv)], check=True, capture_output=True)
    subprocess.run([uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
                    str(wheel), "nox"], check=True, capture_output=True)  # fmt: skip
    runner_bin = tmp / "runner-bin"  # what setup-python provides: the interpreter, no tools
    runner_bin.mkdir()
    for name in ("python3.11", "python3"):
        (runner_bin / name).symlink_to(python)
    path = os.pathsep.join([str(venv / "bin"), str(runner_bin), *_system_path()])
    for tool in ("ruff", "mypy"):
        assert shutil.which(tool, path=path) is None, f"{tool} must not be on PATH"
    # uv is mlrelease's own dependency: the one PATH finds is the venv's, none of the dev venv
    assert shutil.which("uv", path=path) == str(venv / "bin" / "uv")
    return WheelEnv(venv / "bin", path)


def _adopt_from_wheel(wheel_env: WheelEnv, root: Path) -> str:
    # As the README adopts: naming the organisation's workflows repository (check fails while a
    # caller uses the placeholder).
    init = wheel_env.run(root, "mlrelease", "init", "--workflows-repo", "platform/mlrelease@v1")
    assert init.returncode == 0, init.stdout
    assert "Traceback" not in init.stdout
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: adopt mlrelease")
    check = wheel_env.run(root, "mlrelease", "check")
    assert check.returncode == 0, check.stdout
    return init.stdout


def master_repo(tmp_path: Path, name: str) -> Path:
    """The fixture on master, pushed to a bare remote and cloned (origin/HEAD -> master)."""
    upstream = tmp_path / "upstream"
    shutil.copytree(FIXTURES / name, upstream)
    git(upstream, "init", "-q", "-b", "master")
    git(upstream, "add", "-A")
    git(upstream, "commit", "-q", "-m", "feat: first version")
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "master", str(remote))
    git(upstream, "push", "-q", str(remote), "master")
    root = tmp_path / name
    git(tmp_path, "clone", "-q", str(remote), str(root))
    return root


@pytest.mark.slow
def test_wheel_install_adopts_d_rules_on_master_with_the_pinned_ruff(
    tmp_path: Path, wheel_env: WheelEnv
) -> None:
    """No ruff on PATH: init still measures the debt with the pinned ruff, writes fail-on = "new"
    against origin/master, and its noxfile passes the repository's D rules at line length 88."""
    root = master_repo(tmp_path, "ruff-d-master")
    out = _adopt_from_wheel(wheel_env, root)
    assert "lint: 2 ruff findings" in out
    assert 'lint.fail-on = "new" against origin/master' in out
    assert "lint: measured with ruff==0.17.5" in out
    cfg = table(root)
    assert cfg["lint"]["fail-on"] == "new"
    assert cfg["lint"]["base"] == "origin/master"
    assert cfg["test"]["paths"] == ["docstrat/tests"]
    proc = wheel_env.run(root, "nox", "-t", "check")
    assert proc.returncode == 0, proc.stdout[-6000:]
    for session in ("lint", "tests-3.11", "build"):
        assert f"* {session}: success" in proc.stdout, session
    assert re.search(r"\d+ older findings? in unchanged lines not counted", proc.stdout)
    assert "RuntimeWarning" not in proc.stdout
    assert "2 passed" in proc.stdout
    # the pinned ruff, on the generated noxfile, under the repository's ruff.toml
    ruff = _ruff(root, "check", "--no-cache", "--select", "E,W,D,I,ERA,RUF100", "noxfile.py")
    assert ruff.returncode == 0, ruff.stdout


@pytest.mark.slow
def test_wheel_install_runs_tests_as_ci_and_docs_as_the_makefile(
    tmp_path: Path, wheel_env: WheelEnv
) -> None:
    """long_tests/ and the slow test are left out as the workflow leaves them out, -n auto runs
    with the dev-tests extra (not dev: torch); Sphinx runs from doc/ as doc/Makefile does."""
    root = main_repo_without_tags(tmp_path, "ci-ignored")
    out = _adopt_from_wheel(wheel_env, root)
    assert "tests: not long_tests" in out
    proc = wheel_env.run(root, "nox", "-t", "check")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "* tests-3.11: success" in proc.stdout
    assert "workers [1 item]" in proc.stdout  # -n auto; not the slow test, not long_tests/
    assert "-m 'not slow' -n auto tests" in proc.stdout
    assert "= 1 passed in" in proc.stdout
    assert "torch" not in proc.stdout

    docs = main_repo_without_tags(tmp_path, "doc-makefile")
    out = _adopt_from_wheel(wheel_env, docs)
    assert "docs: sphinx-build runs from doc/ as doc/Makefile runs it" in out
    proc = wheel_env.run(docs, "nox", "-t", "check")
    assert proc.returncode == 0, proc.stdout[-6000:]
    for session in ("lint", "tests-3.11", "docs", "build"):
        assert f"* {session}: success" in proc.stdout, session
    assert (docs / "build" / "docs" / "html" / "generated" / "api.html").is_file()
    assert (docs / "doc" / "generated" / "api.rst").is_file()
    assert not (docs / "generated").exists()  # nothing generated in the repository root
    status = git(docs, "status", "--porcelain")
    assert "generated" not in status, status
    assert "egg-info" not in status, status  # the editable installs' and the build's removed


@pytest.mark.slow
def test_wheel_install_checks_pins_floors_and_mkdocs_green(
    tmp_path: Path, wheel_env: WheelEnv
) -> None:
    """The ruff pre-commit runs (not the extra's newer range), tox.ini's coverage floor of 90, a
    mkdocs site whose docs are left alone: each goes init -> commit -> nox -t check green."""
    pin = main_repo_without_tags(tmp_path, "precommit-pin")
    out = _adopt_from_wheel(wheel_env, pin)
    assert "the lint session runs 0.17.4" in out
    tox = main_repo_without_tags(tmp_path, "tox-floor")
    assert "coverage-min = 90, as tox.ini runs the tests" in _adopt_from_wheel(wheel_env, tox)
    site = main_repo_without_tags(tmp_path, "mkdocs-site")
    assert "mkdocs is not built" in _adopt_from_wheel(wheel_env, site)
    for root, expected in (
        (pin, "ruff==0.17.4"),
        (tox, "Required test coverage of 90% reached"),
        (site, "tool.mlrelease.docs.enabled = false"),
    ):
        proc = wheel_env.run(root, "nox", "-t", "check")
        assert proc.returncode == 0, proc.stdout[-6000:]
        assert expected in proc.stdout, root.name
        assert "* lint: success" in proc.stdout
        assert "* tests-3.11: success" in proc.stdout


# --- flit reads the version from tinyclip/_version.py: init, plan and release agree -----------


def test_flit_version_module_is_stamped_by_the_release_init_announces(tmp_path: Path) -> None:
    root = main_repo_without_tags(tmp_path, "flit-version")
    git(root, "tag", "v0.8.0")
    proc = mlrelease(root, "init")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        "version: __version__ in tinyclip/_version.py (read by flit_core); releases stamp it"
        in (proc.stdout)
    )
    assert "nothing is stamped" not in proc.stdout
    facts = plan(root)
    assert facts["project"]["version-source"] == "attr:tinyclip/_version.py:__version__"
    assert facts["project"]["version"] == "0.8.0"
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "chore: adopt mlrelease")
    (root / "tinyclip" / "extra.py").write_text("HALF = 0.5\n", encoding="utf-8")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "fix: a constant")
    release = mlrelease(root, "release", "--no-push")
    assert release.returncode == 0, release.stdout + release.stderr
    assert (root / "tinyclip" / "_version.py").read_text(encoding="utf-8") == (
        '__version__ = "0.8.1"\n'
    )
    assert "v0.8.1" in git(root, "tag", "--list").split()


@pytest.mark.slow
def test_wheel_install_adopts_flit_version_module_and_calendar_tags_green(
    tmp_path: Path, wheel_env: WheelEnv
) -> None:
    """flit reading tinyclip/_version.py (tagged v0.8.0), and calendar-version tags: each goes
    init -> commit -> nox -t check green from the wheel, and init promises no semver bump."""
    flit = main_repo_without_tags(tmp_path, "flit-version")
    git(flit, "tag", "v0.8.0")
    out = _adopt_from_wheel(wheel_env, flit)
    assert "version: __version__ in tinyclip/_version.py (read by flit_core)" in out
    calver = main_repo_without_tags(tmp_path, "calver-tags")
    git(calver, "tag", "2024.12.0")
    (calver / "README.md").write_text("# weekly\n\nv2\n", encoding="utf-8")
    git(calver, "commit", "-qam", "fix: later")
    git(calver, "tag", "2025.1.0")
    out = _adopt_from_wheel(wheel_env, calver)
    assert "the tags are calendar versions (2025.1.0)" in out
    assert "semver" not in out.replace("not bumped as semver", "")
    for root, wheel in ((flit, "tinyclip-0.8.0-"), (calver, "weekly-2025.1.0-")):
        proc = wheel_env.run(root, "nox", "-t", "check")
        assert proc.returncode == 0, proc.stdout[-6000:]
        for session in ("lint", "tests-3.11", "build"):
            assert f"* {session}: success" in proc.stdout, (root.name, session)
        assert list((root / "dist").glob(f"{wheel}*.whl")), root.name
        # nothing left in the repository (egg-info, reports aside); the __pycache__ that Python
        # writes on import (nox's noxfile, pytest's tests) are Python's own, as without mlrelease
        status = [
            line
            for line in git(root, "status", "--porcelain").splitlines()
            if not line.rstrip("/").endswith("__pycache__")
        ]
        assert status == [], status

    # the repository's own test fails: the report says so, and blames no coverage floor
    test = calver / "tests" / "test_week.py"
    test.write_text(test.read_text(encoding="utf-8").replace("== 2", "== 3"), encoding="utf-8")
    proc = wheel_env.run(calver, "nox", "-s", "tests-3.11")
    assert proc.returncode != 0
    assert "the repository's own tests failed: 1 of 1 test (FAILED and ERROR above)" in (
        proc.stdout
    ), proc.stdout[-3000:]


@pytest.mark.slow
def test_wheel_install_mypy_with_old_errors_is_on_under_fail_on_new(
    tmp_path: Path, wheel_env: WheelEnv
) -> None:
    """The repository runs mypy (its pre-commit hook) and its code has an old type error: init's
    trial finds it, turns mypy on under fail-on = "new", and lint fails only on new errors."""
    upstream = tmp_path / "fixture"
    shutil.copytree(FIXTURES / "scm-docs", upstream)
    old = "def old() -> int:\n    return 'old'\n"
    (upstream / "src" / "shiftlens" / "legacy.py").write_text(old, encoding="utf-8")
    shutil.copytree(upstream, tmp_path / "mypy-debt")
    root = tmp_path / "mypy-debt"
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "feat: first version")
    git(tmp_path, "init", "-q", "--bare", str(tmp_path / "remote.git"))
    git(root, "remote", "add", "origin", str(tmp_path / "remote.git"))
    git(root, "push", "-q", "origin", "main")
    git(root, "fetch", "-q", "origin")
    out = _adopt_from_wheel(wheel_env, root)
    assert "mypy 2.4.1 finds 1 error in the existing code" in out, out
    assert "lint: 0 ruff findings, 0 unformatted files, 1 mypy error in the existing code" in out
    assert table(root)["lint"]["fail-on"] == "new"
    proc = wheel_env.run(root, "nox", "-s", "lint")
    assert proc.returncode == 0, proc.stdout[-6000:]
    assert "mypy: 0 errors in lines changed against origin/main; 1 older error" in proc.stdout
    legacy = root / "src" / "shiftlens" / "legacy.py"
    legacy.write_text(old + "\n\ndef new() -> str:\n    return 1\n", encoding="utf-8")
    proc = wheel_env.run(root, "nox", "-s", "lint")
    assert proc.returncode != 0
    assert "src/shiftlens/legacy.py:6: error: Incompatible return value" in proc.stdout
    assert "mypy: 1 error in lines changed against origin/main" in proc.stdout
