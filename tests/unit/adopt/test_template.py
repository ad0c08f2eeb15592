"""`mlrelease new --template`: a copier template (copier is in the template and dev extras) is
rendered with the answers given, then adopted as `mlrelease init` adopts a repository, recorded
and committed; a question left unanswered without a terminal, or no copier, is a clear error."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from mlrelease.adopt import record as rec
from mlrelease.adopt import template
from mlrelease.cli.main import main

COPIER_YML = """\
project_name:
  type: str
  help: The distribution name
package:
  type: str
  default: "{{ project_name | replace('-', '_') }}"
team:
  type: str
  default: ml-platform
"""
PYPROJECT = """\
[build-system]
requires = ["hatchling>=1.25"]
build-backend = "hatchling.build"

[project]
name = "{{ project_name }}"
version = "0.1.0"
description = "Owned by {{ team }}"
requires-python = ">=3.11"
"""


@pytest.fixture
def org_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for key, value in {
        "GIT_AUTHOR_NAME": "Dev",
        "GIT_AUTHOR_EMAIL": "dev@example.invalid",
        "GIT_COMMITTER_NAME": "Dev",
        "GIT_COMMITTER_EMAIL": "dev@example.invalid",
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
    }.items():
        monkeypatch.setenv(key, value)
    root = tmp_path / "org-template"
    (root / "src" / "{{package}}").mkdir(parents=True)
    (root / "copier.yml").write_text(COPIER_YML)
    (root / "pyproject.toml.jinja").write_text(PYPROJECT)
    (root / "src" / "{{package}}" / "__init__.py.jinja").write_text('"""{{ project_name }}."""\n')
    return root


def test_a_copier_template_is_rendered_adopted_and_committed(
    org_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "fraud"
    argv = ["new", "fraud-score", "--dir", str(target), "--template", str(org_template),
            "--data", "project_name=fraud-score", "--data", "team=risk", "--no-input",
            "--workflows-repo", "platform/mlrelease@v1"]  # fmt: skip
    assert main(argv) == 0
    assert "added .github/workflows/mlrelease.yml" in capsys.readouterr().out
    pyproject = (target / "pyproject.toml").read_text()
    assert 'description = "Owned by risk"' in pyproject  # the template's answers
    assert "\n[tool.mlrelease]\n" in pyproject  # then init's table
    assert (target / "src" / "fraud_score" / "__init__.py").is_file()
    record = rec.load(target)
    assert record is not None
    assert record.answers["template"] == str(org_template)
    log = subprocess.run(
        ["git", "log", "--format=%s"], cwd=target, capture_output=True, text=True, check=True
    ).stdout
    assert log == "feat: fraud-score, made with mlrelease new from a template\n"
    assert main(["check", "-C", str(target)]) == 0
    assert main(["update", "--check", "-C", str(target)]) == 0


def test_an_unanswered_question_without_a_terminal_is_a_clear_error(
    org_template: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "other"
    assert main(["new", "other", "--dir", str(target), "--template", str(org_template)]) == 1
    err = capsys.readouterr().err
    assert 'Question "project_name" is required' in err
    assert "--data KEY=VALUE" in err
    assert not target.exists()  # nothing half-made is left


def test_without_copier_the_error_names_the_extra(
    org_template: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(template, "copier_available", lambda: False)
    target = tmp_path / "x"
    assert main(["new", "x", "--dir", str(target), "--template", str(org_template)]) == 1
    err = capsys.readouterr().err
    assert "mlrelease[template]" in err
    assert not target.exists()
