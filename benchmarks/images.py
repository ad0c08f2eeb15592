"""Container images of the example (driftwatch: numpy + scipy), measured against baselines in one run.

    python benchmarks/images.py [--keep]

In a throwaway container storage (so "cold" really is cold) and a throwaway clone of
examples/driftwatch tagged v0.1.0 with its wheel built:

1. cold: ``mlrelease publish images`` with empty layer and wheelhouse caches (the baseline);
2. code-only change: one line of driftwatch changes, v0.1.1 is tagged, the wheel rebuilt, publish
   again: the dependency layers and the wheelhouse are reused. Ratio to (1); target <= 0.3;
3. size: the built-in template's image against a naive single-stage Dockerfile on the same base
   (``COPY . /src`` without .git/dist/caches + ``python3 -m venv`` + ``pip install /src``), both measured as the compressed
   bytes a pull transfers (layers + config) from their OCI layouts. Target <= 0.6;
4. reproducible: v0.1.0 built again, cold, in a *second* fresh storage: the digest must equal (1)'s.

The base image is bookworm + python3 from mmdebstrap (tests/integration/registry_server.py, cached).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.integration.registry_server import local_base_image  # noqa: E402

GIT = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_NOSYSTEM": "1",
}
NAIVE_DOCKERFILES = {
    # The leanest single stage: a venv from the base's own ensurepip, pip install of the source.
    "naive, venv + pip install /src": """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY . /src
RUN python3 -m venv /venv && PIP_CERT=/src/.host-ca.pem /venv/bin/pip install /src
ENV PATH=/venv/bin:$PATH
CMD ["python"]
""",
    # What a Debian base without pip usually gets: pip from apt (with its recommends), then pip.
    "naive, apt python3-pip + pip install /src": """\
ARG BASE_IMAGE
FROM ${BASE_IMAGE}
COPY . /src
RUN apt-get update && apt-get install -y python3-pip \\
 && PIP_CERT=/src/.host-ca.pem pip install --break-system-packages /src
