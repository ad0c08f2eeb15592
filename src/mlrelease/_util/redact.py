"""Keep secrets out of every line mlrelease prints, logs or raises.

Secrets are registered once (when a credential is obtained, through
:func:`mlrelease._util.console.mask`, which also announces them to GitHub Actions) and masked
everywhere after that. This module writes nothing: it only remembers and masks.

URL credentials are masked wherever they appear: ``user:password@`` in any scheme (the user
stays), ``:TOKEN@`` and ``TOKEN:@`` (all of it), any userinfo of an http(s) URL
(``https://TOKEN@host``: a token alone is a credential too), and credential parameters of a query
or fragment (``?token=``, ``sig=``, ``#access_token=``). ``git@github.com:org/repo`` (no scheme)
and ``ssh://git@host`` name a user, not a secret, and are left alone.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

MASK = "<hidden>"
_secrets: set[str] = set()

# Values in a config file that look like credentials. Deliberately conservative: names of things
# (feeds, registries) never match, tokens and passwords do.
_SECRET_PATTERNS = (
    re.compile(r"^(ghp|gho|ghs|ghu|github_pat|glpat|xox[abp]|sk|pypi)[-_][A-Za-z0-9_\-]{16,}"),
    re.compile(r"^AKIA[0-9A-Z]{16}$"),
    re.compile(r"^eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\."),  # a JWT
    re.compile(r"^[a-z2-7]{52}$"),  # an Azure DevOps personal access token (base32, 52 chars)
    re.compile(r"^[A-Za-z0-9]{84}$"),  # a new-style Azure DevOps PAT
    # A URL whose userinfo has a password (any scheme; ":TOKEN@" and "TOKEN:@" too) ...
    re.compile(r"://[^/?#\s@]*:[^/?#\s]*@"),
    # ... any userinfo of an http(s) URL (a token alone) ...
    re.compile(r"[hH][tT][tT][pP][sS]?://[^/?#\s]*@"),
    # ... and a credential in a URL's query or fragment (?token=, &sig=, #access_token=).
    re.compile(
        r"://\S*[?&#;]([A-Za-z0-9_.-]*([tT][oO][kK][eE][nN]|[sS][iI][gG]|[sS][eE][cC][rR][eE][tT]|"
        r"[pP][aA][sS][sS][wW]|[pP][wW][dD]|[aA][pP][iI][-_]?[kK][eE][yY]|"
        r"[cC][rR][eE][dD][eE][nN][tT][iI][aA][lL]|[aA][uU][tT][hH])[A-Za-z0-9_.-]*|"
        r"[kK][eE][yY]|[cC][oO][dD][eE])=[^&#\s]"
    ),
)
# The userinfo of a URL: everything between "scheme://" and the last "@" before the path, query or
# fragment (a raw "@" or ":" in a password included). "git@host:org/repo" has no scheme: a user.
_USERINFO_RE = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/?#\s'\"<>]*)@")
# Query or fragment parameters that carry a credential (?token=, &sig=, #access_token=, ...).
_SECRET_PARAM_RE = re.compile(
    r"(?i)([?&#;](?:[\w.-]*(?:token|sig|signature|secret|password|passwd|pwd|api[-_]?key|"
    r"credential|auth)[\w.-]*|key|code)=)([^&#\s'\"<>]+)"
)
_HTTP_SCHEMES = ("http://", "https://")


def _mask_userinfo(match: re.Match[str]) -> str:
    scheme, userinfo = match.group(1), match.group(2)
    if MASK in userinfo:
        return match.group(0)
    user, colon, password = userinfo.partition(":")
    if colon and user and password:
        return f"{scheme}{user}:{MASK}@"  # a user name and its password: the name stays
    if colon or scheme.lower().endswith(_HTTP_SCHEMES):
        return f"{scheme}{MASK}@"  # ":TOKEN@", "TOKEN:@", or an http(s) token alone
    return match.group(0)  # ssh://git@host: a user name, no secret


def remember_secret(value: str | None) -> bool:
    """Mask ``value`` from now on; True when it is new (not for empty or very short values).
    Callers use :func:`mlrelease._util.console.mask`, which also tells GitHub Actions."""
    if not value or len(value) < 4 or value in _secrets:
        return False
    _secrets.add(value)
    return True


def registered_secrets() -> frozenset[str]:
    return frozenset(_secrets)


def forget_secrets() -> None:
    """For tests: drop every registered secret."""
    _secrets.clear()


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and URL credential replaced by ``<hidden>``:
    the password (or token) of a URL's userinfo, and credential parameters of its query or
    fragment (``?token=``, ``&sig=``, ``#access_token=``...)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    if "@" in text:
        text = _USERINFO_RE.sub(_mask_userinfo, text)
    if "=" in text:
        text = _SECRET_PARAM_RE.sub(rf"\1{MASK}", text)
    return text


def url_without_credentials(url: str) -> str:
    """``https://user:pw@host/path`` -> ``https://host/path``."""
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rpartition("@")[2]  # "[::1]:8443" keeps its brackets and port
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def looks_like_secret(value: str) -> bool:
    """True for config values that look like a token, a password-bearing URL or a key."""
    return any(p.search(value) for p in _SECRET_PATTERNS)
