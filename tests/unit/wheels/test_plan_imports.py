"""The wheels plan and runner import no feed backend: the caller passes the one of the kind."""

from __future__ import annotations

import ast
from pathlib import Path
from types import ModuleType

import pytest

import mlrelease.wheels.plan
import mlrelease.wheels.run

BACKENDS = {"mlrelease.wheels.backends", "mlrelease.wheels.directory", "mlrelease.wheels.remote"}


@pytest.mark.parametrize("module", [mlrelease.wheels.plan, mlrelease.wheels.run])
def test_the_plan_and_the_runner_import_no_feed_backend(module: ModuleType) -> None:
    source = Path(str(module.__file__)).read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module)
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert "mlrelease.wheels.feed" in imported  # the protocol, not a backend
    assert imported & BACKENDS == set()
