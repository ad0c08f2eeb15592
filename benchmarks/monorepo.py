"""`mlrelease affected` and `mlrelease matrix` on a generated 50-member monorepo, against a
baseline measured in the same run.

    python benchmarks/monorepo.py [--members 50] [--runs 5]

A throwaway git repository holds ``--members`` packages in a chain of dependencies (member i
depends on member i-1, the worst case for the reverse closure); a topic branch changes the first
member, so every member is affected. Each command runs ``--runs`` times as a fresh process; the
median is printed with its ratio to ``python -c pass`` (the floor of any Python CLI). Target:
under 1 s each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GIT = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}


def generate(root: Path, count: int) -> None:
    (root / "pyproject.toml").write_text(
        '[tool.mlrelease]\nmembers = ["packages/*"]\npython = ["3.11", "3.12"]\n',
        encoding="utf-8",
    )
    for i in range(count):
        name = f"pkg{i:03d}"
        pkg = root / "packages" / name / "src" / name
        pkg.mkdir(parents=True)
        (pkg / "__init__.py").write_text('__version__ = "0.1.0"\n', encoding="utf-8")
        deps = f'"pkg{i - 1:03d}>=0.1"' if i else ""
        (root / "packages" / name / "pyproject.toml").write_text(
            f'[project]\nname = "{name}"\nversion = "0.1.0"\ndependencies = [{deps}]\n'
            '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n',
            encoding="utf-8",
        )
    env = {**os.environ, **GIT}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["commit", "-q", "-m", "chore: start"],
        ["checkout", "-q", "-b", "topic"],
    ):
        subprocess.run(["git", *args], cwd=root, env=env, check=True)
    first = root / "packages" / "pkg000" / "src" / "pkg000" / "__init__.py"
    first.write_text('__version__ = "0.1.0"\nX = 1\n', encoding="utf-8")
    subprocess.run(["git", "commit", "-qam", "feat: x"], cwd=root, env=env, check=True)


def median_seconds(argv: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="mlrelease-mono-") as tmp:
        root = Path(tmp)
        generate(root, args.members)
        cli = [sys.executable, "-m", "mlrelease"]
        baseline = median_seconds([sys.executable, "-c", "pass"], root, args.runs)
        print(f"baseline python -c pass: {baseline * 1000:.1f} ms")
        for label, argv in (
            ("affected --base main", [*cli, "affected", "--base", "main", "--json"]),
            ("matrix --base main", [*cli, "matrix", "--base", "main"]),
            ("matrix (all members)", [*cli, "matrix"]),
        ):
            took = median_seconds(argv, root, args.runs)
            verdict = "met" if took < 1.0 else "MISSED"
            print(
                f"{label} ({args.members} members): {took * 1000:.0f} ms = "
                f"{took / baseline:.1f}x python -c pass (target < 1 s: {verdict})"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
