"""What ``nox -l`` shows for each shared session: one finished sentence, no dangling ';'."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nox
import pytest

import noxsessions


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0.0"\nrequires-python = ">=3.10"\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("")
    monkeypatch.setenv("PATH", os.environ.get("PATH", ""))  # register may prepend a uv shim
    before = nox.registry.get()
    nox.registry.reset()
    try:
        noxsessions.register(root=tmp_path)
        # nox -l prints the first line of the docstring (nox.sessions.SessionRunner.description)
        yield {
            name: (func.__doc__ or "").strip().split("\n")[0]
            for name, func in nox.registry.get().items()
        }
    finally:
        nox.registry.reset()
        nox.registry._REGISTRY.update(before)


def test_every_session_has_a_one_line_description_that_ends_cleanly(
    registered: dict[str, str],
) -> None:
    assert {"lint", "tests", "docs", "build", "release", "publish"} <= set(registered)
    for name, description in registered.items():
        assert description, name
        assert not description.endswith((";", ",", ":")), (name, description)
    assert registered["tests"].endswith("build/reports/.")
