"""What ``nox -l`` shows for each shared session: one finished sentence, no dangling ';'."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import nox
import pytest

import noxsessions

INDEX = "https://pkgs.example.invalid/acme/_packaging/ml/pypi/simple/"


@pytest.fixture
def registered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "demo"\nversion = "1.0.0"\nrequires-python = ">=3.10"\n'
    )
    (tmp_path / "tests").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "conf.py").write_text("")
    environ = dict(os.environ)  # register may prepend a uv shim and carry pip's index to uv
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
        os.environ.clear()
        os.environ.update(environ)


def test_every_session_has_a_one_line_description_that_ends_cleanly(
    registered: dict[str, str],
) -> None:
    assert {"lint", "tests", "docs", "build", "release", "publish"} <= set(registered)
    for name, description in registered.items():
        assert description, name
        assert not description.endswith((";", ",", ":")), (name, description)
    assert registered["tests"].endswith("build/reports/.")


@pytest.mark.parametrize(
    "pip", [{"PIP_INDEX_URL": INDEX}, {"PIP_NO_INDEX": "1"}], ids=["index", "no-index"]
)
def test_the_sessions_installer_follows_pips_settings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], pip: dict[str, str]
) -> None:
    """pip's index becomes the sessions' uv's; a pip setting uv cannot follow keeps them on pip,
    and nox says why."""
    from mlrelease.session_support import session_uv

    environ = dict(os.environ)
    options = nox.options.default_venv_backend
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "demo"\nversion = "1.0.0"\n')
    session_uv.cache_clear()
    before = nox.registry.get()
    nox.registry.reset()
    try:
        for name in [n for n in os.environ if n.startswith(("PIP_", "UV_"))]:
            del os.environ[name]
        os.environ.update(pip, PIP_CONFIG_FILE=os.devnull, PIP_KEYRING_PROVIDER="disabled")
        noxsessions.register(root=tmp_path)
        if "PIP_NO_INDEX" in pip:
            assert nox.options.default_venv_backend == "virtualenv"
            err = capsys.readouterr().err
            assert "nox: the sessions install with pip, not uv: pip's settings say no-index" in err
            assert "to use uv, give it the index itself: UV_INDEX_URL or a uv.toml" in err
            assert "UV_INDEX_URL" not in os.environ
        else:
            assert nox.options.default_venv_backend == "uv|virtualenv"
            assert os.environ["UV_INDEX_URL"] == INDEX
            assert capsys.readouterr().err == ""
    finally:
        session_uv.cache_clear()
        nox.options.default_venv_backend = options
        nox.registry.reset()
        nox.registry._REGISTRY.update(before)
        os.environ.clear()
        os.environ.update(environ)
