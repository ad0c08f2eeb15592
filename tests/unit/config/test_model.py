"""Valid configurations: defaults a new user wants, explicit values kept, provenance recorded."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from mlrelease.config.model import DEFAULT_TOOLS, Config, load_config, parse_config
from mlrelease.errors import ConfigError
from mlrelease.preview import default_keys


def test_missing_table_is_valid_and_all_defaults() -> None:
    cfg = parse_config(None)
    assert cfg == Config()
    assert cfg.test.coverage_min == 80
    assert cfg.lint.ruff
    assert cfg.lint.format
    assert cfg.lint.fail_on == "all"
    assert cfg.docs.warnings_as_errors is True
    assert cfg.version.tag_format == "v{version}"
    assert cfg.version.major_on_zero is False
    assert cfg.publish.feed is None  # the embedded directory feed
    assert cfg.publish.images == ()
    assert cfg.tools.requirement("ruff") == f"ruff=={DEFAULT_TOOLS['ruff']}"


def test_config_objects_are_frozen() -> None:
    cfg = parse_config({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.test.coverage_min = 10  # type: ignore[misc]


def test_full_configuration_round_trips() -> None:
    cfg = parse_config(
        {
            "python": ["3.10", "3.11", "3.12"],
            "source": "src/drift",
            "lint": {"mypy": "strict", "fail-on": "new", "paths": ["scripts"]},
            "test": {
                "coverage-min": 85.5,
                "exclude-markers": ["gpu", "slow"],
                "workers": "auto",
                "extras": ["test"],
                "pytest-args": ["--strict-markers"],
            },
            "docs": {"source": "docs/source", "define": {"language": "en"}, "linkcheck": True},
            "tools": {"ruff": ">=0.17,<0.18", "mypy": "2.4.1"},
            "version": {"prerelease-branches": {"rc/*": "rc"}, "major-on-zero": True},
            "publish": {
                "feed": {
                    "azure-artifacts": {
                        "organization": "contoso",
                        "project": "ml",
                        "feed": "models",
                    }
                },
                "images": [
                    {
                        "registry": "contosoml.azurecr.io",
                        "name": "drift-detector",
                        "tags": ["{version}", "{major}.{minor}", "sha-{short_sha}", "latest"],
                    }
                ],
            },
        }
    )
    assert cfg.python == ("3.10", "3.11", "3.12")
    assert cfg.lint.mypy == "strict"
    assert cfg.test.workers == "auto"
    assert cfg.tools.requirement("ruff") == "ruff>=0.17,<0.18"
    assert cfg.version.prerelease_branches == {"rc/*": "rc"}
    assert cfg.publish.feed is not None
    assert cfg.publish.feed.azure_artifacts is not None
    assert cfg.publish.feed.azure_artifacts.project == "ml"
    assert cfg.publish.images[0].tags[-1] == "latest"
    defaults = default_keys(cfg)
    assert "test.coverage-min" not in defaults
    assert "test.paths" in defaults
    assert "publish.feed" not in defaults


def test_generic_feed_with_index_url() -> None:
    cfg = parse_config(
        {
            "publish": {
                "feed": {
                    "upload-url": "http://127.0.0.1:8080/",
                    "index-url": "http://127.0.0.1:8080/simple/",
                }
            }
        }
    )
    assert cfg.publish.feed is not None
    assert cfg.publish.feed.index_url == "http://127.0.0.1:8080/simple/"


def test_load_config_reports_toml_syntax_error_with_file(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text("[tool.mlrelease\npython = 3\n")
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "is not valid TOML" in str(info.value)
    assert "line 1" in str(info.value)


def test_load_config_without_pyproject(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path)
    assert "file not found" in str(info.value)
    assert "--project" in str(info.value)
