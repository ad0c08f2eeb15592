"""The conventional-commit grammar: python-semantic-release's, read the way PSR reads it.

mlrelease computes the next version in-process (importing PSR costs about a second: pydantic and
GitPython). So this module follows PSR 10's ``ConventionalCommitParser`` with its default options
line for line, and ``tests/integration/test_psr_equal.py`` holds it equal to PSR by running real
PSR on real git repositories over a corpus of messages (and the unit tests compare each parse with
PSR's own parser). Where a message is ambiguous, PSR's reading wins, whatever looks nicer:

- the types are exact and lowercase: ``feat`` (minor); ``fix``, ``perf`` (patch); ``build``,
  ``chore``, ``ci``, ``docs``, ``style``, ``refactor``, ``test`` (no release). ``revert`` is not a
  type, ``Feat`` is not ``feat``;
- a header is ``type[(scope)][!]:`` followed by whitespace and a subject;
- a change is breaking with ``!`` or with a paragraph of the message that begins
  ``BREAKING CHANGE:`` (or ``BREAKING-CHANGE:``) followed by a description; a footer directly
  under a body line without a blank line in between is part of that paragraph, and does not count;
- a squash-merge message whose paragraphs (or bullet points) are themselves conventional headers
  is several commits; each counts.

The code below is adapted from python-semantic-release (MIT licence), ``commit_parser``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import reduce
from textwrap import dedent

MINOR_TYPES = ("feat",)
PATCH_TYPES = ("fix", "perf")
OTHER_TYPES = ("build", "chore", "ci", "docs", "style", "refactor", "test")
TYPES = (*MINOR_TYPES, *PATCH_TYPES, *OTHER_TYPES)
BUMPS = {**dict.fromkeys(MINOR_TYPES, "minor"), **dict.fromkeys(PATCH_TYPES, "patch")}

_TYPE = f"(?P<type>{'|'.join(TYPES)})"
HEADER_RE = re.compile(
    f"^{_TYPE}" r"(?:\((?P<scope>[^\n]+)\))?" r"(?P<break>!)?:\s+" r"(?P<subject>[^\n]+)"
)
_MESSAGE_RE = re.compile(HEADER_RE.pattern + r"(?:\n\n(?P<text>.+))?", re.DOTALL)
_BREAKING_RE = re.compile(r"BREAKING[ -]CHANGE:\s?(.*)")
_MERGE_REQUEST_RE = re.compile(r"[\t ]+\((?:pull request )?(?P<mr_number>[#!]\d+)\)[\t ]*$")

# Paragraph clean-ups PSR applies before looking for squashed commits.
_SQUASH_FILTERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(\S)  +(\S)"), r"\1 \2"),
    (re.compile(r"^[\t ]*commit [0-9a-f]+$\n?", re.MULTILINE), ""),
    (re.compile(r"^[\t ]*Author: .+$\n?", re.MULTILINE), ""),
    (re.compile(r"^[\t ]*Date: .+$\n?", re.MULTILINE), ""),
    (re.compile(r"^[\t ]*Squashed commit of the following:.*$\n?", re.MULTILINE), ""),
    (re.compile(r"^(?:[\t ]*[*-][\t ]+|[\t ]+)?" + _TYPE + r"\b", re.MULTILINE), r"\1"),
)
_COMMIT_LINE = _SQUASH_FILTERS[1][0]

# parse_paragraphs: footers stay apart, wrapped lines are joined.
_TRIM_LINE_ENDINGS = (re.compile(r"[\r\t\f\v ]*\r?\n"), "\n")
_UNWRAP_HYPHEN = (re.compile(r"((?<=\w)-\n(?=\w))"), "-")
_SPREAD_FOOTERS = (
    re.compile(r"^ {0,2}([\w-]*: .+)$\n?((?!\n) *[^:\n]+:)", re.MULTILINE),
    r"\1\n\n\2",
)
_UNWRAP = (re.compile(r"((?<!-)\n(?![\s*-]))"), " ")


@dataclass(frozen=True)
class Parsed:
    """One conventional commit read from a message (a squash message may hold several)."""

    type: str
    scope: str | None
    subject: str
    breaking: bool

    @property
    def bump(self) -> str | None:
        return "major" if self.breaking else BUMPS.get(self.type)


def _reduce(text: str, pair: tuple[re.Pattern[str], str]) -> str:
    return pair[0].sub(pair[1], text) if text else text


def paragraphs(text: str) -> list[str]:
    """The paragraphs of a message body, wrapped lines joined, git footers kept apart."""
    adjusted = reduce(_reduce, (_TRIM_LINE_ENDINGS, _UNWRAP_HYPHEN), text)
    previous = ""
    while previous != adjusted:
        previous = adjusted
        adjusted = _SPREAD_FOOTERS[0].sub(_SPREAD_FOOTERS[1], adjusted)
    joined = (_UNWRAP[0].sub(_UNWRAP[1], p).strip() for p in adjusted.strip().split("\n\n"))
    return [p for p in joined if p]


def parse_message(message: str) -> Parsed | None:
    """One conventional commit, or None when ``message`` does not begin with a valid header."""
    m = _MESSAGE_RE.match(message)
    if m is None:
        return None
    subject = m.group("subject")
    if _MERGE_REQUEST_RE.search(subject):
        subject = _MERGE_REQUEST_RE.sub("", subject).strip()
    breaking = bool(m.group("break")) or any(
        (b := _BREAKING_RE.match(p)) is not None and bool(b.group(1))
        for p in [subject, *paragraphs(m.group("text") or "")]
    )
    return Parsed(m.group("type"), m.group("scope") or None, subject, breaking)


def split_squashed(message: str) -> list[str]:
    """The commit messages inside ``message``: one, or each commit of a squash merge."""
    normalized = message.replace("\r", "").strip()
    found: list[str] = []
    for part in _COMMIT_LINE.split(normalized):
        found += _squashed_in(part)
    return [m for m in found if m] or [message]


def _squashed_in(message: str) -> list[str]:
    messages: list[str] = []
    current = ""
    for paragraph in filter(None, message.strip().split("\n\n")):
        clean = reduce(_reduce, _SQUASH_FILTERS, paragraph)
        if not clean.strip():
            continue
        m = HEADER_RE.search(clean)
        if m is not None and len(m.group("subject").split(" ")) > 1:
            if current:
                messages.append(current)
            current = clean
        elif not messages and not current:
            current = dedent(clean)
        elif current:
            current += f"\n\n{dedent(clean)}"
    return [*messages, current]


def parse(message: str) -> list[Parsed | None]:
    """Each commit in ``message`` (several for a squash merge); None where one is not conventional.

    Merge commits never count: the caller leaves them out (``git log --no-merges``), as PSR does.
    """
    return [parse_message(m) for m in split_squashed(message)]
