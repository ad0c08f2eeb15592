"""Rolling back an interrupted release puts back only what the release wrote (issue 20, item 2)."""

from __future__ import annotations

import json
from pathlib import Path

from mlrelease.versioning.journal import FileChange, Journal, sha256
from mlrelease.versioning.rollback import restore_files


def _entry(files: dict[str, FileChange]) -> Journal:
    return Journal(
        "0.2.0",
        "v0.2.0",
        "main",
        "refs/heads/main",
        "0" * 40,
        "chore(release): 0.2.0",
        True,
        files=files,
    )


def test_only_files_still_holding_what_the_release_wrote_go_back(tmp_path: Path) -> None:
    stamped, created, edited, untouched = (
        tmp_path / n for n in ("a.toml", "CHANGELOG.md", "b.py", "c.py")
    )
    stamped.write_bytes(b'version = "0.2.0"\r\n')
    created.write_bytes(b"## 0.2.0\n")
    edited.write_bytes(b"mine now\n")
    untouched.write_bytes(b"before\n")
    entry = _entry(
        {
            "a.toml": FileChange(b'version = "0.1.0"\r\n', sha256(b'version = "0.2.0"\r\n')),
            "CHANGELOG.md": FileChange(None, sha256(b"## 0.2.0\n")),
            "b.py": FileChange(b"before\n", sha256(b"released\n")),
            "c.py": FileChange(b"before\n", sha256(b"released\n")),
        }
    )
    assert restore_files(tmp_path, entry) == ["b.py"]
    assert stamped.read_bytes() == b'version = "0.1.0"\r\n'
    assert not created.exists()
    assert edited.read_bytes() == b"mine now\n"
    assert untouched.read_bytes() == b"before\n"


def test_the_journal_round_trips_exact_bytes() -> None:
    entry = _entry({"x": FileChange(b"\x00\xff\r\n", "ab"), "y": FileChange(None, "cd")})
    again = Journal.from_data(json.loads(json.dumps(entry.as_data())))
    assert again == entry
