"""Fuzz the command line (issue 20, harness b): any argument vector gets a verdict.

Vectors are built from the real subcommands and options (and junk), with hostile values: a leading
``-``, ``--`` alone, 300-character names, control characters, URLs carrying the canary, paths that
do not exist, are files, or are long. Commands that would change the repository or publish run
with ``--dry-run`` forced; ``init`` is left to its own tests. Each vector must end in exit 0, 1 or
2 (argparse's usage errors included) with no traceback and no canary (the credential variables
hold it) in any stream.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.harness.conftest import CANARY
from tests.unit.harness.support import assert_answered, canary_hits, run_cli

ARGV_EXAMPLES = 2700

COMMANDS: dict[tuple[str, ...], list[str]] = {
    ("check",): ["--python"],
    ("plan",): ["--json", "--stage"],
    ("matrix",): ["--json", "--python"],
    ("schema",): [],
    ("version",): ["--json", "--prerelease"],
    ("release", "--dry-run"): [
        "--as",
        "--prerelease",
        "--verify-tag",
        "--allow-noop",
        "--json",
        "--expect-sha",
        "--no-push",
    ],
    ("lint-commits",): ["--title", "--range", "--json"],
    ("publish",): [],
    ("publish", "wheels", "--dry-run"): ["--dist", "--json"],
    ("publish", "images", "--dry-run"): ["--dist", "--json", "--sbom"],
    ("publish", "all", "--dry-run"): ["--dist", "--json", "--sbom"],
    ("sbom",): ["--wheel", "--requirements", "--output", "-o"],
    ("doctor",): ["--json"],
}
GLOBAL = ["-v", "-vv", "-q", "--quiet", "--verbose", "--version", "-h", "--help"]
VALUES = [
    "", "-", "--", "-x", "--json", "-v", "lint", "test", "docs", "build", "nope", "3.11", "2.7",
    "1.2.3", "1.0.0rc1", "v1", "main..HEAD", "HEAD~1..HEAD", "--output=out.txt", "0" * 40, "zz",
    "feat: x", "-WIP", "Fix: bad", "x" * 300, "line\nbreak", "nul\x00byte", "ünï",
    "missing.whl", "missing.txt", "a-file", "a-dir", "out.json", "a-dir/out.json", "a-file/x",
    "https://feed.example/upload/",
]  # fmt: skip
# The canary is in every credential variable (fast_outside): no vector may bring it out. A secret
# the user types into an argument is masked where it keeps its URL shape (test_usage_errors_...).


@st.composite
def argvs(draw: st.DrawFn, project: str) -> list[str]:
    command = draw(st.sampled_from(sorted(COMMANDS)))
    argv = list(draw(st.lists(st.sampled_from(GLOBAL), max_size=1)))
    argv += list(command)
    options = [*COMMANDS[command], "--project", "-C", "--bogus", "-z"]
    for _ in range(draw(st.integers(0, 4))):
        option = draw(st.sampled_from(options))
        kind = draw(st.integers(0, 3))
        value = draw(st.sampled_from([*VALUES, project]))
        if kind == 0:
            argv.append(option)
        elif kind == 1:
            argv += [option, value]
        elif kind == 2:
            argv.append(f"{option}={value}")
        else:
            argv.append(value)  # a stray positional
    if "--project" not in argv and "-C" not in argv and draw(st.booleans()):
        argv += ["--project", project]
    return argv


@pytest.mark.usefixtures("fast_outside")
@settings(
    max_examples=ARGV_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    database=None,
)
@given(data=st.data())
def test_any_argument_vector_gets_a_verdict(
    shared_project: Path, data: st.DataObject, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(shared_project.parent)  # relative paths land in the test's directory
    argv = data.draw(argvs(str(shared_project)))
    outcome = run_cli(argv, area="argv")
    assert_answered(outcome)
    assert not canary_hits(CANARY, streams={"stdout": outcome.out, "stderr": outcome.err}), (
        outcome.show()
    )


@pytest.fixture(scope="module", autouse=True)
def _paths(shared_project: Path) -> None:
    """The names the vectors use: a file, a directory, a broken wheel."""
    base = shared_project.parent
    (base / "a-file").write_text("x")
    (base / "a-dir").mkdir(exist_ok=True)
    (base / "missing.whl").unlink(missing_ok=True)


def test_usage_errors_mask_a_url_credential_typed_as_an_argument() -> None:
    """argparse quotes unrecognized arguments; a token in a URL among them is masked."""
    outcome = run_cli(["schema", "--bogus", f"https://:{CANARY}@feed.example/"], area="argv")
    assert_answered(outcome, (2,))
    assert "unrecognized arguments" in outcome.err
    assert not canary_hits(CANARY, streams={"stderr": outcome.err}), outcome.err
