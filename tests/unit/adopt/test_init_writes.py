"""`mlrelease init` never writes outside the repository, keeps line endings, keeps a copy of what
--force replaces, and writes atomically (issue 20, item 3)."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlrelease._util import atomic_write
from mlrelease.adopt.writes import encoded
from mlrelease.cli.main import main

PYPROJECT = (
    '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
    '[project]\nname = "demo"\nversion = "0.1.0"\nrequires-python = ">=3.11"\n'
)


def _project(root: Path, pyproject: bytes = PYPROJECT.encode()) -> Path:
    root.mkdir(exist_ok=True)
    (root / "pyproject.toml").write_bytes(pyproject)
    return root


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


def test_a_symlinked_pyproject_outside_the_repository_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    outside = _project(tmp_path / "elsewhere")
    before = (outside / "pyproject.toml").read_bytes()
    root = tmp_path / "repo"
    root.mkdir()
    (root / "pyproject.toml").symlink_to(outside / "pyproject.toml")
    assert main(["init", str(root)]) != 0
    err = capsys.readouterr().err
    assert "pyproject.toml leads outside the repository" in err
    assert "Traceback" not in err
    assert (outside / "pyproject.toml").read_bytes() == before
    assert sorted(p.name for p in root.iterdir()) == ["pyproject.toml"]  # nothing written


def test_a_symlinked_directory_leading_out_is_refused_before_any_write(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "repo")
    shared = tmp_path / "shared-github"
    shared.mkdir()
    (root / ".github").symlink_to(shared, target_is_directory=True)
    assert main(["init", str(root)]) != 0
    err = capsys.readouterr().err
    assert ".github/" in err
    assert "leads outside the repository" in err
    assert list(shared.iterdir()) == []
    assert (root / "pyproject.toml").read_bytes() == PYPROJECT.encode()
    assert not (root / "noxfile.py").exists()


def test_a_symlink_inside_the_repository_is_written_through(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo")
    (root / "config").mkdir()
    (root / "pyproject.toml").rename(root / "config" / "pyproject.toml")
    (root / "pyproject.toml").symlink_to(Path("config") / "pyproject.toml")
    assert main(["init", str(root)]) == 0
    assert (root / "pyproject.toml").is_symlink()
    assert "[tool.mlrelease]" in (root / "config" / "pyproject.toml").read_text(encoding="utf-8")


def test_a_crlf_pyproject_stays_crlf_including_the_added_table(tmp_path: Path) -> None:
    crlf = PYPROJECT.replace("\n", "\r\n").encode()
    root = _project(tmp_path / "repo", crlf)
    (root / ".gitignore").write_bytes(b"*.pyc\r\n.venv/")  # CRLF, no final newline
    assert main(["init", str(root)]) == 0
    data = (root / "pyproject.toml").read_bytes()
    assert data.startswith(crlf)
    assert b"[tool.mlrelease]\r\n" in data
    assert data.count(b"\n") == data.count(b"\r\n")
    ignore = (root / ".gitignore").read_bytes()
    assert ignore.startswith(b"*.pyc\r\n.venv/\r\n")
    assert ignore.count(b"\n") == ignore.count(b"\r\n")
    assert b"dist/\r\n" in ignore


def test_force_keeps_a_copy_of_every_file_it_replaces(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "repo")
    mine = {
        "noxfile.py": b"# my own sessions, never committed\nimport nox\n",
        "Dockerfile": b"FROM scratch\r\n# mine\r\n",
        ".github/workflows/mlrelease.yml": b"name: mine\n",
    }
    for rel, data in mine.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
    assert main(["init", str(root), "--force", "--dockerfile"]) == 0
    out = capsys.readouterr().out
    backups = sorted((root / ".mlrelease" / "backup").iterdir())
    assert len(backups) == 1
    for rel, data in mine.items():
        assert (root / rel).read_bytes() != data, rel
        assert (backups[0] / rel).read_bytes() == data, rel
        assert f"backed up {rel} to .mlrelease/backup/{backups[0].name}/{rel}" in out
    assert ".mlrelease/" in (root / ".gitignore").read_text(encoding="utf-8")


def test_a_second_init_changes_nothing_and_backs_up_nothing(tmp_path: Path) -> None:
    root = _project(tmp_path / "repo")
    assert main(["init", str(root)]) == 0
    tree = _tree(root)
    assert main(["init", str(root)]) == 0
    assert _tree(root) == tree


def test_a_failed_write_leaves_the_file_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path / "repo")

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic_write.os, "fsync", full_disk)
    assert main(["init", str(root)]) != 0
    err = capsys.readouterr().err
    assert "No space left on device" in err
    assert "Traceback" not in err
    assert (root / "pyproject.toml").read_bytes() == PYPROJECT.encode()
    assert [p.name for p in root.iterdir() if p.name.endswith(".partial")] == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, "a\n", b"a\n"),
        (b"a\r\nb\r\n", "a\nb\nc\n", b"a\r\nb\r\nc\r\n"),
        (b"a\nb", "a\nb\n\nc\n", b"a\nb\n\nc\n"),  # appended after a missing final newline
        (b"a\r\nb", "a\nb\nc\n", b"a\r\nb\r\nc\r\n"),
        (b"x\r\ny\r\n", "z\n", b"z\r\n"),  # replaced, not appended: still CRLF
        (b"a\nb\r\nc\n", "a\nb\nc\nd\n", b"a\nb\r\nc\nd\n"),  # mixed: kept byte for byte
    ],
)
def test_encoded_keeps_the_line_endings(old: bytes | None, new: str, expected: bytes) -> None:
    assert encoded(old, new) == expected


def test_atomic_write_keeps_the_mode(tmp_path: Path) -> None:
    script = tmp_path / "run.sh"
    script.write_bytes(b"#!/bin/sh\n")
    script.chmod(0o750)
    atomic_write.write_atomic(script, b"#!/bin/sh\necho hi\n")
    assert script.read_bytes() == b"#!/bin/sh\necho hi\n"
    assert script.stat().st_mode & 0o777 == 0o750
