"""Keep secrets out of every line mlrelease prints, logs or raises.

Secrets are registered once (when a credential is obtained) and masked everywhere after that.
On GitHub Actions a registered secret is also announced with ``::add-mask::`` so the runner hides
it from the logs of later steps too. That command goes to stderr, never stdout: the runner reads
workflow commands from both streams, and stdout is where results (``--json``) go, to be piped
or redirected into files.

URL credentials are masked wherever they appear: ``user:password@`` in any scheme, and any
userinfo of an http(s) URL (``https://TOKEN@host``: a token alone is a credential too).
``git@github.com:org/repo`` (no scheme) names a user, not a secret, and is left alone.
"""

from __future__ import annotations

import os
import re
import sys
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
    re.compile(r"://[^/@\s:]+:[^/@\s]+@"),  # credentials embedded in a URL
    re.compile(r"[hH][tT][tT][pP][sS]?://[^/@\s:]+@"),  # a token as the userinfo of an http(s) URL
)
_USER_PASSWORD_RE = re.compile(r"(://)([^/@\s:]+):([^/@\s]+)@")
_HTTP_USERINFO_RE = re.compile(r"(?i)(\bhttps?://)([^/@\s:]+)@")


def register_secret(value: str | None) -> None:
    """Mask ``value`` from now on (no-op for empty or very short values)."""
    if not value or len(value) < 4 or value in _secrets:
        return
    _secrets.add(value)
    if os.environ.get("GITHUB_ACTIONS") == "true":
        # The runner consumes the command (it is not shown) and masks the value in every later
        # log line. stderr, never stdout: stdout carries results that are piped and redirected.
        for line in value.splitlines():
            if line.strip():
                sys.stderr.write(f"::add-mask::{line}\n")
        sys.stderr.flush()


def registered_secrets() -> frozenset[str]:
    return frozenset(_secrets)


def forget_secrets() -> None:
    """For tests: drop every registered secret."""
    _secrets.clear()


def redact(text: str) -> str:
    """Return ``text`` with every registered secret and URL credential replaced by ``<hidden>``."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    text = _USER_PASSWORD_RE.sub(rf"\1\2:{MASK}@", text)
    return _HTTP_USERINFO_RE.sub(rf"\1{MASK}@", text)


def url_without_credentials(url: str) -> str:
    """``https://user:pw@host/path`` -> ``https://host/path``."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))


def looks_like_secret(value: str) -> bool:
    """True for config values that look like a token, a password-bearing URL or a key."""
    return any(p.search(value) for p in _SECRET_PATTERNS)
