"""``mlrelease lint-commits``: is a PR title, or each commit of a range, a conventional commit that
the version computation counts?

The headers go through :mod:`mlrelease.versioning.grammar`, python-semantic-release's grammar, the
one the next version is computed with (types lowercase and exact, as PSR matches them). A header
that fails would not release and would not appear in the changelog; the message says which one and
why (not conventional at all, an unknown type with the nearest known one, a missing space).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlrelease._util.console import counted
from mlrelease._util.git import Repo
from mlrelease.errors import EnvironmentProblem
from mlrelease.project import load_project
from mlrelease.versioning import grammar
from mlrelease.versioning.versions import CONVENTIONAL_TYPES, commit_units, last_release

FORM = "<type>[(scope)][!]: <subject>"
# Words people write for a type, and the conventional type they mean.
ALIASES = {
    "feature": "feat",
    "features": "feat",
    "add": "feat",
    "bug": "fix",
    "bugfix": "fix",
    "hotfix": "fix",
    "fixed": "fix",
    "doc": "docs",
    "documentation": "docs",
    "tests": "test",
    "testing": "test",
    "performance": "perf",
    "refactoring": "refactor",
    "deps": "build",
    "chores": "chore",
    "reverts": "revert",
}
_WORD = re.compile(r"^\s*([A-Za-z]+)")
_NO_SPACE = re.compile(r"^[A-Za-z]+(?:\([^()]*\))?!?:\S")
_SEP = "\x1f"
_END = "\x1e"


@dataclass(frozen=True)
class Checked:
    where: str  # "PR title" or the short SHA of a commit
    header: str
    type: str | None  # the conventional type when the header is valid
    bump: str | None  # major, minor, patch or None (no version change)
    problem: str = ""  # why it would not release; blank when valid

    @property
    def ok(self) -> bool:
        return not self.problem

    def as_data(self) -> dict[str, Any]:
        return {
            "where": self.where,
            "header": self.header,
            "ok": self.ok,
            "type": self.type,
            "bump": self.bump,
            "problem": self.problem or None,
        }

    def line(self) -> str:
        if not self.ok:
            return f"FAIL {self.where} {self.header!r}: {self.problem}"
        effect = f"{self.bump} release" if self.bump else "no version change"
        return f"ok   {self.where} {self.header!r}: {self.type}, {effect}"


def suggest(word: str) -> str | None:
    """The conventional type ``word`` most likely means (``feature`` -> ``feat``), or None."""
    low = word.lower()
    if low in CONVENTIONAL_TYPES:
        return low
    if low in ALIASES:
        return ALIASES[low]
    close = difflib.get_close_matches(low, CONVENTIONAL_TYPES, n=1, cutoff=0.6)
    return close[0] if close else None


def check_header(where: str, message: str) -> Checked:
    """Check one commit message (or PR title): its first line is the header; the rest can make
    the change breaking (a ``BREAKING CHANGE:`` footer) or hold squashed commits."""
    header = message.strip().partition("\n")[0].strip()
    consequence = "so it would not release and would not appear in the changelog"
    if not header:
        return Checked(where, header, None, None, f"empty header, {consequence}")
    if grammar.parse(header)[0] is None:
        return Checked(where, header, None, None, f"{_why_not(header)}, {consequence}")
    units = commit_units("", message)
    bumps = [c.bump for c in units if c.bump]
    bump = max(bumps, key=("patch", "minor", "major").index) if bumps else None
    return Checked(where, header, units[0].type, bump)


def _why_not(header: str) -> str:
    """Why ``header`` is not a conventional header, with the likely fix."""
    types = ", ".join(CONVENTIONAL_TYPES)
    m = _WORD.match(header)
    written = m.group(1) if m else ""
    if _NO_SPACE.match(header):
        return f"a space must follow the colon ({FORM})"
    if re.match(r"^[A-Za-z]+\(\)", header):
        return f"the scope is empty: write {written}(scope): or {written}: ({FORM})"
    if not re.match(r"^[A-Za-z]+(?:\([^\n]+\))?!?:\s", header):
        guess = suggest(written) if written else None
        hint = f' (did you mean "{guess}: ..."?)' if guess else ""
        return f"not a conventional commit header ({FORM}; types: {types}){hint}"
    if written.lower() in CONVENTIONAL_TYPES:
        return (
            f'write the type in lowercase ("{written.lower()}", not "{written}"): the release '
            "tooling matches types exactly"
        )
    if written.lower() == "revert":
        return (
            '"revert" is not a type python-semantic-release counts: title the revert with the '
            'type of the change it makes (e.g. "fix: revert the parquet reader")'
        )
    guess = suggest(written)
    hint = f' (did you mean "{guess}"?)' if guess else ""
    return f'"{written}" is not a conventional type{hint}; types: {types}'


def commits_in(root: Path, rev: str) -> list[tuple[str, str]]:
    """(sha, message) of the non-merge commits of ``rev`` (``BASE..HEAD``), oldest first."""
    result = Repo(root).run(
        "log",
        "--no-merges",
        "--reverse",
        f"--format=%H{_SEP}%B{_END}",
        "--end-of-options",  # a --range that begins with '-' is a revision, never an option
        rev,
        "--",
    )
    code, out = result.returncode, result.stdout.strip()
    if code != 0:
        raise EnvironmentProblem(
            f"git log {rev} failed in {root}: not a git repository, or a revision is missing",
            hint="give --range BASE..HEAD with revisions this clone has (GitHub Actions: "
            "actions/checkout with fetch-depth: 0)",
        )
    found = []
    for record in out.split(_END):
        if _SEP in record:
            sha, _, message = record.strip().partition(_SEP)
            found.append((sha, message))
    return found


def since_last_release(root: Path) -> str:

    project = load_project(root)
    last = last_release(project.root, project.config.version.tag_format)
    return f"{last[0]}..HEAD" if last else "HEAD"


def lint(root: Path, *, title: str | None, rev: str | None) -> tuple[list[Checked], str]:
    """Check the title and the commits of ``rev``; the second item says what was checked."""
    checked: list[Checked] = []
    what = []
    if title is not None:
        checked.append(check_header("PR title", title))
        what.append("the PR title")
    if rev is not None:
        commits = commits_in(root, rev)
        checked += [check_header(sha[:8], message) for sha, message in commits]
        what.append(f"{counted(len(commits), 'commit')} in {rev}")
    return checked, " and ".join(what)
