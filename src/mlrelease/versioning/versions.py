"""Versions and release tags: what was released, what comes next and why.

This module reads the repository (tags, branch, commits since the last release), computes the next
version in-process with python-semantic-release's grammar and rule (:mod:`~mlrelease.versioning.grammar`,
:mod:`~mlrelease.versioning.rules`; held equal to PSR by tests that run it), explains it by grouping
the commits by conventional-commit type, and is what the publishers ask "which release is HEAD?".
Calendar-version tags (``2025.1.0``) follow a calendar rule instead (:func:`is_calver_tag`).

SemVer and PEP 440 spellings of one version compare equal everywhere: tags keep PSR's SemVer form
(``v1.3.0-rc.1``), files and wheels carry the PEP 440 form (``1.3.0rc1``); both go through
:class:`packaging.version.Version`.
"""

from __future__ import annotations

import datetime as _dt
import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from mlrelease._util.git import git
from mlrelease.errors import MlreleaseError, ReleaseError
from mlrelease.project import Project
from mlrelease.versioning import grammar, rules, semrel

# Commit types that make a release, and every type PSR's conventional parser accepts (the
# changelog lists them; only BUMP_TYPES release): the grammar is PSR's (versioning/grammar.py).
BUMP_TYPES = dict(grammar.BUMPS)
CONVENTIONAL_TYPES = grammar.TYPES
_SEP = "\x1f"
_END = "\x1e"


# --- versions ----------------------------------------------------------------------------------


def parse_version(text: str) -> Any:
    """A :class:`packaging.version.Version` from a SemVer or PEP 440 spelling; ValueError if neither."""

    try:
        return Version(text)
    except InvalidVersion:
        raise ValueError(f"{text!r} is not a valid version (PEP 440 or SemVer)") from None


def normalize_version(text: str) -> str:
    """``"1.2.0-rc.1"`` -> ``"1.2.0rc1"`` (PEP 440 normal form)."""
    return str(parse_version(text))


def versions_equal(a: str, b: str) -> bool:
    """True when ``a`` and ``b`` spell the same version (``1.2.0-rc.1`` == ``1.2.0rc1``)."""
    try:
        return bool(parse_version(a) == parse_version(b))
    except ValueError:
        return a == b


def semver_of(version: str) -> str:
    """PEP 440 ``1.3.0rc1`` -> SemVer ``1.3.0-rc.1`` (the tag spelling PSR reads back).

    Only ``X.Y.Z`` with an optional a/b/rc prerelease has a SemVer twin; anything else raises
    ValueError with a message naming the accepted forms.
    """
    v = parse_version(version)
    if v.local is not None:
        raise ValueError(
            f"{version!r} is a local version (+{v.local}); feeds reject local versions"
        )
    if v.epoch or v.dev is not None or v.post is not None or len(v.release) != 3:
        raise ValueError(f"{version!r} must be X.Y.Z or X.Y.Z with aN, bN or rcN (e.g. 1.3.0rc1)")
    base = ".".join(str(p) for p in v.release)
    if v.pre is None:
        return base
    return f"{base}-{v.pre[0]}.{v.pre[1]}"


# --- tags --------------------------------------------------------------------------------------


def tag_pattern(tag_format: str) -> re.Pattern[str]:
    head, _, tail = tag_format.partition("{version}")
    return re.compile(f"^{re.escape(head)}(?P<version>.+){re.escape(tail)}$")


def format_tag(tag_format: str, version: str) -> str:
    """The tag for ``version`` (given in either spelling), in SemVer form."""
    return tag_format.replace("{version}", semver_of(version))


def version_of_tag(tag_format: str, tag: str) -> str | None:
    """The normalized PEP 440 version a release tag names, or None when it is not a release tag."""
    m = tag_pattern(tag_format).match(tag)
    if not m:
        return None
    try:
        v = parse_version(m.group("version"))
    except ValueError:
        return None
    return str(v)


def is_calver(version: str) -> bool:
    """Whether ``version`` is a calendar version (``2025.1.0``, ``2025.03.1``): not bumped as
    SemVer. See :mod:`mlrelease.versioning.rules`."""
    return rules.is_calver(version)


def is_calver_tag(tag_format: str, tag: str) -> bool:
    """Whether ``tag`` is a release tag of ``tag_format`` that names a calendar version."""
    m = tag_pattern(tag_format).match(tag)
    return m is not None and rules.is_calver(m.group("version"))


def release_tags(root: Path, tag_format: str, *, merged: str | None = None) -> dict[str, str]:
    """Release tags -> normalized version (only tags reachable from ``merged`` when given)."""
    args = ["tag", "--list"] + (["--merged", merged] if merged else [])
    out = git(root, *args, check=False)
    tags: dict[str, str] = {}
    for tag in out.splitlines():
        version = version_of_tag(tag_format, tag.strip())
        if version is not None:
            tags[tag.strip()] = version
    return tags


def last_release(root: Path, tag_format: str, ref: str = "HEAD") -> tuple[str, str] | None:
    """(tag, version) of the highest release tag reachable from ``ref``, or None."""
    tags = release_tags(root, tag_format, merged=ref)
    if not tags:
        return None
    tag = max(tags, key=lambda t: parse_version(tags[t]))
    return tag, tags[tag]


