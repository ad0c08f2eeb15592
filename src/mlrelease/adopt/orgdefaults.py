"""An organisation's defaults for adopting mlrelease: one TOML file a platform team hands out.

``$MLRELEASE_DEFAULTS`` names the file; without it, ``$XDG_CONFIG_HOME/mlrelease/defaults.toml``
(``~/.config`` by default). Its top-level keys are defaults of the adoption commands,
e.g. ``workflows-repo = "my-org/mlrelease@v1"``: the repository that hosts the reusable workflows.
A missing file is no defaults; an unreadable or invalid one is an error naming the file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlrelease.errors import ConfigError, Problem

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

DEFAULTS_ENV = "MLRELEASE_DEFAULTS"


def org_defaults_path() -> Path:
    """Where the organisation's defaults are read from (the file need not exist)."""
    named = os.environ.get(DEFAULTS_ENV, "").strip()
    if named:
        return Path(named).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "mlrelease" / "defaults.toml"


def load_org_defaults() -> dict[str, object]:
    """The top-level keys of the defaults file; ``{}`` when there is none."""
    path = org_defaults_path()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if os.environ.get(DEFAULTS_ENV, "").strip():  # named on purpose: a typo is not "none"
            raise ConfigError(
                [
                    Problem(
                        str(path),
                        "",
                        "does not exist",
                        f"unset {DEFAULTS_ENV} or point it at a file",
                    )
                ]
            ) from None
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(
            [
                Problem(
                    str(path), "", f"cannot be read: {exc}", f"fix the file or unset {DEFAULTS_ENV}"
                )
            ]
        ) from None
    try:
        return dict(tomllib.loads(text))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "",
                    f"is not valid TOML: {exc}",
                    f"fix the file or unset {DEFAULTS_ENV}",
                )
            ]
        ) from None
