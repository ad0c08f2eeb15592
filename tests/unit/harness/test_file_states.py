"""Issue 20 item 4 (files) and harness c: commands that write files, around hostile file-system
states, answer with a verdict and leave nothing half-written.

Before: ``mlrelease sbom --output`` to an existing directory or a read-only place was a traceback
and left ``<output>.partial`` behind; a missing or binary ``--requirements`` file was a traceback;
a read-only ``.mlrelease/images`` was a traceback from deep inside the build.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.harness.support import assert_answered, read_only, run_cli
from tests.unit.images.test_sbom_purls import make_wheel


@pytest.fixture
def wheel(tmp_path: Path) -> Path:
    return make_wheel(tmp_path)


@pytest.fixture
def pins(tmp_path: Path) -> Path:
    path = tmp_path / "pins.txt"
    path.write_text("requests==2.31.0\n")
    return path


def sbom(wheel: Path, *args: str, code: int = 1) -> tuple[int, str]:
    outcome = run_cli(["sbom", "--wheel", str(wheel), *args], area="files")
    assert_answered(outcome, (code,))
    return outcome.code, outcome.err


def test_sbom_output_is_an_existing_directory(wheel: Path, pins: Path, tmp_path: Path) -> None:
    target = tmp_path / "out"
    target.mkdir()
    _, err = sbom(wheel, "--requirements", str(pins), "--output", str(target))
    assert f"--output {target} is a directory" in err
    assert "sbom.cdx.json" in err  # the hint names a file to write
    assert list(tmp_path.rglob("*.partial")) == []


def test_sbom_output_in_a_read_only_directory(wheel: Path, pins: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    with read_only(locked):
        _, err = sbom(wheel, "--requirements", str(pins), "--output", str(locked / "s.json"))
    assert "cannot be written" in err
    assert "choose a writable file path" in err
    assert list(locked.iterdir()) == []  # no .partial


@pytest.mark.parametrize("shape", ["long-name", "file-as-parent"])
def test_sbom_output_that_cannot_exist(wheel: Path, pins: Path, tmp_path: Path, shape: str) -> None:
    (tmp_path / "plain").write_text("a file")
    long = shape == "long-name"
    output = tmp_path / ("x" * 300) if long else tmp_path / "plain" / "s.json"
    _, err = sbom(
        wheel, "--requirements", str(pins), "--output", str(output), code=2 if long else 1
    )
    assert "at most 255 bytes" in err if long else "cannot be written" in err
    assert list(tmp_path.rglob("*.partial")) == []


@pytest.mark.parametrize("shape", ["missing", "binary", "directory", "long-name"])
def test_sbom_requirements_that_cannot_be_read(wheel: Path, tmp_path: Path, shape: str) -> None:
    path = tmp_path / ("r" * 300 if shape == "long-name" else f"{shape}.txt")
    if shape == "binary":
        path.write_bytes(b"\x7fELF\x00\x01\xff\xfe")
    elif shape == "directory":
        path.mkdir()
    long = shape == "long-name"
    _, err = sbom(wheel, "--requirements", str(path), code=2 if long else 1)
    assert "--requirements" in err
    assert "at most 255 bytes" in err if long else "name==version" in err  # the hint: what it holds


def test_sbom_wheel_name_too_long(tmp_path: Path) -> None:
    _, err = sbom(tmp_path / ("w" * 300 + ".whl"), "--requirements", "/dev/null", code=2)
    assert "argument --wheel" in err
    assert "at most 255 bytes" in err


def test_read_only_image_staging_directory(tagged_project: Path) -> None:
    images = tagged_project / ".mlrelease" / "images"
    images.mkdir(parents=True)
    with read_only(images):
        outcome = run_cli(["publish", "images", "--project", str(tagged_project)], area="files")
    assert_answered(outcome, (1,))
    assert ".mlrelease/images cannot be written" in outcome.err
    assert "nothing was built or pushed" in outcome.err
    assert "make .mlrelease/images writable" in outcome.err


def test_a_file_in_place_of_the_image_staging_directory(tagged_project: Path) -> None:
    (tagged_project / ".mlrelease").mkdir()
    (tagged_project / ".mlrelease" / "images").write_text("not a directory")
    outcome = run_cli(["publish", "images", "--project", str(tagged_project)], area="files")
    assert_answered(outcome, (1,))
    assert ".mlrelease/images cannot be written" in outcome.err
