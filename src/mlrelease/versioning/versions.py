"""Versions and release tags: what was released, what comes next and why.

python-semantic-release (PSR) decides the next version (:mod:`mlrelease.versioning.semrel`); this module reads
the repository (tags, branch, commits since the last release), explains the decision by grouping
the commits by conventional-commit type, and is what the publishers ask "which release is HEAD?".

SemVer and PEP 440 spellings of one version compare equal everywhere: tags keep PSR's SemVer form
(``v1.3.0-rc.1``), files and wheels carry the PEP 440 form (``1.3.0rc1``); both go through
:class:`packaging.version.Version`.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.version import InvalidVersion, Version

from mlrelease._util.git import git
from mlrelease.errors import MlreleaseError, ReleaseError
from mlrelease.project import Project
from mlrelease.versioning import semrel

# Commit types that make a release, as PSR's conventional parser counts them.
BUMP_TYPES = {"feat": "minor", "fix": "patch", "perf": "patch"}
# Every type PSR's conventional parser accepts (the changelog lists them; only BUMP_TYPES release).
CONVENTIONAL_TYPES = (
    "feat", "fix", "perf", "build", "chore", "ci", "docs", "style", "refactor", "test", "revert",
)  # fmt: skip
_HEADER_RE = re.compile(
    r"^(?P<type>[A-Za-z]+)(?:\((?P<scope>[^()]*)\))?(?P<bang>!)?: (?P<subject>.+)$"
)
_BREAKING_RE = re.compile(r"^BREAKING[ -]CHANGE: ", re.MULTILINE)
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
        if self.breaking:
            return "major"
        return BUMP_TYPES.get(self.type)

    def as_data(self) -> dict[str, Any]:
        return {
            "sha": self.sha,
            "type": self.type,
            "scope": self.scope,
            "subject": self.subject,
            "breaking": self.breaking,
        }


def parse_commit(sha: str, message: str) -> Commit:
    header, _, body = message.strip().partition("\n")
    m = _HEADER_RE.match(header.strip())
    if not m:
        return Commit(sha, "other", None, header.strip(), False)
    breaking = bool(m.group("bang")) or bool(_BREAKING_RE.search(body))
    return Commit(sha, m.group("type").lower(), m.group("scope"), m.group("subject"), breaking)


def commits_since(root: Path, tag: str | None) -> list[Commit]:
    """Commits on HEAD after ``tag`` (all of them when None), oldest first, merges skipped."""
    rev = f"{tag}..HEAD" if tag else "HEAD"
    out = git(
        root, "log", "--no-merges", "--reverse", f"--format=%H{_SEP}%B{_END}", rev, check=False
    )
    commits = []
    for record in out.split(_END):
        if _SEP not in record:
            continue
        sha, _, message = record.strip().partition(_SEP)
        commits.append(parse_commit(sha, message))
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
    """What PSR decided, with the facts that explain it."""

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
    """Ask PSR for the next version. ``any_branch`` computes on a non-release branch as if it were
    one (``mlrelease version`` on a feature branch); releases never pass it."""

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
    last = last_release(root, cfg.tag_format)
    commits = commits_since(root, last[0] if last else None)
    want_pre = prerelease or kind == "prerelease"
    psr_version = semrel.next_version(
        project, branch=branch, prerelease=want_pre, token=token or semrel.default_token(project)
    )
    nxt: str | None = normalize_version(psr_version)
    if nxt is not None and "+" in nxt:
        raise ReleaseError(
            f"the computed version {nxt} is a local version; feeds reject local versions",
            hint="remove build metadata from the configuration",
        )
    if nxt is not None and _nothing_new(root, cfg.tag_format, nxt, last, commits):
        nxt = None
    return NextVersion(
        branch=branch,
        branch_kind=kind,
        current_tag=last[0] if last else None,
        current_version=last[1] if last else None,
        next_version=nxt,
        tag=format_tag(cfg.tag_format, nxt) if nxt else None,
        bump=bump_between(last[1] if last else None, nxt) if nxt else "none",
        prerelease=want_pre,
        commits=commits,
        notes=notes,
    )


def _nothing_new(
    root: Path, tag_format: str, nxt: str, last: tuple[str, str] | None, commits: list[Commit]
) -> bool:
    """PSR prints the last version when nothing is releasable; an existing tag means the same."""
    if last is not None and versions_equal(nxt, last[1]):
        return True
    if any(versions_equal(nxt, v) for v in release_tags(root, tag_format).values()):
        return True
    return last is None and not any(c.bump for c in commits)


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
