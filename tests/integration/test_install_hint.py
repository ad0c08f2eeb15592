"""The install line ``publish wheels`` prints for the embedded feed works, run literally, for a
package with a dependency, on a machine whose pip is configured as it comes (PIP_CONFIG_FILE=
/dev/null): the release comes from the local feed and the dependency from the user's own index.

The user's index is a PEP 503 file:// tree here (what pip's default, PyPI, is on a laptop), so the
test needs no network. ``--index-url <the embedded feed>`` (the old line) replaces that index and
fails to find the dependency.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.integration.test_publish_wheels import _git, run_publish

pytestmark = pytest.mark.integration


def make_wheel(
    out: Path, name: str, version: str, requires: list[str], payload: bytes = b""
) -> Path:
    """A minimal pure-Python wheel: one module (and ``payload`` as a data file), METADATA, WHEEL
    and a RECORD with hashes."""
    mod = name.replace("-", "_")
    dist_info = f"{mod}-{version}.dist-info"
    files = {
        f"{mod}/__init__.py": f"NAME = {name!r}\n".encode(),
        **({f"{mod}/payload.bin": payload} if payload else {}),
        f"{dist_info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            + "".join(f"Requires-Dist: {r}\n" for r in requires)
            + f"Description-Content-Type: text/plain\n\n{name}, for the tests.\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
    }
    record = []
    for path, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{path},sha256={digest},{len(data)}")
    record.append(f"{dist_info}/RECORD,,")
    files[f"{dist_info}/RECORD"] = ("\n".join(record) + "\n").encode()
    out.mkdir(parents=True, exist_ok=True)
    wheel = out / f"{mod}-{version}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(zipfile.ZipInfo(path, (2026, 1, 1, 0, 0, 0)), data)
    return wheel


def user_index(root: Path, wheel: Path, name: str) -> str:
    """A PEP 503 index in a directory, holding ``wheel``; its file:// URL."""
    project = root / "simple" / name
    project.mkdir(parents=True)
    (project / wheel.name).write_bytes(wheel.read_bytes())
    (project / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>\n')
    (root / "simple" / "index.html").write_text(f'<a href="{name}/">{name}</a>\n')
    return (root / "simple").as_uri() + "/"


def default_pip_env(index: str) -> dict[str, str]:
    """pip as it comes (no pip.conf, no PIP_* of this machine), its index being ``index``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "VIRTUAL_ENV"))}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_INDEX_URL=index, PIP_NO_CACHE_DIR="1")
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def test_the_printed_install_line_finds_the_release_and_its_dependencies(tmp_path: Path) -> None:
    index = user_index(
        tmp_path / "pypi", make_wheel(tmp_path / "w", "tinydep", "2.0", []), "tinydep"
    )
    root = tmp_path / "tinyapp"
    root.mkdir()
    (root / "pyproject.toml").write_text('[project]\nname = "tinyapp"\nversion = "1.0.0"\n')
    (root / ".gitignore").write_text("dist/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "feat: tinyapp")
    _git(root, "tag", "v1.0.0")
    make_wheel(root / "dist", "tinyapp", "1.0.0", ["tinydep>=2"])

    published = run_publish(root, "publish", "wheels")
    assert published.returncode == 0, published.stdout + published.stderr
    (line,) = [ln for ln in published.stdout.splitlines() if ln.startswith("install: ")]
    command = line.removeprefix("install: ")
    feed = root / ".mlrelease" / "feed" / "simple"
    assert command == f"pip install --find-links {feed / 'tinyapp'} tinyapp==1.0.0"

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    env = {**default_pip_env(index), "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    old = subprocess.run(
        ["pip", "install", "--index-url", feed.as_uri() + "/", "tinyapp==1.0.0"],
        env=env, capture_output=True, text=True, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert old.returncode != 0
    assert "No matching distribution found for tinydep" in old.stdout + old.stderr

    installed = subprocess.run(
        shlex.split(command), env=env, capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    freeze = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "freeze"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert {"tinyapp==1.0.0", "tinydep==2.0"} <= set(freeze.stdout.split())

    published = run_publish(root, "publish", "wheels", "--json")
    assert published.returncode == 0, published.stderr
    assert f'"pip": "{command}"' in published.stdout
