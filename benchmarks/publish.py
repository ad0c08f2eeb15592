"""Publishing speed against a real pypiserver on 127.0.0.1, with baselines measured in the same run.

1. A rerun where everything is already published (3 files): ``mlrelease publish wheels`` end to
   end (preflight with ``twine check --strict``, index, verify). Target: under 2 s.
2. Upload throughput of a 50 MiB wheel: ``mlrelease publish wheels`` end to end versus plain
   ``twine upload`` of the same file, interleaved, median of N. Target: ratio >= 0.9.

Run: ``python benchmarks/publish.py [--repeat N]``.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.integration import feedservers as fs  # noqa: E402 - after the path setup
from tests.integration.test_publish_wheels import make_project, put_dist  # noqa: E402

MiB = 1024 * 1024


def big_wheel(size_mib: int = 50) -> Path:
    """A real wheel of tinypkg 1.0.0 carrying ``size_mib`` MiB of random (incompressible) data."""
    out = fs.CACHE / f"bench-wheel-{size_mib}mib-v1"
    wheels = sorted(out.glob("*.whl")) if out.is_dir() else []
    if wheels:
        return wheels[0]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        (src / "src/tinypkg").mkdir(parents=True)
        (src / "pyproject.toml").write_text(fs.TINY_PYPROJECT.format(version="1.0.0", extra=""))
        (src / "README.md").write_text("# tinypkg\n\nA big wheel for the benchmark.\n")
        (src / "src/tinypkg/__init__.py").write_text('VALUE = "big"\n')
        (src / "src/tinypkg/weights.bin").write_bytes(os.urandom(size_mib * MiB))
        (src / "MANIFEST.in").write_text("include src/tinypkg/weights.bin\n")
        subprocess.run(
            [fs._uv(), "build", "-q", "--wheel", "--out-dir", str(out), str(src)],
            check=True,
            env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
        )
    return sorted(out.glob("*.whl"))[0]


def timed(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"failed: {argv}\n{proc.stdout}\n{proc.stderr}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    mlrelease = [sys.executable, "-m", "mlrelease"]
    twine = [sys.executable, "-m", "twine"]
    with tempfile.TemporaryDirectory() as tmp, fs.pypiserver(Path(tmp) / "srv") as feed:
        env = {
            **os.environ,
            "MLRELEASE_FEED_TOKEN": feed.password,
            "MLRELEASE_FEED_USERNAME": feed.username,
            "TWINE_USERNAME": feed.username,
            "TWINE_PASSWORD": feed.password,
            "TWINE_NON_INTERACTIVE": "1",
        }
        packages = feed.packages or Path()

        # 1. the fully published rerun
        project = make_project(Path(tmp) / "small", feed)
        files = [str(p) for p in sorted((project / "dist").iterdir())]
        twine_small = []
        for _ in range(args.repeat):
            twine_small.append(
                timed([*twine, "upload", "--repository-url", feed.upload_url, *files], env)
            )
            for p in packages.iterdir():
                p.unlink()
        timed([*mlrelease, "-C", str(project), "publish", "wheels"], env)
        rerun = [
            timed([*mlrelease, "-C", str(project), "publish", "wheels"], env)
            for _ in range(args.repeat)
        ]
        for p in packages.iterdir():
            p.unlink()

        # 2. a 50 MiB wheel: mlrelease vs plain twine, interleaved
        wheel = big_wheel()
        big = Path(tmp) / "big"
        make_project(big, feed, files=[])
        put_dist(big, files=[])
        shutil.copy2(wheel, big / "dist" / wheel.name)
        ours, theirs = [], []
        for _ in range(args.repeat):
            theirs.append(
                timed([*twine, "upload", "--repository-url", feed.upload_url, str(wheel)], env)
            )
            (packages / wheel.name).unlink()
            ours.append(timed([*mlrelease, "-C", str(big), "publish", "wheels"], env))
            (packages / wheel.name).unlink()

    size = wheel.stat().st_size / MiB
    med_rerun, med_twine_small = statistics.median(rerun), statistics.median(twine_small)
    med_ours, med_theirs = statistics.median(ours), statistics.median(theirs)
    print(f"pypiserver on 127.0.0.1, median of {args.repeat}")
    print(
        f"rerun, 3 files already published: {med_rerun:.2f} s (target < 2 s); "
        f"plain `twine upload` of the same 3 files to an empty feed: {med_twine_small:.2f} s "
        f"(ratio {med_rerun / med_twine_small:.2f}x)"
    )
    print(
        f"{size:.1f} MiB wheel: mlrelease publish {med_ours:.2f} s ({size / med_ours:.1f} MiB/s), "
        f"twine upload {med_theirs:.2f} s ({size / med_theirs:.1f} MiB/s); "
        f"throughput ratio mlrelease/twine {med_theirs / med_ours:.2f}x (target >= 0.9)"
    )


if __name__ == "__main__":
    main()