def release_version_at_head(project: Project) -> str | None:
    """The normalized PEP 440 version of the release tag at HEAD, or None (also outside git).

    With several release tags at HEAD (a prerelease promoted to final), the highest wins.
    """
    try:
        out = git(project.root, "tag", "--points-at", "HEAD", check=False)
    except MlreleaseError:  # git missing
        return None
    fmt = project.config.version.tag_format
    versions = [v for v in (version_of_tag(fmt, t) for t in out.split()) if v is not None]
    if not versions:
        return None
    return str(max(parse_version(v) for v in versions))


# --- branches ----------------------------------------------------------------------------------


def current_branch(root: Path) -> str | None:
    """The checked-out branch, or None on a detached HEAD."""
    out = git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False)
    return out or None


def branch_kind(project: Project, branch: str) -> tuple[str, str | None]:
    """("release", None), ("prerelease", token) or ("other", None) for ``branch``."""
    cfg = project.config.version
    for pattern in cfg.release_branches:
        if fnmatch.fnmatchcase(branch, pattern):
            return "release", None
    for pattern, token in cfg.prerelease_branches.items():
        if fnmatch.fnmatchcase(branch, pattern):
            return "prerelease", token
    return "other", None


# --- commits -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commit:
    sha: str
    type: str  # conventional type, lowercased; "other" when the header is not conventional
    scope: str | None
    subject: str
    breaking: bool

    @property
    def bump(self) -> str | None:
        return grammar.Parsed(self.type, self.scope, self.subject, self.breaking).bump

    def as_data(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "type": self.type,
            "scope": self.scope,
            "subject": self.subject,
            "breaking": self.breaking,
        }


def commit_units(sha: str, message: str) -> list[Commit]:
    """The conventional commits in one git commit, as PSR counts them: one, or each commit a
    squash merge holds; a message that is not conventional is one commit of type "other"."""
    header = message.strip().partition("\n")[0].strip()
    units = []
    for parsed in grammar.parse(message):
        if parsed is None:
            units.append(Commit(sha, "other", None, header, False))
        else:
            units.append(Commit(sha, parsed.type, parsed.scope, parsed.subject, parsed.breaking))
    return units


def parse_commit(sha: str, message: str) -> Commit:
    """The commit ``message`` begins with (its header; see :func:`commit_units` for the rest)."""
    return commit_units(sha, message)[0]


def commits_since(root: Path, tag: str | None) -> list[Commit]:
    """Commits on HEAD after ``tag`` (all of them when None), oldest first, merges skipped (PSR
    skips them too), a squash merge counted as the commits it holds."""
    rev = f"{tag}..HEAD" if tag else "HEAD"
    out = git(
        root, "log", "--no-merges", "--reverse", f"--format=%H{_SEP}%B{_END}", rev, check=False
    )
    commits = []
    for record in out.split(_END):
        if _SEP not in record:
            continue
        sha, _, message = record.strip().partition(_SEP)
        commits += commit_units(sha, message)
    return commits


def group_commits(commits: list[Commit]) -> dict[str, list[Commit]]:
    """Commits by type, the ones that decide the version first (breaking, feat, fix, perf)."""
    order = ["breaking", "feat", "fix", "perf"]
    groups: dict[str, list[Commit]] = {}
    for c in commits:
        key = "breaking" if c.breaking else c.type
        groups.setdefault(key, []).append(c)
    return {
        k: groups[k] for k in sorted(groups, key=lambda k: (order.index(k) if k in order else 9, k))
    }


# --- the next version ---------------------------------------------------------------------------