CMD ["python3"]
""",
}


def sh(argv: list[str], cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(
        argv, cwd=cwd, env={**os.environ, **GIT, **(env or {})}, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise SystemExit(f"failed: {' '.join(argv)}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return proc.stdout


def fresh_storage(where: Path) -> dict[str, str]:
    """An empty containers storage (its own storage.conf); the same driver buildah uses here."""
    where.mkdir(parents=True)
    driver = os.environ.get("STORAGE_DRIVER", "overlay")
    conf = where / "storage.conf"
    conf.write_text(
        f'[storage]\ndriver = "{driver}"\ngraphroot = "{where}/graph"\nrunroot = "{where}/run"\n'
    )
    return {"CONTAINERS_STORAGE_CONF": str(conf)}


def import_base(base_archive: Path, storage: dict[str, str]) -> str:
    name = "localhost/bench/python:bookworm"
    sh(
        ["skopeo", "copy", "--quiet", f"oci-archive:{base_archive}", f"containers-storage:{name}"],
        env=storage,
    )
    return name


def make_example(where: Path) -> Path:
    shutil.copytree(
        ROOT / "examples/driftwatch",
        where,
        ignore=shutil.ignore_patterns(
            ".nox", "dist", "build", "reports", "__pycache__", "*_cache", ".mlrelease"
        ),
    )
    sh(["git", "init", "-q", "-b", "main"], cwd=where)
    sh(["git", "add", "-A"], cwd=where)
    sh(["git", "commit", "-q", "-m", "feat: driftwatch"], cwd=where)
    release(where, "0.1.0")
    return where


def release(project: Path, version: str) -> None:
    sh(["git", "tag", "-a", f"v{version}", "-m", version], cwd=project)
    shutil.rmtree(project / "dist", ignore_errors=True)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    sh([uv, "build", "-q", "--wheel", "--out-dir", "dist", "."], cwd=project)


def publish(project: Path, env: dict[str, str]) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    out = sh(
        [sys.executable, "-m", "mlrelease", "-q", "publish", "images", "--json"],
        cwd=project,
        env=env,
    )
    elapsed = time.perf_counter() - start
    return elapsed, json.loads(out)["images"][0]


def layout_size(layout: Path, ref: str) -> int:
    from mlrelease.images.layout import LayoutImage

    return LayoutImage.read(layout, ref).size


def naive_size(
    project: Path, base: str, env: dict[str, str], work: Path, *, ref: str, dockerfile: str
) -> tuple[int, float]:
    (project / "Dockerfile.naive").write_text(dockerfile)
    # Not so naive that it copies git history or the caches: only the source tree goes in.
    (project / ".dockerignore").write_text(".git\n.mlrelease\ndist\n")
    # The machine's CA bundle, for a TLS-intercepting proxy between the build and PyPI.
    shutil.copyfile("/etc/ssl/certs/ca-certificates.crt", project / ".host-ca.pem")
    start = time.perf_counter()
    tag = f"localhost/bench/naive:{ref}"
    sh(
        ["buildah", "bud", "--isolation", "chroot", "--build-arg", f"BASE_IMAGE={base}",
         "-f", "Dockerfile.naive", "-t", tag, "."],
        cwd=project, env=env,
    )  # fmt: skip
    elapsed = time.perf_counter() - start
    layout = work / "naive-oci"
    sh(["buildah", "push", "--quiet", tag, f"oci:{layout}:{ref}"], env=env)
    return layout_size(layout, ref), elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mlrelease-bench-images-"))
    try:
        base_archive = work / "base.tar"
        sh(
            [
                "skopeo",
                "copy",
                "--quiet",
                f"containers-storage:{local_base_image()}",
                f"oci-archive:{base_archive}",
            ]
        )
        storage_a = fresh_storage(work / "storage-a")
        start = time.perf_counter()
        base = import_base(base_archive, storage_a)
        pull = time.perf_counter() - start
        env_a = {**storage_a, "MLRELEASE_BASE_IMAGE": base, "MLRELEASE_CONTAINER_ENGINE": "buildah"}
        project = make_example(work / "driftwatch")

        cold, first = publish(project, env_a)
        print(f"cold: base image pull (from an OCI archive) {pull:5.1f} s")
        print(
            f"cold: wheelhouse + build + publish          {cold:5.1f} s  digest {first['digest']}"
        )

        init = project / "src/driftwatch/__init__.py"
        init.write_text(init.read_text() + "\nBENCHMARK_MARKER = 1  # a code-only change\n")
        for path in (project / "pyproject.toml", init):  # what `mlrelease release` stamps
            path.write_text(path.read_text().replace('"0.1.0"', '"0.1.1"'))
        sh(["git", "commit", "-q", "-am", "fix: code-only change"], cwd=project)
        release(project, "0.1.1")
        warm, second = publish(project, env_a)
        print(
            f"code-only change: rebuild + publish       {warm:5.1f} s  ratio {warm / (cold + pull):.2f} "
            f"to the cold build on a fresh machine (target <= 0.30); {warm / cold:.2f} to a cold build "
            "with the base image already present"
        )
        assert second["digest"] != first["digest"]

        template = int(str(second["size"]))
        base_size = layout_size_of_base(base_archive, work)
        print(
            f"image size (compressed, what a pull transfers); the base alone is {base_size / 1e6:.1f} MB"
        )
        print(f"  built-in template                          {template / 1e6:6.1f} MB")
        for n, (name, dockerfile) in enumerate(NAIVE_DOCKERFILES.items()):
            naive, took = naive_size(project, base, env_a, work, ref=f"n{n}", dockerfile=dockerfile)
            print(
                f"  {name:42} {naive / 1e6:6.1f} MB  (built in {took:.0f} s)  template/naive {template / naive:.2f} "
                f"(target <= 0.60); added over the base {(template - base_size) / (naive - base_size):.2f}"
            )
        reproducible(project, base_archive, work, str(first["digest"]))
    finally:
        if args.keep:
            print(f"work directory kept: {work}")
        else:
            for storage in ("storage-a", "storage-b"):
                conf = work / storage / "storage.conf"
                if conf.exists():
                    subprocess.run(
                        ["buildah", "rm", "--all"], env={**os.environ, "CONTAINERS_STORAGE_CONF": str(conf)},
                        capture_output=True,
                    )  # fmt: skip
                    subprocess.run(
                        ["buildah", "rmi", "--all", "--force"],
                        env={**os.environ, "CONTAINERS_STORAGE_CONF": str(conf)}, capture_output=True,
                    )  # fmt: skip
                    subprocess.run(
                        ["umount", "-R", str(work / storage / "graph" / "overlay")],
                        capture_output=True,
                    )
            shutil.rmtree(work, ignore_errors=True)


def reproducible(project: Path, base_archive: Path, work: Path, digest: str) -> None:
    """v0.1.0 again, from a fresh clone, cold, in a second fresh storage: the same digest."""
    storage_b = fresh_storage(work / "storage-b")
    base_b = import_base(base_archive, storage_b)
    again = work / "driftwatch-again"
    sh(["git", "clone", "-q", "--branch", "v0.1.0", str(project), str(again)])
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    sh([uv, "build", "-q", "--wheel", "--out-dir", "dist", "."], cwd=again)
    env_b = {**storage_b, "MLRELEASE_BASE_IMAGE": base_b, "MLRELEASE_CONTAINER_ENGINE": "buildah"}
    cold_b, rebuilt = publish(again, env_b)
    same = rebuilt["digest"] == digest
    print(
        f"v0.1.0 rebuilt cold in another storage {cold_b:7.1f} s  digest {rebuilt['digest']}  "
        f"{'identical' if same else 'DIFFERENT'}"
    )
    if not same:
        raise SystemExit("two builds of one commit gave different digests")


def layout_size_of_base(archive: Path, work: Path) -> int:
    layout = work / "base-oci"
    sh(["skopeo", "copy", "--quiet", f"oci-archive:{archive}", f"oci:{layout}:base"])
    return layout_size(layout, "base")


if __name__ == "__main__":
    main()
