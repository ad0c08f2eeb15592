"""The changelog, in Keep a Changelog form (https://keepachangelog.com/en/1.1.0/).

mlrelease writes the release section itself from the conventional commits (PSR's templates would
need a custom template directory to produce this form). Notes a person wrote under
``## [Unreleased]`` move into the new release section, as Keep a Changelog prescribes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from mlrelease.versioning.versions import Commit

HEADER = """# Changelog

All notable changes to this project are documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html)
(versions are written in their PEP 440 form).

## [Unreleased]
"""

# Keep a Changelog sections, in their documented order, and the commit types that feed them.
SECTIONS = ("Added", "Changed", "Deprecated", "Removed", "Fixed", "Security")
_TYPE_SECTION = {
    "feat": "Added",
    "perf": "Changed",
    "refactor": "Changed",
    "revert": "Removed",
    "fix": "Fixed",
}
_UNRELEASED_RE = re.compile(r"^## \[?Unreleased\]?[ \t]*$", re.IGNORECASE | re.MULTILINE)
_SECTION_RE = re.compile(r"^## ", re.MULTILINE)


def section_of(commit: Commit) -> str | None:
    if commit.breaking:
        return "Changed"
    if commit.type == "fix" and (commit.scope or "").lower() == "security":
        return "Security"
    if commit.type == "deprecate":
        return "Deprecated"
    return _TYPE_SECTION.get(commit.type)


def render_section(version: str, date: str, commits: Sequence[Commit]) -> str:
    """``## [1.2.0] - 2026-11-26`` and its ``### Added`` / ``### Fixed`` ... lists."""
    by_section: dict[str, list[str]] = {}
    for c in commits:
        section = section_of(c)
        if section is None:
            continue
        scope = f"**{c.scope}:** " if c.scope else ""
        breaking = "**Breaking:** " if c.breaking else ""
        by_section.setdefault(section, []).append(f"- {breaking}{scope}{c.subject} ({c.sha[:7]})")
    lines = [f"## [{version}] - {date}", ""]
    for section in SECTIONS:
        items = by_section.get(section)
        if not items:
            continue
        # Breaking changes first within their section: they are what a reader must not miss.
        items.sort(key=lambda item: not item.startswith("- **Breaking:**"))
        lines += [f"### {section}", "", *items, ""]
    if len(lines) == 2:
        lines += ["No user-facing changes.", ""]
    return "\n".join(lines)


def updated_text(existing: str | None, section: str) -> str:
    """The changelog with ``section`` inserted as the newest release (after Unreleased)."""
    text = existing if existing and existing.strip() else HEADER
    m = _UNRELEASED_RE.search(text)
    if m is None:
        nxt = _SECTION_RE.search(text)
        at = nxt.start() if nxt else len(text)
        head = text[:at].rstrip("\n") + "\n\n## [Unreleased]\n\n"
        return head + section.rstrip("\n") + "\n" + ("\n" + text[at:] if nxt else "")
    after = text[m.end() :]
    nxt = _SECTION_RE.search(after)
    pending = (after[: nxt.start()] if nxt else after).strip("\n")
    rest = after[nxt.start() :] if nxt else ""
    body = section.rstrip("\n")
    if pending:
        # Hand-written notes under Unreleased belong to this release.
        title, _, items = body.partition("\n")
        body = f"{title}\n\n{pending}\n{items}".rstrip("\n")
    out = text[: m.end()] + "\n\n" + body + "\n"
    if rest:
        out += "\n" + rest
    return out


def update_changelog(path: Path, version: str, date: str, commits: Sequence[Commit]) -> None:
    existing = path.read_text(encoding="utf-8") if path.exists() else None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        updated_text(existing, render_section(version, date, commits)), encoding="utf-8"
    )
