"""pip's index settings, carried over to uv for the sessions.

The sessions install with uv when one runs: it makes environments several times faster than
virtualenv and pip. But uv reads its own settings (``UV_*``, ``uv.toml``), not pip's: a developer
whose organisation's index is in ``pip.conf`` or ``PIP_INDEX_URL`` would see uv look on PyPI and
not find the organisation's packages. So before uv installs anything, the index settings pip would
use become uv's environment (:func:`carry_over`), read the way pip reads them:

- files, later ones winning: the global ``pip.conf`` files (``$XDG_CONFIG_DIRS/pip/pip.conf``,
  ``/etc/pip.conf``), the user's (``~/.pip/pip.conf``, ``$XDG_CONFIG_HOME/pip/pip.conf``), the
  environment's (``sys.prefix/pip.conf``), then ``PIP_CONFIG_FILE`` (which, when it exists, replaces
  the user's files; ``os.devnull`` turns every file off); any file's ``[install]`` over every
  ``[global]``;
- then the ``PIP_*`` variables over every file.

uv's own settings win: when a ``UV_*`` index variable or a ``uv.toml`` (or ``[tool.uv]``) names an
index, nothing is carried over. When pip's settings ask for something uv's environment cannot say
as pip means it (``no-index``; credentials pip would get from ``keyring`` for an index URL without a
user name), :attr:`Carry.blocked` says why and the sessions install with pip, as before.

Nothing here writes output, and no URL is ever put in a message: URLs can hold credentials.
"""

from __future__ import annotations

import configparser
import os
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["Carry", "carry_over", "pip_settings"]

# The pip settings that decide where packages come from (pip's option names).
KEYS = (
    "index-url",
    "extra-index-url",
    "find-links",
    "trusted-host",
    "no-index",
    "keyring-provider",
    "cert",
    "client-cert",
)
# uv variables that name an index: when one is set, uv is configured and pip's settings stay pip's.
UV_INDEX_VARS = (
    "UV_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "UV_EXTRA_INDEX_URL",
    "UV_FIND_LINKS",
    "UV_CONFIG_FILE",
)
# uv.toml keys (top level, or under [pip]) that name an index.
UV_TOML_KEYS = frozenset(
    {"index", "index-url", "default-index", "extra-index-url", "find-links", "no-index"}
)
_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})


@dataclass(frozen=True)
class Carry:
    """What the sessions' uv needs to install from where pip would."""

    env: dict[str, str] = field(default_factory=dict)  # variables to set (values may hold secrets)
    carried: tuple[str, ...] = ()  # pip setting names carried over (never their values)
    blocked: str = ""  # why uv cannot install as pip would: use pip ("" = uv is fine)
    uv_configured: str = ""  # where uv's own index setting is ("" = none)


def _split(value: str) -> list[str]:
    return value.split()


def _config_files(environ: Mapping[str, str], prefix: Path, etc: Path) -> list[Path]:
    """pip's configuration files in the order pip lets later ones win."""
    env_file = environ.get("PIP_CONFIG_FILE")
    if env_file == os.devnull:
        return []
    home = Path(environ.get("HOME") or Path.home())
    dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
    files = [Path(d) / "pip" / "pip.conf" for d in dirs.split(os.pathsep) if d]
    files.append(etc / "pip.conf")
    if not (env_file and Path(env_file).exists()):
        files.append(home / ".pip" / "pip.conf")
        files.append(Path(environ.get("XDG_CONFIG_HOME") or home / ".config") / "pip" / "pip.conf")
    files.append(prefix / "pip.conf")
    if env_file:
        files.append(Path(env_file))
    return files


def pip_settings(
    environ: Mapping[str, str], *, prefix: Path, etc: Path = Path("/etc")
) -> dict[str, str]:
    """The index settings ``pip install`` would use: :data:`KEYS` -> value (missing: unset)."""
    found: dict[str, str] = {}
    parsers = []
    for path in _config_files(environ, prefix, etc):
        parser = configparser.RawConfigParser()
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, OSError, UnicodeDecodeError):
            continue  # pip would stop on it; uv is not the place to report a broken pip.conf
        parsers.append(parser)
    # As pip orders them: every file's [global], then every file's [install], later files winning.
    for section in ("global", "install"):
        for parser in parsers:
            if parser.has_section(section):
                for key in KEYS:
                    for spelling in (key, key.replace("-", "_")):
                        if parser.has_option(section, spelling):
                            found[key] = parser.get(section, spelling).strip()
    for key in KEYS:
        value = environ.get("PIP_" + key.upper().replace("-", "_"))
        if value is not None:
            found[key] = value.strip()
    return found


