"""`mlrelease new`: answers from flags, the organisation's defaults file, a prompt on a terminal;
a committed repository that `mlrelease check` and `mlrelease update --check` accept at once; a clear
error (exit 2) for every bad answer. The full pipeline on it: tests/integration/test_new.py."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from mlrelease.adopt import record as rec
from mlrelease.adopt.new import resolve_answers
from mlrelease.cli.main import main


@pytest.fixture(autouse=True)
def _identity(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key, value in {
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.invalid",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.invalid",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),  # no defaults file of the machine's user
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("MLRELEASE_DEFAULTS", raising=False)
    monkeypatch.delenv("MLRELEASE_WORKFLOWS_REPO", raising=False)


def git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True
    ).stdout


def test_new_with_flags_only_is_committed_and_passes_check(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "churn"
    code = main(
        ["new", "churn-model", "--dir", str(root), "--description", 'Churn "risk" scores',
         "--python", ">=3.11", "--license", "Apache-2.0", "--registry", "contosoml.azurecr.io",
         "--feed", "https://pypi.example.com/upload/", "--workflows-repo", "my-org/mlrelease@v2"]
    )  # fmt: skip
    assert code == 0
    assert "next: cd" in capsys.readouterr().out
    assert git(root, "branch", "--show-current").strip() == "main"
    assert git(root, "log", "--format=%s").splitlines() == [
        "feat: churn-model, made with mlrelease new"
    ]
    assert git(root, "status", "--porcelain") == ""
    data = tomllib.loads((root / "pyproject.toml").read_text())
    assert data["project"]["description"] == 'Churn "risk" scores'
    assert data["project"]["requires-python"] == ">=3.11"
    assert data["project"]["license"] == "Apache-2.0"
    ml = data["tool"]["mlrelease"]
    assert ml["python"][0] == "3.11"
    assert ml["test"]["coverage-min"] == 90
    assert ml["publish"]["feed"] == {"upload-url": "https://pypi.example.com/upload/"}
    assert ml["publish"]["images"] == [{"name": "churn-model", "registry": "contosoml.azurecr.io"}]
    for path in ("src/churn_model/__init__.py", "tests/test_core.py", "docs/conf.py", "noxfile.py"):
        assert (root / path).is_file(), path
    ignored = (root / ".gitignore").read_text()
    assert ignored.startswith("__pycache__/\n")
    assert ".nox/" in ignored  # and what init adds
    assert (
        "my-org/mlrelease/.github/workflows/python-ci.yml@v2"
        in (root / ".github/workflows/mlrelease.yml").read_text()
    )
    record = rec.load(root)
    assert record is not None
    assert record.answers["name"] == "churn-model"
    assert record.answers["workflows-repo"] == "my-org/mlrelease@v2"
    assert main(["check", "-C", str(root)]) == 0
    assert main(["update", "--check", "-C", str(root)]) == 0


def test_answers_come_from_the_defaults_file_then_the_prompt(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    defaults = tmp_path / "org.toml"
    defaults.write_text('[new]\nlicense = "BSD-3-Clause"\nworkflows-repo = "acme/ml-ci@v4"\n')
    monkeypatch.setenv("MLRELEASE_DEFAULTS", str(defaults))
    asked: list[str] = []

    def ask(key: str, default: str) -> str:
        asked.append(key)
        return "Fraud scores" if key == "description" else ""

    a = resolve_answers("fraud", {"python": ">=3.12"}, ask=ask)
    assert (a.license, a.workflows_repo, a.python) == ("BSD-3-Clause", "acme/ml-ci@v4", ">=3.12")
    assert a.description == "Fraud scores"
    assert asked == ["description"]  # flags and the file answer the rest: no question
    b = resolve_answers("fraud", {}, ask=None)  # no terminal: never asks
    assert b.description == "fraud: an ML package"
    assert b.python == ">=3.10"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["new", "1model"], "'1model' is not a valid package name"),
        (["new", "my model"], "'my model' is not a valid package name"),
        (["new", "-x-"], None),  # argparse: an option, exit 2 too
        (["new", "class"], "'class' is not a valid package name"),
        (["new", "ok", "--python", "3.11"], "is not a Python range"),
        (["new", "ok", "--python", ">=3.11,<"], "is not a Python range"),
        (["new", "ok", "--python", ">=3.99"], "is not a Python range"),
        (["new", "ok", "--description", "two\nlines"], "--description: must be one line"),
        (["new", "ok", "--license", "MIT or whatever"], "is not an SPDX license expression"),
        (["new", "ok", "--feed", "pypi.example.com"], "is not an upload URL"),
        (["new", "ok", "--registry", "https://x.io/ml"], "is not a registry host"),
        (["new", "ok", "--feed", "https://x.example/simple/"], "not an upload URL"),
        (["new", "ok", "--workflows-repo", "not a repo"], "is not OWNER/REPO"),
    ],
)
def test_bad_answers_are_clear_errors_with_exit_2(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str | None,
) -> None:
    with pytest.raises(SystemExit) if message is None else contextlib.nullcontext():
        code = main([*args, "--dir", str(tmp_path / "out")])
        assert code == 2
    err = capsys.readouterr().err
    if message:
        assert message in err
    assert "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_an_existing_non_empty_directory_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "taken"
    target.mkdir()
    (target / "notes.txt").write_text("mine\n")
    assert main(["new", "taken", "--dir", str(target)]) == 2
    err = capsys.readouterr().err
    assert f"{target} exists and is not empty" in err
    assert "mlrelease init" in err
    assert sorted(p.name for p in target.iterdir()) == ["notes.txt"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["new", "empty", "--dir", str(empty)]) == 0  # an empty directory is fine


def test_a_bad_defaults_file_names_the_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    defaults = tmp_path / "org.toml"
    defaults.write_text('[new]\nlicence = "MIT"\n')
    monkeypatch.setenv("MLRELEASE_DEFAULTS", str(defaults))
    assert main(["new", "ok", "--dir", str(tmp_path / "ok")]) == 2
    err = capsys.readouterr().err
    assert f"{defaults}: new.licence: is not a question of mlrelease new" in err
    defaults.write_text("[new]\nimage = 'yes'\n")
    assert main(["new", "ok", "--dir", str(tmp_path / "ok")]) == 2
    assert "new.image: must be true/false" in capsys.readouterr().err