@dataclass
class NextVersion:
    """The next version, with the facts that explain it."""

    branch: str | None
    branch_kind: str
    current_tag: str | None
    current_version: str | None
    next_version: str | None  # PEP 440; None when there is nothing to release
    tag: str | None
    bump: str  # major, minor, patch, prerelease, explicit, none
    prerelease: bool
    commits: list[Commit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    scheme: str = "semver"  # or "calver": calendar-version tags (2025.1.0)

    @property
    def releasable(self) -> bool:
        return self.next_version is not None

    def as_data(self) -> dict[str, Any]:
        groups = group_commits(self.commits)
        return {
            "next-version": self.next_version,
            "current-version": self.current_version,
            "tag": self.tag,
            "current-tag": self.current_tag,
            "bump": self.bump,
            "release": self.releasable,
            "prerelease": self.prerelease,
            "branch": self.branch,
            "branch-kind": self.branch_kind,
            "commits": {k: [c.as_data() for c in v] for k, v in groups.items()},
            "notes": list(self.notes),
            "scheme": self.scheme,
        }

    def summary(self) -> list[str]:
        lines = []
        if self.next_version:
            lines.append(
                f"next version: {self.next_version} (tag {self.tag}, {self.bump} bump from "
                f"{self.current_version or 'no previous release'})"
            )
        else:
            since = f"since {self.current_tag}" if self.current_tag else "yet"
            lines.append(
                f"no release: no releasable commits {since} "
                f"(current version {self.current_version or 'none'})"
            )
        for key, commits in group_commits(self.commits).items():
            decides = key in ("breaking", *BUMP_TYPES)
            lines.append(f"{key} ({len(commits)}){'' if decides else ', no version change'}:")
            lines.extend(f"  {c.sha[:8]} {c.subject}" for c in commits)
        lines.extend(f"note: {n}" for n in self.notes)
        return lines


def bump_between(current: str | None, nxt: str) -> str:
    new = parse_version(nxt)
    if new.pre is not None:
        return "prerelease"
    if current is None:
        return "initial"
    old = parse_version(current)
    if new.major != old.major:
        return "major"
    if new.minor != old.minor:
        return "minor"
    return "patch"


def compute_next_version(
    project: Project, *, prerelease: bool = False, any_branch: bool = False
) -> NextVersion:
    """The next version of HEAD, computed in-process by python-semantic-release's rule and grammar
    (or the calendar rule; :mod:`mlrelease.versioning.rules`). ``any_branch`` computes on a
    non-release branch as if it were one (``mlrelease version`` on a feature branch); releases
    never pass it."""

    root = project.root
    cfg = project.config.version
    semrel.refuse_own_psr_config(project)
    branch = current_branch(root)
    if branch is None:
        raise ReleaseError(
            "HEAD is detached: a release needs a branch",
            hint="check out the release branch (git checkout main); in GitHub Actions check out "
            "the branch ref, not the commit SHA",
        )
    kind, token = branch_kind(project, branch)
    notes: list[str] = []
    if kind == "other":
        if not any_branch:
            raise_wrong_branch(project, branch)
        notes.append(
            f"branch {branch!r} is not a release branch: this is the version a release from it "
            "would get; `mlrelease release` refuses here"
        )
    refuse_shallow(root)
    want_pre = prerelease or kind == "prerelease"
    token = token or semrel.default_token(project)
    history = release_tags(root, cfg.tag_format, merged="HEAD")
    calver, latest, latest_full = rules.starting_points(history, prerelease=want_pre, token=token)
    # PSR counts every commit when the release it starts from is 0.0.0 (its "no release" default).
    since = latest[1] if latest and latest[0] != rules.ZERO else None
    commits = commits_since(root, since)
    level = max((c.bump or "none" for c in commits), key=rules.level_index, default="none")
    base, full = (latest[0] if latest else None), (latest_full[0] if latest_full else None)
    if calver:
        computed = rules.calver_next(
            base, full, level, head_year(root), prerelease=want_pre, token=token
        )
        notes.append(rules.CALVER_NOTE)
    else:
        computed = rules.semver_next(
            base, full, level, prerelease=want_pre, token=token, major_on_zero=cfg.major_on_zero
        )
    tagged = release_tags(root, cfg.tag_format)
    computed, note = rules.declared_ahead(
        project.static_version,
        rules.declared_in(project.version_source),
        history,
        set(tagged.values()),
        computed,
        prerelease=want_pre,
        token=token,
    )
    notes += [note] if note else []
    nxt = str(computed) if computed is not None else None
    if nxt is not None and any(versions_equal(nxt, v) for v in tagged.values()):
        nxt = None
    current = (latest[1], str(latest[0])) if latest else None
    return NextVersion(
        branch=branch,
        branch_kind=kind,
        current_tag=current[0] if current else None,
        current_version=current[1] if current else None,
        next_version=nxt,
        tag=format_tag(cfg.tag_format, nxt) if nxt else None,
        bump=bump_between(current[1] if current else None, nxt) if nxt else "none",
        prerelease=want_pre,
        commits=commits,
        notes=notes,
        scheme="calver" if calver else "semver",
    )


def head_year(root: Path) -> int:
    """The year (UTC) of HEAD's commit: calendar versions count from it, so every command that
    computes the next version of one commit agrees, whatever day it runs."""
    stamp = git(root, "log", "-1", "--format=%ct", "HEAD", check=False)
    when = (
        _dt.datetime.fromtimestamp(int(stamp), _dt.timezone.utc)
        if stamp.isdigit()
        else _dt.datetime.now(_dt.timezone.utc)
    )
    return when.year


def refuse_shallow(root: Path) -> None:
    if git(root, "rev-parse", "--is-shallow-repository", check=False) == "true":
        raise ReleaseError(
            "this clone is shallow: the commits and tags since the last release are missing, so "
            "the version cannot be computed",
            hint="git fetch --unshallow --tags (GitHub Actions: actions/checkout with "
            "fetch-depth: 0)",
        )


def raise_wrong_branch(project: Project, branch: str) -> None:
    cfg = project.config.version
    allowed = [*cfg.release_branches, *cfg.prerelease_branches]
    raise ReleaseError(
        f"branch {branch!r} is not a release or prerelease branch "
        f"(tool.mlrelease.version: {', '.join(allowed)})",
        hint="merge into a release branch and release from there, or add the branch to "
        "tool.mlrelease.version.release-branches / prerelease-branches",
    )
