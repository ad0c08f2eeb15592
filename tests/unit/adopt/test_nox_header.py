"""The noxfile's PEP 723 header asks for the mlrelease of the CLI that wrote it (nox installs what
the header asks for when its own environment lacks it), and check warns when the header's range
excludes the running CLI."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlrelease import __version__
from mlrelease.adopt.noxheader import (
    compatible_range,
    header_findings,
    header_text,
    mlrelease_requirement,
)
from mlrelease.cli.main import main

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "ml-drift"
version = "0.1.0"
"""


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("0.1.0", ">=0.1.0,<0.2"),
        ("0.4.2", ">=0.4.2,<0.5"),
        ("1.4.2", ">=1.4.2,<2"),
        ("0.2.0.dev3", ">=0.2.0.dev3,<0.3"),
    ],
)
def test_the_range_is_the_compatible_one(version: str, expected: str) -> None:
    assert compatible_range(version) == expected


def test_init_writes_the_clis_range_and_check_warns_when_it_excludes_the_cli(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    (root / "src" / "ml_drift").mkdir(parents=True)
    (root / "src" / "ml_drift" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    assert main(["init", str(root), "--workflows-repo", "acme/wf"]) == 0
    noxfile = (root / "noxfile.py").read_text(encoding="utf-8")
    wanted = f'"mlrelease{compatible_range(__version__)}"'
    assert f'# dependencies = ["nox>=2025.10", {wanted}]' in noxfile
    monkeypatch.chdir(root)
    capsys.readouterr()
    main(["check"])
    out = capsys.readouterr().out
    assert "ok: noxfile.py: the PEP 723 header's mlrelease" in out
    assert "warning: noxfile.py" not in out

    (root / "noxfile.py").write_text(noxfile.replace(wanted, '"mlrelease>=99"'), encoding="utf-8")
    main(["check"])
    out = capsys.readouterr().out
    assert (
        f"warning: noxfile.py:1: the PEP 723 header asks for mlrelease>=99, which excludes "
        f"this mlrelease {__version__}"
    ) in out
    assert f"write {wanted} in its dependencies" in out


def test_an_existing_noxfile_gets_the_pinned_header(tmp_path: Path) -> None:
    from mlrelease.adopt.init import _add_registration

    new = _add_registration("import nox\n\n\n@nox.session\ndef x(session):\n    pass\n")
    assert new is not None
    assert new.startswith('# /// script\n# dependencies = ["nox>=2025.10", "mlrelease>=')
    (tmp_path / "noxfile.py").write_text(new, encoding="utf-8")
    assert [level for level, _, _ in header_findings(tmp_path)] == ["ok"]


def test_no_header_or_an_unpinned_one_says_nothing(tmp_path: Path) -> None:
    (tmp_path / "noxfile.py").write_text("import noxsessions\n", encoding="utf-8")
    assert header_findings(tmp_path) == []
    (tmp_path / "noxfile.py").write_text(
        '# /// script\n# dependencies = ["nox", "mlrelease"]\n# ///\n', encoding="utf-8"
    )
    assert header_findings(tmp_path) == []


def test_nox_makes_the_script_environment_with_pip_which_reads_pips_index(tmp_path: Path) -> None:
    """nox's default script backend is uv when one is on PATH (``pip install mlrelease`` puts one
    there), and uv reads only its own settings: the header asks nox for virtualenv + pip, so the
    header's mlrelease comes from the index in pip.conf / PIP_INDEX_URL."""
    from nox.project import load_toml

    noxfile = tmp_path / "noxfile.py"
    noxfile.write_text(header_text() + "import noxsessions\n", encoding="utf-8")
    script = load_toml(str(noxfile))
    assert script["tool"]["nox"]["script-venv-backend"] == "virtualenv"
    assert script["dependencies"][1] == mlrelease_requirement()
