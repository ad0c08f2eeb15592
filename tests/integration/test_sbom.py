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


def _wheel(dist: Path, name: str, version: str) -> Path:
    """A minimal pure-Python wheel with no dependencies (pip resolves it without an index)."""
    import zipfile

    module = name.replace("-", "_")
    path = dist / f"{module}-{version}-py3-none-any.whl"
    info = f"{module}-{version}.dist-info"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(f"{module}/__init__.py", "")
        zf.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        )
        zf.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        zf.writestr(f"{info}/RECORD", "")
    return path


def test_several_wheels_get_one_sbom_each_in_the_output_dir(tmp_path: Path) -> None:
    """A monorepo release builds one wheel per member: the release workflow's single
    `mlrelease sbom --wheel "$DIST"/*.whl --output-dir "$SBOM_DIR"` line covers all of them."""
    dist = tmp_path / "dist"
    dist.mkdir()
    features = _wheel(dist, "ml-features", "0.2.0")
    model = _wheel(dist, "ml-model", "0.1.1")
    out = tmp_path / "sbom"
    done = mlrelease("sbom", "--wheel", str(features), str(model), "--output-dir", str(out),
                     cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr
    names = sorted(p.name for p in out.iterdir())
    assert names == ["ml-features-0.2.0.cdx.json", "ml-model-0.1.1.cdx.json"]
    for path in out.iterdir():
        doc = json.loads(path.read_text(encoding="utf-8"))
        validate_cyclonedx(doc)
        assert doc["metadata"]["component"]["name"] in {"ml-features", "ml-model"}
    # Several wheels and one --output: a usage error naming the fix, nothing written.
    both = mlrelease("sbom", "--wheel", str(features), str(model), "--output",
                     str(tmp_path / "one.cdx.json"), cwd=tmp_path)  # fmt: skip
    assert both.returncode == 2
    assert "--output-dir" in both.stderr
    assert "Traceback" not in both.stderr
    assert not (tmp_path / "one.cdx.json").exists()
