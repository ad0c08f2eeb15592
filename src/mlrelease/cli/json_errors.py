"""The JSON form of a failure, printed on stdout when a command was run with ``--json``.

A script that parses stdout gets one object whatever happened (the human message still goes to
stderr, and the exit code is the same)::

    {"ok": false, "exit-code": 2,
     "errors": [{"file": "pyproject.toml", "key": "tool.mlrelease.test.coverage-min",
                 "message": "...", "hint": "...", "line": null}]}

A failure that is not about one configuration key has ``file`` and ``key`` null.
"""

from __future__ import annotations

import json
from typing import Any

from mlrelease._util import console
from mlrelease.errors import ConfigError, MlreleaseError


def error_object(exc: Exception) -> dict[str, Any]:
    errors: list[dict[str, Any]]
    if isinstance(exc, ConfigError):
        errors = [
            {
                "file": p.file,
                "key": p.key or None,
                "message": p.message,
                "hint": p.hint,
                "line": p.line,
            }
            for p in exc.problems
        ]
    elif isinstance(exc, MlreleaseError):
        errors = [
            {"file": None, "key": None, "message": exc.message, "hint": exc.hint, "line": None}
        ]
    else:
        errors = [{"file": None, "key": None, "message": str(exc), "hint": "", "line": None}]
    code = exc.exit_code if isinstance(exc, MlreleaseError) else 1
    return {"ok": False, "exit-code": code, "errors": errors}


def print_json_error(exc: Exception) -> None:
    console.out(json.dumps(error_object(exc), indent=2))
