"""The wheels plan imports no feed backend: the caller passes the one of the target's kind."""

from __future__ import annotations

import ast
from pathlib import Path

import mlrelease.wheels.plan

BACKENDS = {"mlrelease.wheels.backends", "mlrelease.wheels.directory", "mlrelease.wheels.remote"}


def test_the_plan_imports_no_feed_backend() -> None:
    source = Path(mlrelease.wheels.plan.__file__).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert "mlrelease.wheels.feed" in imported  # the protocol, not a backend
    assert imported & BACKENDS == set()