def _uv_toml_names_an_index(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    if path.name == "pyproject.toml":
        tool = data.get("tool")
        data = tool.get("uv", {}) if isinstance(tool, dict) else {}
        if not isinstance(data, dict):
            return False
    pip = data.get("pip")
    tables = [data, pip] if isinstance(pip, dict) else [data]
    return any(UV_TOML_KEYS & set(table) for table in tables)


def _uv_index_source(environ: Mapping[str, str], cwd: Path, etc: Path) -> str:
    """Where uv's own index setting is, or ""."""
    for name in UV_INDEX_VARS:
        if environ.get(name):
            return name
    candidates = [cwd / "uv.toml", cwd / "pyproject.toml"]
    if not environ.get("UV_NO_CONFIG"):
        home = Path(environ.get("HOME") or Path.home())
        config_home = Path(environ.get("XDG_CONFIG_HOME") or home / ".config")
        dirs = environ.get("XDG_CONFIG_DIRS") or "/etc/xdg"
        candidates.append(config_home / "uv" / "uv.toml")
        candidates += [Path(d) / "uv" / "uv.toml" for d in dirs.split(os.pathsep) if d]
        candidates.append(etc / "uv" / "uv.toml")
    for path in candidates:
        if path.is_file() and _uv_toml_names_an_index(path):
            return str(path)
    return ""


# Public indexes need no credentials: pip never asks keyring for them.
PUBLIC_HOSTS = frozenset({"pypi.org", "files.pythonhosted.org", "test.pypi.org"})


def _may_need_keyring(url: str) -> bool:
    """An http(s) index without a user name on a host that may ask for credentials."""
    try:
        parts = urlsplit(url)
        return (
            parts.scheme in ("http", "https")
            and not parts.username
            and (parts.hostname or "") not in PUBLIC_HOSTS
        )
    except ValueError:
        return False


def _keyring_reachable(environ: Mapping[str, str]) -> bool:
    """pip's ``keyring-provider = auto`` finds keyring: importable here, or ``keyring`` on PATH."""
    import importlib.util

    if importlib.util.find_spec("keyring") is not None:
        return True
    return shutil.which("keyring", path=environ.get("PATH")) is not None


def carry_over(
    environ: Mapping[str, str] | None = None,
    *,
    cwd: Path | None = None,
    prefix: Path | None = None,
    keyring_reachable: bool | None = None,
    etc: Path = Path("/etc"),
) -> Carry:
    """The uv environment that installs from where pip's settings say (see the module's text)."""
    environ = os.environ if environ is None else environ
    cwd = Path.cwd() if cwd is None else cwd
    prefix = Path(sys.prefix) if prefix is None else prefix
    configured = _uv_index_source(environ, cwd, etc)
    if configured:
        return Carry(uv_configured=configured)
    pip = pip_settings(environ, prefix=prefix, etc=etc)
    if pip.get("no-index", "").lower() in _TRUE:
        return Carry(blocked="pip's settings say no-index, which uv's environment cannot say")
    indexes = [*_split(pip.get("index-url", "")), *_split(pip.get("extra-index-url", ""))]
    keyring, blocked = _keyring(pip, indexes, environ, keyring_reachable)
    if blocked:
        return Carry(blocked=blocked)
    env, carried, blocked = _locations(pip, environ)
    if blocked:
        return Carry(blocked=blocked)
    for key, variable in (("cert", "SSL_CERT_FILE"), ("client-cert", "SSL_CLIENT_CERT")):
        if pip.get(key) and not environ.get(variable):
            env[variable] = pip[key]
            carried.append(key)
    if keyring and not environ.get("UV_KEYRING_PROVIDER"):
        env["UV_KEYRING_PROVIDER"] = keyring
        carried.append("keyring-provider")
    return Carry(env=env, carried=tuple(carried))


def _keyring(
    pip: Mapping[str, str],
    indexes: list[str],
    environ: Mapping[str, str],
    reachable: bool | None,
) -> tuple[str, str]:
    """(uv's keyring provider or "", why uv cannot get the credentials pip would or "")."""
    provider = pip.get("keyring-provider", "auto").lower()
    if provider == "import":
        return "", "pip's settings say keyring-provider = import, which uv cannot do"
    if provider == "subprocess":
        return "subprocess", ""
    if provider != "auto" or not any(_may_need_keyring(u) for u in indexes):
        return "", ""
    if _keyring_reachable(environ) if reachable is None else reachable:
        return "", (
            "pip would ask keyring for the index credentials, and uv asks keyring only for an "
            "index URL with a user name"
        )
    return "", ""


def _locations(
    pip: Mapping[str, str], environ: Mapping[str, str]
) -> tuple[dict[str, str], list[str], str]:
    """(uv variables, pip settings carried, why not) for the indexes, find-links, trusted hosts."""
    env: dict[str, str] = {}
    carried: list[str] = []
    if pip.get("index-url"):
        env["UV_INDEX_URL"] = pip["index-url"]
        carried.append("index-url")
    if pip.get("extra-index-url"):
        env["UV_EXTRA_INDEX_URL"] = " ".join(_split(pip["extra-index-url"]))
        # pip takes the best version from every index; uv's default stops at the first one.
        if not environ.get("UV_INDEX_STRATEGY"):
            env["UV_INDEX_STRATEGY"] = "unsafe-best-match"
        carried.append("extra-index-url")
    if pip.get("find-links"):
        links = _split(pip["find-links"])
        if any("," in link for link in links):
            return {}, [], "a pip find-links location holds a comma, which UV_FIND_LINKS splits on"
        env["UV_FIND_LINKS"] = ",".join(links)
        carried.append("find-links")
    if pip.get("trusted-host") and not environ.get("UV_INSECURE_HOST"):
        env["UV_INSECURE_HOST"] = " ".join(_split(pip["trusted-host"]))
        carried.append("trusted-host")
    return env, carried, ""
