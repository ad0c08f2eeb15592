"""Counts in messages agree with their nouns: "1 package", "2 packages", never "1 packages"."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from mlrelease._util.console import counted

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("n", "noun", "plural", "expected"),
    [
        (0, "package", "", "0 packages"),
        (1, "package", "", "1 package"),
        (2, "file", "", "2 files"),
        (1, "uncommitted change", "", "1 uncommitted change"),
        (3, "match", "matches", "3 matches"),
    ],
)
def test_counted(n: int, noun: str, plural: str, expected: str) -> None:
    assert counted(n, noun, plural) == expected


# A number interpolated right before a fixed plural ("{n} packages") or a "(s)" noun: each says
# "1 packages" / "1 file(s)" to someone. Use console.counted instead.
_FIXED_PLURAL = re.compile(
    r"\{(?:len\([^{}]*\)|[\w.]*(?:count|total|unformatted|findings)|n)\}"
    r"\s+(?:[a-z]+ )?(?:packages|files|images|tags|commits|checks|findings|errors|warnings|"
    r"headers|changes|sessions|problems|wheels|layers)\b"
)
_MAYBE_PLURAL = re.compile(r"\}[^{}\"']*?\w(?<!http)\(s\)")  # "http(s)" is no plural


def test_no_message_counts_with_a_fixed_plural() -> None:
    offenders = []
    for path in [*(ROOT / "src").rglob("*.py"), *(ROOT / "noxsessions").rglob("*.py")]:
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _FIXED_PLURAL.search(line) or _MAYBE_PLURAL.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{lineno}: {line.strip()}")
    assert offenders == []


def test_the_guard_catches_the_old_spellings() -> None:
    assert _FIXED_PLURAL.search("""f"sbom: {len(doc['components'])} packages, x\"""")
    assert _MAYBE_PLURAL.search('f"{count} uncommitted change(s)"')
    assert not _MAYBE_PLURAL.search('f"a {scheme} URL: only http(s) URLs are followed"')
