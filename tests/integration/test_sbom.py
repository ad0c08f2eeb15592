"""``mlrelease sbom``: the CycloneDX SBOM of examples/driftwatch's wheel and its dependencies.

The dependency closure is resolved by pip against the configured index (PyPI here), as the release
workflow does it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.version import Version

from tests.cyclonedx_schema import validate_cyclonedx

pytestmark = [pytest.mark.integration]

DRIFTWATCH = Path(__file__).resolve().parents[2] / "examples" / "driftwatch"


def mlrelease(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlrelease", *args],
        capture_output=True, text=True, cwd=cwd, timeout=600, check=False,
    )  # fmt: skip


def test_driftwatch_wheel_sbom_lists_numpy_and_scipy_with_versions(tmp_path: Path) -> None:
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    subprocess.run(
        [uv, "build", "-q", "--wheel", "--out-dir", str(tmp_path / "dist"), str(DRIFTWATCH)],
        check=True, capture_output=True, env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )  # fmt: skip
    (wheel,) = (tmp_path / "dist").glob("driftwatch-*.whl")
    out = tmp_path / "sbom" / "driftwatch.cdx.json"
    result = mlrelease("sbom", "--wheel", str(wheel), "--output", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert f"sbom: {out} (" in result.stderr
    doc = json.loads(out.read_text())
    validate_cyclonedx(doc)  # the official CycloneDX 1.5 JSON schema, and unique bom-refs
    assert doc["bomFormat"] == "CycloneDX"
    assert doc["metadata"]["component"]["name"] == "driftwatch"
    assert doc["metadata"]["component"]["purl"] == "pkg:pypi/driftwatch@0.1.0"
    found = {c["name"].lower(): c for c in doc["components"]}
    for name, floor in (("numpy", "1.26"), ("scipy", "1.11")):
        comp = found[name]
        assert Version(comp["version"]) >= Version(floor)  # a real, resolved version
        assert comp["purl"] == f"pkg:pypi/{name}@{comp['version']}"
    assert "driftwatch" not in found  # the subject is not its own component
    refs = doc["dependencies"][0]["dependsOn"]
    assert sorted(refs) == sorted(found[n]["purl"] for n in ("numpy", "scipy"))

    # The same document again (deterministic), and from pins given instead of resolved.
    pins = tmp_path / "pins.txt"
    pins.write_text("".join(f"{c['name']}=={c['version']}\n" for c in doc["components"]))
    again = mlrelease("sbom", "--wheel", str(wheel), "--requirements", str(pins), cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout) == doc


def test_sbom_of_a_missing_or_broken_wheel_is_a_clear_error(tmp_path: Path) -> None:
    missing = mlrelease("sbom", "--wheel", "dist/nope-1.0-py3-none-any.whl", cwd=tmp_path)
    assert missing.returncode == 1
    assert "dist/nope-1.0-py3-none-any.whl: no such wheel" in missing.stderr
    broken = tmp_path / "broken-1.0-py3-none-any.whl"
    broken.write_text("not a zip")
    result = mlrelease("sbom", "--wheel", str(broken), "--requirements", "/dev/null", cwd=tmp_path)
    assert result.returncode == 1
    assert "is not a readable wheel" in result.stderr
    assert "Traceback" not in result.stderr + missing.stderr
