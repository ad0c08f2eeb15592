"""Start-up time of the `mlrelease` command against a bare interpreter, measured in the same run.

    python benchmarks/startup.py [--runs 15] [--project examples/driftwatch]

Prints the median wall time of each command and its ratio to `python -c pass` (the floor any
Python CLI pays). `mlrelease --help` must import nothing heavy (checked by tests/unit/test_cli.py).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def median_seconds(argv: list[str], runs: int, cwd: Path) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--project", type=Path, default=ROOT / "examples" / "driftwatch")
    args = parser.parse_args()
    py = sys.executable
    project = args.project if (args.project / "pyproject.toml").exists() else ROOT
    cases = [
        ("python -c pass (baseline)", [py, "-c", "pass"]),
        ("python -c 'import argparse'", [py, "-c", "import argparse"]),
        ("mlrelease --help", [py, "-m", "mlrelease", "--help"]),
        (
            "mlrelease matrix --json",
            [py, "-m", "mlrelease", "matrix", "--json", "--project", str(project)],
        ),
        (
            "mlrelease plan --stage lint",
            [py, "-m", "mlrelease", "plan", "--stage", "lint", "--project", str(project)],
        ),
        ("mlrelease plan (all stages)", [py, "-m", "mlrelease", "plan", "--project", str(project)]),
    ]
    for _, argv in cases:  # warm the page cache and .pyc files
        subprocess.run(
            argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False
        )
    base = None
    print(
        f"{'command':34} {'median ms':>10} {'x baseline':>11}   ({args.runs} runs, project {project.name})"
    )
    for label, argv in cases:
        seconds = median_seconds(argv, args.runs, ROOT)
        base = base or seconds
        print(f"{label:34} {seconds * 1000:10.1f} {seconds / base:11.2f}")


if __name__ == "__main__":
    main()
