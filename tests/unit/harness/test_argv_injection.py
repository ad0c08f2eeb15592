"""Issue 20 item 5: a value that reaches a command line is validated or comes after ``--``.

Spies on PATH record each engine's argv: an image named ``--privileged`` (from the environment,
which the configuration check does not see, or a caller) is an operand after ``--``, never a
flag. Before: ``buildah from --quiet --privileged`` and ``podman run --rm --privileged``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from mlrelease._util import runner
from mlrelease.errors import MlreleaseError
from mlrelease.images import engines
from mlrelease.stages.lint import changed_against
from tests.unit.harness.support import assert_answered, run_cli, spy_calls, spy_tool

EVIL = "--privileged"


@pytest.fixture
def spy_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "spy.jsonl"
    probe = '{"python": "3.12", "machine": "x86_64", "libc": "2.36"}\n'
    for tool in ("buildah", "podman", "docker"):
        spy_tool(tmp_path / "bin", log, tool, stdout=probe)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{runner.os.environ['PATH']}")
    return log


def _operands_only(argv: list[str], value: str) -> bool:
    """``value`` appears only after a ``--`` (an operand)."""
    return all("--" in argv[:i] for i, a in enumerate(argv) if a == value)


def test_engines_put_images_after_double_dash(spy_log: Path, tmp_path: Path) -> None:
    for engine in (engines.Buildah(), engines.Podman(), engines.Docker()):
        engine.probe(EVIL, None)
        if engine.name != "docker":  # docker exports in its build
            engine.export(EVIL, tmp_path / "layout", "1.0")
    calls = spy_calls(spy_log)
    assert {c["tool"] for c in calls} == {"buildah", "podman", "docker"}
    for call in calls:
        assert _operands_only(call["argv"], EVIL), call["argv"]


def test_build_context_is_an_operand(spy_log: Path, tmp_path: Path) -> None:
    context = Path("-context")  # a relative directory whose name begins with '-'
    spec = engines.BuildSpec(context=context, dockerfile=tmp_path / "Dockerfile", tag="x:1")
    engines.Buildah().build(spec)
    engines.Podman().build(spec)
    for call in spy_calls(spy_log):
        assert _operands_only(call["argv"], "-context"), call["argv"]


def test_base_image_from_the_environment_is_checked(
    tagged_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pyproject = tagged_project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('dockerfile = "Dockerfile"\n', ""))
    monkeypatch.setenv("MLRELEASE_BASE_IMAGE", EVIL)
    outcome = run_cli(["publish", "images", "--dry-run", "--project", str(tagged_project)])
    assert_answered(outcome, (1,))
    assert "MLRELEASE_BASE_IMAGE" in outcome.err
    assert "is not an image reference" in outcome.err


def test_a_lint_base_or_range_that_looks_like_an_option_writes_nothing(
    tagged_project: Path, tmp_path: Path
) -> None:
    written = tmp_path / "written-by-git"
    with pytest.raises(MlreleaseError, match="is not a commit"):
        changed_against(tagged_project, f"--output={written}")
    outcome = run_cli(
        ["lint-commits", f"--range=--output={written}", "--project", str(tagged_project)]
    )
    assert_answered(outcome, (1,))
    assert not written.exists()
