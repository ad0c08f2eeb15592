"""How the next version follows from the release tags and the commits since the last one.

Three rules, all pure (no git; :func:`mlrelease.versioning.versions.compute_next_version` gathers
the facts):

- **SemVer tags** (``v1.4.2``): python-semantic-release's algorithm (PSR 10,
  ``semantic_release.version.algorithm``), followed step by step; ``tests/integration/
  test_psr_equal.py`` runs real PSR on real git repositories to hold the two equal.
- **Calendar tags** (``2025.1.0``, ``v2025.03.1``: the first number a year from 2000 on): never
  bumped as SemVer. The first release in a year is ``YEAR.1.0``; within the year a ``feat`` or a
  breaking change makes ``YEAR.N+1.0`` and fixes alone ``YEAR.N.P+1``. The year is HEAD's commit
  date (UTC), so ``plan``, ``release --dry-run`` and the release agree whatever day they run.
- **A declared version ahead of the tags** (pyproject says 0.10.0, the last tag is v0.9.0) is the
  next release when the commits ask for no more; otherwise a note says why it is not.
"""

from __future__ import annotations

from packaging.version import InvalidVersion, Version

# PSR's LevelBump order; conventional commits never make a bare prerelease-revision bump.
LEVELS = ("none", "prerelease", "patch", "minor", "major")
ZERO = Version("0.0.0")
FIRST_CALVER_YEAR = 2000


def level_index(level: str | None) -> int:
    return LEVELS.index(level or "none")


def pep440_token(token: str) -> str:
    """``alpha`` -> ``a`` (tags carry the PEP 440 token, so rc tags are found again)."""
    pre = Version(f"0.0.0{token}1").pre
    return pre[0] if pre else token


def make(release: tuple[int, ...], token: str | None = None, revision: int = 1) -> Version:
    base = ".".join(str(n) for n in release)
    return Version(f"{base}{token}{revision}" if token else base)


def _three(v: Version) -> tuple[int, int, int]:
    major, minor, patch = [*v.release, 0, 0, 0][:3]
    return major, minor, patch


def _difference(newer: Version, older: Version) -> int:
    """PSR's ``Version.__sub__``: the largest level that separates two versions."""
    a, b = _three(newer), _three(older)
    for i, level in enumerate(("major", "minor", "patch")):
        if a[i] != b[i]:
            return level_index(level)
    if (newer.pre is None) != (older.pre is None) or newer.pre != older.pre:
        return level_index("prerelease")
    return 0


def semver_next(
    latest: Version | None,
    latest_full: Version | None,
    level: str,
    *,
    prerelease: bool,
    token: str,
    major_on_zero: bool,
) -> Version | None:
    """PSR's ``_increment_version``: ``latest`` is the newest release in HEAD's history this
    computation starts from (a prerelease of ``token`` when ``prerelease``), ``latest_full`` the
    newest final one; ``level`` the largest bump of the commits since ``latest``. None: nothing
    to release (PSR prints ``latest`` again)."""
    if level_index(level) == 0:
        return None
    full = latest_full or ZERO
    current = latest or full
    wanted = level_index(level)
    if current.major == 0 and not major_on_zero:
        wanted = min(wanted, level_index("minor"))
    tok = pep440_token(token)
    base = current
    if current.pre is not None:
        if wanted <= _difference(current, full):
            if prerelease:
                revision = 1 if current.pre[0] != tok else current.pre[1] + 1
                return make(_three(current), tok, revision)
            return make(_three(current))
        base = full
    major, minor, patch = _three(base)
    bumped = {
        "major": (major + 1, 0, 0),
        "minor": (major, minor + 1, 0),
        "patch": (major, minor, patch + 1),
    }[LEVELS[wanted]]
    return make(bumped, tok) if prerelease else make(bumped)


def is_calver(version: str) -> bool:
    """Whether ``version`` (``2025.1.0``, ``2025.03.1``, ``2025.2.0rc1``) is a calendar version:
    two or three numbers, the first a year from 2000 on."""
    try:
        v = Version(version)
    except InvalidVersion:
        return False
    return len(v.release) in (2, 3) and FIRST_CALVER_YEAR <= v.release[0] <= 9999


def calver_next(
    latest: Version | None,
    latest_full: Version | None,
    level: str,
    year: int,
    *,
    prerelease: bool,
    token: str,
) -> Version | None:
    """The calendar rule (module docstring); ``latest``/``latest_full`` as for :func:`semver_next`
    among the calendar tags; ``year`` that of HEAD's commit."""
    if level_index(level) == 0:
        return None
    if latest_full is None or year > latest_full.release[0]:
        final: tuple[int, ...] = (year, 1, 0)
    else:
        y, n, p = _three(latest_full)
        final = (y, n + 1, 0) if level_index(level) >= level_index("minor") else (y, n, p + 1)
    if not prerelease:
        return make(final)
    tok = pep440_token(token)
    if latest is not None and latest.pre is not None and latest.release >= final:
        revision = latest.pre[1] + 1 if latest.pre[0] == tok else 1
        return make(latest.release, tok, revision)
    return make(final, tok)


