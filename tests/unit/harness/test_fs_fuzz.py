"""Fuzz the file-system state around commands that write files (issue 20, harness c).

``mlrelease sbom`` (it writes ``--output``) and ``mlrelease publish images`` (it stages under
``.mlrelease/images``) meet: read-only directories, missing files and parents, a directory in place
of a file and a file in place of a directory, names over 255 bytes, symlinks out of the tree and
dangling ones, binary input. Each run answers 0, 1 (or 2 for a name over 255 bytes) with no traceback; a success wrote a valid
CycloneDX document where asked; a failure left no ``.partial`` file anywhere.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cyclonedx_schema import validate_cyclonedx
from tests.unit.harness.conftest import make_project
from tests.unit.harness.support import assert_answered, read_only, run_cli, spy_tool
from tests.unit.images.test_sbom_purls import PIP_COMPILE, make_wheel

SBOM_EXAMPLES = 600
STAGING_EXAMPLES = 120
_numbers = itertools.count()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Shared inputs: a wheel, pins, a directory outside the tree, a read-only directory."""
    root = tmp_path_factory.mktemp("fs")
    make_wheel(root)
    (root / "pins.txt").write_text(PIP_COMPILE)
    (root / "binary.bin").write_bytes(b"\x00\xff\xfe\x7fELF")
    (root / "broken.whl").write_text("not a zip")
    (root / "outside").mkdir()
    (root / "ro").mkdir()
    with read_only(root / "ro"):
        yield root


def _make(world: Path, work: Path, state: str, name: str) -> Path:  # noqa: PLR0911 - one per state
    """A path in ``work`` in the given state; what it points at for symlinks."""
    path = work / name
    if state == "new":
        return path
    if state == "missing-parents":
        return work / "a" / "b" / name
    if state == "directory":
        path.mkdir()
        return path
    if state == "file-as-parent":
        (work / "plain").write_text("x")
        return work / "plain" / name
    if state == "read-only-dir":
        return world / "ro" / name
    if state == "symlink-out":
        (work / "out").symlink_to(world / "outside", target_is_directory=True)
        return work / "out" / f"{next(_numbers)}-{name}"
    if state == "dangling-symlink":
        path.symlink_to(world / "nowhere" / name)
        return path
    if state == "long-name":
        return work / ("n" * 300)
    if state == "long-parent":
        return work / ("d" * 256) / name
    if state == "existing-file":
        path.write_text("old\n")
        return path
    raise AssertionError(state)


OUTPUT_STATES = ["new", "missing-parents", "directory", "file-as-parent", "read-only-dir",
                 "symlink-out", "dangling-symlink", "long-name", "long-parent", "existing-file",
                 "stdout"]  # fmt: skip
INPUT_STATES = ["valid", "missing", "directory", "binary", "empty", "symlink-out",
                "dangling-symlink", "long-name", "dev-null"]  # fmt: skip


def _input(world: Path, work: Path, state: str, valid: Path, name: str) -> Path:
    path = work / name
    if state == "valid":
        return valid
    if state == "missing":
        return path
    if state == "directory":
        path.mkdir()
    elif state == "binary":
        return world / "binary.bin"
    elif state == "empty":
        path.write_text("")
    elif state == "symlink-out":
        path.symlink_to(valid)
    elif state == "dangling-symlink":
        path.symlink_to(world / "nowhere" / name)
    elif state == "long-name":
        return work / ("i" * 300)
    elif state == "dev-null":
        return Path("/dev/null")
    return path


def _no_partial(*roots: Path) -> None:
    for root in roots:
        assert not list(root.rglob("*.partial")), list(root.rglob("*.partial"))


@settings(
    max_examples=SBOM_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(
    output=st.sampled_from(OUTPUT_STATES),
    requirements=st.sampled_from(INPUT_STATES),
    wheel=st.sampled_from([*INPUT_STATES, "broken"]),
    flag=st.sampled_from(["--output", "-o"]),
)
def test_sbom_around_hostile_files(
    world: Path, output: str, requirements: str, wheel: str, flag: str
) -> None:
    work = world / f"ex{next(_numbers)}"
    work.mkdir()
    wheel_path = (
        world / "broken.whl"
        if wheel == "broken"
        else _input(world, work, wheel, next(world.glob("demo_pkg-*.whl")), "w.whl")
    )
    argv = ["sbom", "--wheel", str(wheel_path)]
    argv += ["--requirements", str(_input(world, work, requirements, world / "pins.txt", "r.txt"))]
    target = None if output == "stdout" else _make(world, work, output, "sbom.cdx.json")
    if target is not None:
        argv += [flag, str(target)]
    outcome = run_cli(argv, area="files")
    assert_answered(outcome, (0, 1, 2))  # 2: a name over 255 bytes is a usage error
    _no_partial(work, world / "outside")
    if outcome.code == 0:
        text = outcome.out if target is None else target.read_text(encoding="utf-8")
        validate_cyclonedx(json.loads(text))
    elif outcome.code == 1:
        assert "hint:" in outcome.err, outcome.show()
    else:
        assert "at most 255 bytes" in outcome.err, outcome.show()
    shutil.rmtree(work, ignore_errors=True)


STAGING_STATES = ["normal", "file", "read-only", "symlink-out", "dangling-symlink",
                  "dot-mlrelease-file", "absent"]  # fmt: skip


@pytest.fixture(scope="module")
def image_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess

    root = make_project(tmp_path_factory.mktemp("img") / "p")
    with (root / "pyproject.toml").open("a") as fh:
        fh.write('\n[[tool.mlrelease.publish.images]]\nname = "app"\ndockerfile = "Dockerfile"\n')
    (root / "Dockerfile").write_text("FROM scratch\n")
    git = ["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "feat: x"], check=True)
    subprocess.run([*git, "tag", "v0.1.0"], check=True)
    return root


@settings(
    max_examples=STAGING_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(state=st.sampled_from(STAGING_STATES), sbom=st.booleans())
def test_publish_images_around_a_hostile_staging_directory(  # noqa: PLR0917 - fixtures + draws
    world: Path,
    image_project: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    state: str,
    sbom: bool,
) -> None:
    """The engine is a spy that fails: whatever the staging state, a verdict and no traceback."""
    spy_tool(tmp_path / "bin", tmp_path / "spy.jsonl", "buildah", code=1)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:/usr/bin:/bin")
    monkeypatch.setenv("MLRELEASE_CONTAINER_ENGINE", "buildah")
    dot = image_project / ".mlrelease"
    if dot.is_symlink() or dot.is_file():
        dot.unlink()
    shutil.rmtree(dot, ignore_errors=True)
    staging = dot / "images"
    if state == "dot-mlrelease-file":
        dot.write_text("x")
    elif state != "absent":
        dot.mkdir()
        if state == "file":
            staging.write_text("x")
        elif state == "read-only":
            staging.symlink_to(world / "ro", target_is_directory=True)
        elif state == "symlink-out":
            staging.symlink_to(world / "outside", target_is_directory=True)
        elif state == "dangling-symlink":
            staging.symlink_to(world / "nowhere")
        else:
            staging.mkdir()
    argv = ["publish", "images", "--project", str(image_project), *(["--sbom"] if sbom else [])]
    outcome = run_cli(argv, area="files")
    assert_answered(outcome, (1,))
    assert "error:" in outcome.err, outcome.show()
