"""The check pipeline (lint, tests, docs, build) on examples/driftwatch, three ways, in one run:

  (a) baseline: a hand-written noxfile of the common kind (virtualenv + pip, one session per
      stage, the same tools at the same versions); warm runs use ``nox -r``;
  (b) mlrelease: the three-line noxfile (``noxsessions.register()``): uv environments, reused
      while their install inputs are unchanged, ``python -m build --installer uv``;
  (c) floor: the same commands run directly in one prepared environment.

    python benchmarks/pipeline.py [--runs 3] [--warm-runs 3] [--python 3.12] [--keep DIR]

Cold: a fresh copy of the example (no environments, no tool caches; the pip and uv download caches
stay warm for every variant alike). Warm: the same copy again, nothing changed (after one unmeasured warm run that
lets mypy and Sphinx write their caches; median of --warm-runs samples). Every variant runs
the tests on one Python (``--python``). Prints the median wall time of each and the ratios b/a and
b/c; targets: cold b/a <= 0.4, warm b/c <= 1.15.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "driftwatch"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT / "src"))

from mlrelease.config.model import DEFAULT_TOOLS  # noqa: E402
from mlrelease.project import load_project  # noqa: E402
from mlrelease.stages.build import build_plan, expand  # noqa: E402 - after the sys.path line above
from mlrelease.stages.docs import docs_plan  # noqa: E402
from mlrelease.stages.lint import lint_plan  # noqa: E402
from mlrelease.stages.plan import StagePlan, reports_dir  # noqa: E402
from mlrelease.stages.test import tests_plan  # noqa: E402


def pin(tool: str) -> str:
    return f"{tool}=={DEFAULT_TOOLS[tool]}"


HAND_WRITTEN = f'''\
import glob

import nox


@nox.session(python=PY)
def lint(session):
    session.install("{pin("ruff")}", "{pin("mypy")}", "-e", ".")
    session.run("ruff", "check", "src", "tests", "noxfile.py")
    session.run("ruff", "format", "--check", "src", "tests", "noxfile.py")
    session.run("mypy", "src")


@nox.session(python=PY)
def tests(session):
    session.install("{pin("pytest")}", "{pin("pytest-cov")}", "-e", ".")
    session.run(
        "pytest", "--cov=driftwatch", "--cov-fail-under=90", "-m", "not gpu",
        "--junitxml=reports/junit.xml", "--cov-report=xml:reports/coverage.xml", "tests",
    )


@nox.session(python=PY)
def docs(session):
    session.install("{pin("sphinx")}", "-e", ".")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "build/docs/html")


@nox.session(python=PY)
def build(session):
    session.install("{pin("build")}", "{pin("twine")}", "{pin("check-wheel-contents")}")
    session.run("python", "-m", "build", "--outdir", "dist", ".")
    session.run("twine", "check", "--strict", *glob.glob("dist/*"))
    session.run("check-wheel-contents", *glob.glob("dist/*.whl"))
'''


def env() -> dict[str, str]:
    out = {k: v for k, v in os.environ.items() if k not in ("CI", "NOXSESSION", "VIRTUAL_ENV")}
    out["PATH"] = f"{BIN}{os.pathsep}{out.get('PATH', '')}"
    return out


def copy_example(dest: Path, noxfile: str | None = None) -> Path:
    if dest.exists():
        shutil.rmtree(dest)
    shutil.copytree(
        EXAMPLE,
        dest,
        ignore=shutil.ignore_patterns(".nox", "dist", "build", "reports", "__pycache__", "*_cache"),
    )
    if noxfile is not None:
        (dest / "noxfile.py").write_text(noxfile, encoding="utf-8")
        # the lint session checks the noxfile too: give it the project's formatting
        subprocess.run([str(BIN / "ruff"), "format", "-q", "noxfile.py"], cwd=dest, check=True)
    git = ["git", "-c", "user.name=bench", "-c", "user.email=bench@example.invalid"]
    for argv in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run([*git, *argv], cwd=dest, check=True, capture_output=True)
    return dest


def timed(argv: list[str], cwd: Path, log: Path, extra_env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"\n$ {' '.join(argv)}\n")
        fh.flush()
        proc = subprocess.run(
            argv, cwd=cwd, env={**env(), **(extra_env or {})}, stdout=fh, stderr=subprocess.STDOUT
        )
    took = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed ({proc.returncode}): {' '.join(argv)} in {cwd}; see {log}")
    return took


def floor_plans(root: Path, python: str) -> list[StagePlan]:
    project = load_project(root)
    return [
        lint_plan(project),
        tests_plan(project, python),
        docs_plan(project),
        build_plan(project, use_uv=True),
    ]


def prepare_floor_env(root: Path, python: str, log: Path) -> Path:
    """One environment holding every tool and the project (editable)."""
    venv = root / ".floor-venv"
    uv = str(BIN / "uv")
    timed([uv, "venv", "-q", "-p", python, str(venv)], root, log)
    args: list[str] = []
    for plan in floor_plans(root, python):
        for call in plan.install.install_args():
            args += call
    reqs = sorted({a for a in args if a not in ("-e", ".")})
    timed(
        [uv, "pip", "install", "-q", "--python", str(venv / "bin" / "python"), *reqs, "-e", "."],
        root,
        log,
    )
    return venv


def run_floor(root: Path, python: str, venv: Path, log: Path) -> float:
    project = load_project(root)
    path_env = {"PATH": f"{venv / 'bin'}{os.pathsep}{env()['PATH']}", "VIRTUAL_ENV": str(venv)}
    total = 0.0
    for plan in floor_plans(root, python):
        if plan.stage == "build":
            for old in (root / "dist").glob("*") if (root / "dist").exists() else []:
                old.unlink()
        if plan.stage == "tests":
            (root / reports_dir()).mkdir(parents=True, exist_ok=True)
        for command in plan.commands:
            argv = expand(command.argv, project)
            total += timed(argv, root, log, {**path_env, **dict(command.env)})
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--warm-runs", type=int, default=3, help="warm samples per run")
    parser.add_argument("--python", default=f"{sys.version_info[0]}.{sys.version_info[1]}")
    parser.add_argument("--keep", type=Path, help="work directory to keep (default: a temp dir)")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="mlrelease-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    log = work / "bench.log"
    py = args.python
    nox = [sys.executable, "-m", "nox"]
    hand = HAND_WRITTEN.replace("python=PY", f"python={py!r}")
    sessions_b = ["-s", "lint", f"tests-{py}", "docs", "build"]

    def variant_a(root: Path, warm: bool) -> float:
        return timed([*nox, "-db", "virtualenv", *(["-r"] if warm else [])], root, log)

    def variant_b(root: Path, warm: bool) -> float:
        return timed([*nox, *sessions_b], root, log)

    venvs: dict[Path, Path] = {}

    def variant_c(root: Path, warm: bool) -> float:
        start = time.perf_counter()
        if root not in venvs:
            venvs[root] = prepare_floor_env(root, py, log)
        prepared = time.perf_counter() - start
        ran = run_floor(root, py, venvs[root], log)
        return ran if warm else prepared + ran

    variants: dict[str, tuple[Callable[[Path, bool], float], str | None]] = {
        "a": (variant_a, hand),
        "b": (variant_b, None),
        "c": (variant_c, None),
    }
    results: dict[tuple[str, str], list[float]] = {}
    print(f"work dir {work}; log {log}; {args.runs} runs; tests on Python {py}", flush=True)
    for run in range(args.runs):
        for name, (fn, noxfile) in variants.items():
            root = copy_example(work / f"{name}-{run}", noxfile)
            venvs.pop(root, None)
            cold = fn(root, False)
            fn(root, True)  # the first warm run may still write caches (mypy, sphinx)
            warm = statistics.median(fn(root, True) for _ in range(args.warm_runs))
            results.setdefault((name, "cold"), []).append(cold)
            results.setdefault((name, "warm"), []).append(warm)
            print(f"  run {run + 1} {name}: cold {cold:6.1f} s  warm {warm:5.2f} s", flush=True)
    med = {k: statistics.median(v) for k, v in results.items()}
    labels = {
        "a": "(a) hand-written noxfile, virtualenv + pip",
        "b": "(b) mlrelease sessions (uv, reuse)",
        "c": "(c) same tools, one prepared env",
    }
    print(f"\n{'variant':44} {'cold s':>8} {'warm s':>8}   (median of {args.runs})")
    for name, label in labels.items():
        print(f"{label:44} {med[(name, 'cold')]:8.1f} {med[(name, 'warm')]:8.2f}")
    cold_ba = med[("b", "cold")] / med[("a", "cold")]
    warm_bc = med[("b", "warm")] / med[("c", "warm")]
    print()
    print(f"cold b/a = {cold_ba:.2f}  (target <= 0.40: {'met' if cold_ba <= 0.4 else 'NOT met'})")
    print(f"warm b/c = {warm_bc:.2f}  (target <= 1.15: {'met' if warm_bc <= 1.15 else 'NOT met'})")
    print(f"warm b/a = {med[('b', 'warm')] / med[('a', 'warm')]:.2f}")
    print(f"cold b/c = {med[('b', 'cold')] / med[('c', 'cold')]:.2f}")
    if args.keep is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
