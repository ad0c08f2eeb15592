"""``python -m mlrelease.stages.mypy_new --base REF -- mypy ARGS...``: mypy failing only on errors
in lines changed against ``REF`` (``lint.fail-on = "new"``, as :mod:`mlrelease.stages.lint_new`
does for ruff).

mypy has no baseline either: this runs the given mypy command, keeps the errors whose
``file:line`` is a line changed against the base (with the notes and context lines that follow
each), and counts the rest as older errors. An error mypy reports in an unchanged line because of
a change elsewhere (a new signature breaking an old call) is counted as older too: set
``fail-on = "all"`` once the code is clean. When mypy itself fails (exit status 2: a
configuration error, no files), its output is shown and the run fails.
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mlrelease._util import console
from mlrelease._util.runner import echo, run
from mlrelease.errors import MlreleaseError
from mlrelease.stages.lint import changed_against, is_changed

# path:line[:column[:end-line:end-column]]: error|note|warning: message
_LOCATED = re.compile(
    r"^(?P<file>[^:\n]+?):(?P<line>\d+)(?::-?\d+)*: (?P<kind>error|note|warning): "
)


@dataclass
class MypyMessage:
    """One error with the lines mypy prints after it (notes, ``pretty`` source context)."""

    file: str
    line: int
    lines: list[str] = field(default_factory=list)


def parse_mypy(output: str) -> list[MypyMessage]:
    """mypy's errors (``file:line: error: ...``), each with the notes and lines that follow it.
    Summary lines (``Found N errors``, ``Success: ...``) are left out."""
    messages: list[MypyMessage] = []
    current: MypyMessage | None = None
    for text in output.splitlines():
        m = _LOCATED.match(text)
        if m and m["kind"] == "error":
            current = MypyMessage(m["file"], int(m["line"]), [text])
            messages.append(current)
        elif re.match(r"^(Found \d+ errors?|Success: )", text):
            current = None
        elif current is not None:
            current.lines.append(text)
    return messages


def check_new_mypy(root: Path, base: str, mypy: Sequence[str]) -> int:
    """Run ``mypy`` (its argv); report and count only the errors in lines changed against
    ``base``."""
    top, changed = changed_against(root, base)
    proc = run([*mypy, "--no-error-summary"], cwd=root, check=False)
    if proc.returncode not in (0, 1):
        console.write(proc.stdout + proc.stderr)
        echo(f"mypy itself failed (exit status {proc.returncode}): see its output above")
        return proc.returncode or 2
    messages = parse_mypy(proc.stdout)
    fresh = [m for m in messages if is_changed(changed, top, m.file, m.line)]
    for message in fresh:
        console.out("\n".join(message.lines))
    old = len(messages) - len(fresh)
    echo(
        f"mypy: {console.counted(len(fresh), 'error')} in lines changed against {base}; "
        f"{console.counted(old, 'older error')} in unchanged lines not counted "
        "(lint.fail-on = 'new')"
    )
    return 1 if fresh else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlrelease.stages.mypy_new",
        description="mypy, failing only on errors in lines changed against a base ref",
    )
    parser.add_argument("--base", required=True, help="git ref to compare against")
    parser.add_argument("mypy", nargs=argparse.REMAINDER, help="-- mypy ARGS...")
    args = parser.parse_args(argv)
    command = args.mypy[1:] if args.mypy[:1] == ["--"] else args.mypy
    if not command:
        parser.error("the mypy command is missing: -- mypy ARGS...")
    try:
        return check_new_mypy(Path.cwd(), args.base, command)
    except MlreleaseError as exc:
        console.error(exc.message, hint=exc.hint)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
