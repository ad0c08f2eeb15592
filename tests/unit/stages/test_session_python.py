"""The lint and docs sessions install the project: they run on nox's own Python only when
``requires-python`` allows it, else on the test matrix's newest Python (issue 18)."""

from __future__ import annotations

from pathlib import Path

from mlrelease.project import available_pythons, load_project
from mlrelease.stages.plan import egg_info_dirs, session_python


def project(tmp_path: Path, requires: str | None) -> Path:
    line = f'requires-python = "{requires}"\n' if requires else ""
    (tmp_path / "pyproject.toml").write_text(
        f'[project]\nname = "tiny"\nversion = "1.0.0"\n{line}', encoding="utf-8"
    )
    return tmp_path


def test_nox_python_within_requires_python_is_kept(tmp_path: Path) -> None:
    assert session_python(load_project(project(tmp_path, ">=3.10")), "3.12.4") is None
    assert session_python(load_project(project(tmp_path, None)), "3.14.0") is None


def test_nox_python_outside_requires_python_gives_the_matrix_python(tmp_path: Path) -> None:
    # the only Python in range: chosen whether or not it is installed here (nox says so if not)
    assert session_python(load_project(project(tmp_path, ">=3.11,<3.12")), "3.12.4") == "3.11"


def test_configured_matrix_gives_its_newest(tmp_path: Path) -> None:
    root = project(tmp_path, ">=3.10,<3.12")
    with (root / "pyproject.toml").open("a", encoding="utf-8") as f:
        f.write('\n[tool.mlrelease]\npython = ["3.10", "3.11"]\n')
    installed = available_pythons(("3.10", "3.11"))
    expected = (installed or ["3.10", "3.11"])[-1]  # the newest installed, else configured
    assert session_python(load_project(root), "3.13.1") == expected


def test_egg_info_dirs_at_the_root_and_in_src(tmp_path: Path) -> None:
    (tmp_path / "tiny.egg-info").mkdir()
    (tmp_path / "src" / "tiny.egg-info").mkdir(parents=True)
    (tmp_path / "src" / "tiny").mkdir()
    assert egg_info_dirs(tmp_path) == {
        tmp_path / "tiny.egg-info",
        tmp_path / "src" / "tiny.egg-info",
    }
