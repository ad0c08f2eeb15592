"""A uv that does not run is never used: mlrelease._util.uvtool.find_uv and `mlrelease doctor`.

The broken uv is a real executable on PATH that behaves like a pyenv shim for a uv installed under
another Python (exit 127); the environment without the ``uv`` package is made for real (a site
directory of links to this interpreter's packages less uv, run with ``python -S``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from mlrelease._util import uvtool

ROOT = Path(__file__).resolve().parents[3]
SHIM = '#!/bin/sh\necho "pyenv: uv: command not found" >&2\nexit 127\n'


def _bin(where: Path, name: str = "uv", text: str = SHIM) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    exe = where / name
    exe.write_text(text, encoding="utf-8")
    exe.chmod(0o755)
    return where


def package_uv() -> str:
    from uv import find_uv_bin

    return str(find_uv_bin())


def test_a_broken_uv_first_on_path_is_skipped_for_the_packages_binary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = _bin(tmp_path / "shims")
    monkeypatch.setenv("PATH", f"{bad}{os.pathsep}/usr/bin{os.pathsep}/bin")
    assert uvtool.find_uv() == package_uv()
    assert uvtool.broken_uv_on_path() == str(bad / "uv")


def test_the_found_uv_runs(tmp_path: Path) -> None:
    found = uvtool.find_uv()
    assert found is not None
    proc = subprocess.run([found, "--version"], capture_output=True, text=True, check=False)
    assert proc.returncode == 0
    assert proc.stdout.startswith("uv ")


def test_the_shim_dir_holds_only_the_working_uv(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    uv = package_uv()
    where = uvtool.uv_shim_dir(uv)
    assert [p.name for p in where.iterdir()] == ["uv"]
    assert (where / "uv").resolve() == Path(uv).resolve()
    assert uvtool.uv_shim_dir(uv) == where  # reused


# --- without the uv package ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def site_without_uv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("site")
    for entry in Path(sysconfig.get_paths()["purelib"]).iterdir():
        if entry.name.lower().startswith("uv") or entry.suffix == ".pth":
            continue
        (site / entry.name).symlink_to(entry)
    return site


def _python(site: Path, path: str, *args: str) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "UV"))}
    return subprocess.run(
        [sys.executable, "-S", *args],
        env={**keep, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{site}", "PATH": path},
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )


FIND = "from mlrelease._util import uvtool; print(uvtool.find_uv(), uvtool.broken_uv_on_path())"


def test_only_a_broken_uv_means_none(site_without_uv: Path, tmp_path: Path) -> None:
    bad = _bin(tmp_path / "shims")
    proc = _python(site_without_uv, f"{bad}:/usr/bin:/bin", "-c", FIND)
    assert proc.stdout.split() == ["None", str(bad / "uv")], proc.stderr


def test_a_working_uv_later_on_path_is_used(site_without_uv: Path, tmp_path: Path) -> None:
    bad = _bin(tmp_path / "shims")
    good = tmp_path / "good"
    good.mkdir()
    (good / "uv").symlink_to(package_uv())
    proc = _python(site_without_uv, f"{bad}:{good}:/usr/bin:/bin", "-c", FIND)
    assert proc.stdout.split() == [str(good / "uv"), str(bad / "uv")], proc.stderr


def test_doctor_says_the_uv_on_path_does_not_run(site_without_uv: Path, tmp_path: Path) -> None:
    bad = _bin(tmp_path / "shims")
    project = ROOT / "examples" / "driftwatch"
    proc = _python(
        site_without_uv,
        f"{bad}:/usr/bin:/bin",
        "-m",
        "mlrelease",
        "doctor",
        "--json",
        "--project",
        str(project),
    )
    checks = json.loads(proc.stdout)["checks"]
    uv = [c for c in checks if "uv" in c["what"] and c["area"] == "tools"]
    assert len(uv) == 1, uv
    assert uv[0]["level"] == "warning"
    assert uv[0]["what"] == (
        f"the uv on PATH ({bad / 'uv'}) does not run: nox environments are made with virtualenv"
    )


def test_plan_build_uses_uv_only_when_one_runs(site_without_uv: Path, tmp_path: Path) -> None:
    bad = _bin(tmp_path / "shims")
    project = ROOT / "examples" / "driftwatch"
    args = ("-m", "mlrelease", "plan", "--json", "--stage", "build", "--project", str(project))
    without = _python(site_without_uv, f"{bad}:/usr/bin:/bin", *args)
    assert without.returncode == 0, without.stderr
    argv = json.loads(without.stdout)["stages"]["build"]["commands"][0]["argv"]
    assert "--installer" not in argv
    good = tmp_path / "good"
    good.mkdir()
    (good / "uv").symlink_to(package_uv())
    with_uv = _python(site_without_uv, f"{bad}:{good}:/usr/bin:/bin", *args)
    argv = json.loads(with_uv.stdout)["stages"]["build"]["commands"][0]["argv"]
    assert argv[-3:] == ["--installer", "uv", "."]