def starting_points(
    history: dict[str, str], *, prerelease: bool, token: str
) -> tuple[bool, tuple[Version, str] | None, tuple[Version, str] | None]:
    """(calendar scheme?, the release to count commits from, the newest final release) among the
    release tags in HEAD's history (tag -> version), as PSR picks them: the first is the newest
    prerelease of ``token`` above the last final release when ``prerelease``, else the last final
    release. The scheme is the newest tag's; tags of the other scheme are left out."""
    calver = bool(history) and is_calver(max(history.values(), key=Version))
    tagged = [(Version(v), t) for t, v in history.items() if _of_scheme(Version(v), calver)]
    finals = [vt for vt in tagged if vt[0].pre is None]
    latest_full = max(finals) if finals else None
    latest = latest_full
    if prerelease:
        tok = pep440_token(token)
        pres = [
            vt
            for vt in tagged
            if vt[0].pre is not None
            and vt[0].pre[0] == tok
            and (latest_full is None or vt[0] >= latest_full[0])
        ]
        latest = max(pres) if pres else latest_full
    return calver, latest, latest_full


def _of_scheme(v: Version, calver: bool) -> bool:
    if is_calver(str(v)):
        return calver
    simple = not (v.epoch or v.dev is not None or v.post is not None or v.local)
    return not calver and simple and len(v.release) == 3


CALVER_NOTE = (
    "calendar version tags: YEAR.1.0 for the first release of a year (the year of HEAD's "
    "commit), then YEAR.N+1.0 for a feat or breaking change and YEAR.N.P+1 for fixes alone"
)


def declared_in(version_source: str) -> str:
    """Where a declared version is written, for messages: ``pyproject.toml``, a file, a module."""
    if version_source.startswith("file:"):
        return version_source.removeprefix("file:")
    if version_source.startswith("attr:"):
        path, _, var = version_source.removeprefix("attr:").rpartition(":")
        return f"{var} in {path}"
    return "pyproject.toml"


def declared_ahead(
    declared_text: str | None,
    where: str,
    history: dict[str, str],
    tagged: set[str],
    computed: Version | None,
    *,
    prerelease: bool,
    token: str,
) -> tuple[Version | None, str]:
    """The declared version when it is ahead of every release tag in HEAD's history (``history``:
    tag -> version) and not tagged anywhere (``tagged``: versions); else ``computed``. With the
    note that says which and why (blank when there is nothing to say)."""
    try:
        declared = Version(declared_text) if declared_text else None
    except InvalidVersion:
        return computed, ""
    newest = max(history, key=lambda t: Version(history[t]), default=None)
    if declared is None or declared in {Version(v) for v in tagged}:
        return computed, ""
    if newest is not None and declared <= Version(history[newest]):
        return computed, ""
    after = f"the last release ({newest})" if newest else "any release tag"
    said = f"the declared version {declared} ({where}) is ahead of {after}"
    return declared_next(declared, computed, prerelease=prerelease, token=token, said=said)


def declared_next(
    declared: Version,
    computed: Version | None,
    *,
    prerelease: bool,
    token: str,
    said: str,
) -> tuple[Version | None, str]:
    """The next version when the project declares ``declared``, a version above every release
    tag and not tagged yet; with the note that says what was decided and why (``said`` begins
    it: "the declared version 0.10.0 (pyproject.toml) is ahead of the last release (v0.9.0)")."""
    if computed is None:
        return None, (
            f"{said}: it is released with the next feat/fix/perf commit (or now with "
            f"`mlrelease release --as {declared}`)"
        )
    target, why_not = _declared_target(declared, prerelease=prerelease, token=token)
    if target is None:
        return computed, f"{said} but {why_not}: the next version is {computed}, from the commits"
    if target > computed:
        return target, f"{said}: it is the next version (the commits alone make {computed})"
    if target < computed:
        return computed, f"{said}, but the commits since make {computed}, which is higher"
    return computed, ""


def _declared_target(
    declared: Version, *, prerelease: bool, token: str
) -> tuple[Version | None, str]:
    """The release ``declared`` asks for on this branch, or None and why it cannot be."""
    if len(declared.release) != 3 or declared.dev is not None or declared.post is not None:
        return None, "is not X.Y.Z (a tag needs that form)"
    tok = pep440_token(token)
    if not prerelease:
        if declared.pre is not None:
            return None, "is a prerelease, and this branch makes final releases"
        return declared, ""
    if declared.pre is not None and declared.pre[0] != tok:
        return None, f"is a {declared.pre[0]} prerelease and this branch makes {tok} prereleases"
    return (declared if declared.pre is not None else make(declared.release, tok)), ""
