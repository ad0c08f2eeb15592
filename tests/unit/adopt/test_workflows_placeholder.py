"""The workflows repository: from --workflows-repo, $MLRELEASE_WORKFLOWS_REPO or the organisation's
defaults file; without any, init writes a placeholder and says so, and check and doctor fail,
naming the file and line, until the caller names a real repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlrelease.adopt.orgdefaults import load_org_defaults
from mlrelease.cli.main import main

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "ml-drift"
version = "0.1.0"
requires-python = ">=3.10"
"""


def _project(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "src" / "ml_drift").mkdir(parents=True)
    (root / "src" / "ml_drift" / "__init__.py").write_text("", encoding="utf-8")
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    return root


def _caller(root: Path) -> str:
    return (root / ".github" / "workflows" / "mlrelease.yml").read_text(encoding="utf-8")


def test_the_organisation_defaults_file_names_the_workflows_repository(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    defaults = tmp_path / "defaults.toml"
    defaults.write_text('workflows-repo = "platform/ml-workflows@v3"\n', encoding="utf-8")
    monkeypatch.setenv("MLRELEASE_DEFAULTS", str(defaults))
    assert load_org_defaults() == {"workflows-repo": "platform/ml-workflows@v3"}
    root = _project(tmp_path)
    assert main(["init", str(root)]) == 0
    assert "uses: platform/ml-workflows/.github/workflows/release.yml@v3" in _caller(root)
    assert "placeholder" not in capsys.readouterr().err
    # The variable and the option still come first.
    monkeypatch.setenv("MLRELEASE_WORKFLOWS_REPO", "mirror/mlrelease@v2")
    assert main(["init", str(root), "--force", "--workflows-repo", "opt/wf"]) == 0
    assert "uses: opt/wf/.github/workflows/python-ci.yml@v1" in _caller(root)
    assert main(["init", str(root), "--force"]) == 0
    assert "uses: mirror/mlrelease/.github/workflows/python-ci.yml@v2" in _caller(root)


def test_the_default_home_location_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLRELEASE_DEFAULTS")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert load_org_defaults() == {}
    config = tmp_path / ".config" / "mlrelease"
    config.mkdir(parents=True)
    (config / "defaults.toml").write_text('workflows-repo = "acme/wf"\n', encoding="utf-8")
    assert load_org_defaults() == {"workflows-repo": "acme/wf"}


def test_a_broken_defaults_file_is_an_error_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    defaults = tmp_path / "defaults.toml"
    defaults.write_text("workflows-repo = \n", encoding="utf-8")
    monkeypatch.setenv("MLRELEASE_DEFAULTS", str(defaults))
    root = _project(tmp_path)
    assert main(["init", str(root)]) == 2
    err = capsys.readouterr().err
    assert f"{defaults}: is not valid TOML" in err
    assert "Traceback" not in err
    defaults.write_text('workflows-repo = "no repo"\n', encoding="utf-8")
    assert main(["init", str(root)]) == 2
    assert "workflows-repo: 'no repo' is not OWNER/REPO" in capsys.readouterr().err


def test_init_warns_about_the_placeholder_and_check_and_doctor_fail_on_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    root = _project(tmp_path)
    assert main(["init", str(root), "--dry-run"]) == 0
    dry = capsys.readouterr()
    assert "warning: .github/workflows/mlrelease.yml: no workflows repository is known" in dry.err
    assert 'set workflows-repo = "OWNER/REPO@REF"' in dry.err
    assert main(["init", str(root)]) == 0
    assert "placeholder contoso/mlrelease@v1" in capsys.readouterr().err
    caller = _caller(root)
    line = caller.splitlines().index(
        "    uses: contoso/mlrelease/.github/workflows/python-ci.yml@v1"
    )

    monkeypatch.chdir(root)
    assert main(["check"]) == 1
    out = capsys.readouterr().out
    assert (
        f"error: .github/workflows/mlrelease.yml:{line + 1}: uses the placeholder workflows "
        "repository contoso/mlrelease"
    ) in out
    assert "MLRELEASE_WORKFLOWS_REPO" in out
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    assert f"error: .github/workflows/mlrelease.yml:{line + 1}: uses the placeholder" in out

    # Fixed by hand (or by init --force with the setting): check passes that point again.
    path = root / ".github" / "workflows" / "mlrelease.yml"
    path.write_text(caller.replace("contoso/mlrelease/", "acme/mlrelease/"), encoding="utf-8")
    main(["check"])
    assert "placeholder" not in capsys.readouterr().out
    main(["doctor"])
    assert "placeholder" not in capsys.readouterr().out


def test_no_warning_when_the_caller_is_left_as_it_is(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _project(tmp_path)
    assert main(["init", str(root), "--workflows-repo", "acme/wf@v1"]) == 0
    (root / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    capsys.readouterr()
    assert main(["init", str(root)]) == 0  # the caller exists: left as it is
    assert "placeholder" not in capsys.readouterr().err


def test_only_a_callers_reusable_workflow_is_the_placeholder(tmp_path: Path) -> None:
    """The setup action steps of mlrelease's own reusable workflows are not a caller's."""
    from mlrelease.adopt.placeholder import placeholder_uses

    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "own.yml").write_text(
        "jobs:\n  a:\n    steps:\n      - uses: contoso/mlrelease/.github/actions/setup@v1\n"
        "  b:\n    uses: 'contoso/mlrelease/.github/workflows/release.yml@v1'\n",
        encoding="utf-8",
    )
    assert placeholder_uses(tmp_path) == [(".github/workflows/own.yml", 6)]
