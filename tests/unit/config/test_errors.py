"""Every bad configuration a user will write gets a message naming the key, what is wrong and the fix."""

from __future__ import annotations

from typing import Any

import pytest

from mlrelease.config.model import parse_config
from mlrelease.errors import ConfigError

T = "tool.mlrelease"
PAT = "ghp_" + "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"  # a GitHub token shape, not a real one

# (id, [tool.mlrelease] table, expected dotted key, fragment of the message, fragment of the hint)
BAD: list[tuple[str, dict[str, Any], str, str, str]] = [
    (
        "typo-coverage-min",
        {"test": {"coverage-minimum": 80}},
        f"{T}.test.coverage-minimum",
        "unknown key",
        "did you mean 'coverage-min'?",
    ),
    (
        "coverage-out-of-range",
        {"test": {"coverage-min": 150}},
        f"{T}.test.coverage-min",
        "must be between 0 and 100, got 150",
        "coverage-min = 80",
    ),
    (
        "coverage-negative",
        {"test": {"coverage-min": -1}},
        f"{T}.test.coverage-min",
        "must be between 0 and 100, got -1",
        "in that range",
    ),
    (
        "coverage-string",
        {"test": {"coverage-min": "80"}},
        f"{T}.test.coverage-min",
        "must be a number, got string '80'",
        "without quotes",
    ),
    (
        "coverage-bool",
        {"test": {"coverage-min": True}},
        f"{T}.test.coverage-min",
        "must be a number, got boolean",
        "",
    ),
    (
        "unknown-top-level",
        {"pythn": ["3.11"]},
        f"{T}.pythn",
        "unknown key",
        "did you mean 'python'?",
    ),
    ("unknown-section", {"lnt": {}}, f"{T}.lnt", "unknown key", "did you mean 'lint'?"),
    (
        "unknown-no-suggestion",
        {"test": {"zzz": 1}},
        f"{T}.test.zzz",
        "unknown key",
        "valid keys: paths, coverage-min",
    ),
    (
        "python-not-list",
        {"python": "3.11"},
        f"{T}.python",
        "must be an array of strings",
        'python = ["..."]',
    ),
    (
        "python-bad-version",
        {"python": ["3.11", "python3"]},
        f"{T}.python[1]",
        "'python3' is not a Python version of the form 3.X",
        'e.g. "3.11"',
    ),
    (
        "python-number",
        {"python": [3.11]},
        f"{T}.python[0]",
        "must be a string, got number 3.11",
        "put the value in quotes",
    ),
    (
        "mypy-enum-typo",
        {"lint": {"mypy": "strcit"}},
        f"{T}.lint.mypy",
        "must be one of 'off', 'on', 'strict', got 'strcit'",
        "did you mean 'strict'?",
    ),
    ("mypy-bool", {"lint": {"mypy": True}}, f"{T}.lint.mypy", "must be one of", "choose one"),
    (
        "fail-on-enum",
        {"lint": {"fail-on": "changed"}},
        f"{T}.lint.fail-on",
        "must be one of 'all', 'new'",
        "choose one",
    ),
    (
        "ruff-not-bool",
        {"lint": {"ruff": "yes"}},
        f"{T}.lint.ruff",
        "must be true or false, got string 'yes'",
        "ruff = true",
    ),
    (
        "lint-section-not-table",
        {"lint": "ruff"},
        f"{T}.lint",
        "must be a table, got string",
        f"[{T}.lint]",
    ),
    (
        "absolute-source",
        {"source": "/abs/pkg"},
        f"{T}.source",
        "must be a relative path inside the project",
        "src/mypkg",
    ),
    (
        "escaping-docs-source",
        {"docs": {"source": "../docs"}},
        f"{T}.docs.source",
        "must be a relative path inside the project",
        "",
    ),
    ("workers-negative", {"test": {"workers": -2}}, f"{T}.test.workers", "at least 0", ""),
    (
        "workers-word",
        {"test": {"workers": "many"}},
        f"{T}.test.workers",
        'must be a number of workers or "auto"',
        "without quotes",
    ),
    (
        "marker-bad-name",
        {"test": {"exclude-markers": ["not gpu"]}},
        f"{T}.test.exclude-markers[0]",
        "'not gpu' is not a valid name",
        "letters, digits",
    ),
    (
        "tool-version-garbage",
        {"tools": {"ruff": "latest"}},
        f"{T}.tools.ruff",
        "'latest' is not a version or version specifier",
        '"0.17.5"',
    ),
    (
        "tag-format-no-version",
        {"version": {"tag-format": "release-{ver}"}},
        f"{T}.version.tag-format",
        "must contain {version} exactly once",
        "v{version}",
    ),
    (
        "tag-format-space",
        {"version": {"tag-format": "v {version}"}},
        f"{T}.version.tag-format",
        "is not a valid git tag name",
        "letters, digits",
    ),
    (
        "prerelease-token",
        {"version": {"prerelease-branches": {"rc/*": "candidate"}}},
        f"{T}.version.prerelease-branches.rc/*",
        "prerelease token must be one of a, b, rc",
        "PEP 440",
    ),
    (
        "release-branches-str",
        {"version": {"release-branches": "main"}},
        f"{T}.version.release-branches",
        "must be an array of strings",
        "",
    ),
    (
        "upload-url-is-simple-index",
        {"publish": {"feed": {"upload-url": "https://pkgs.example/_packaging/f/pypi/simple/"}}},
        f"{T}.publish.feed.upload-url",
        "is a simple-index URL, not an upload URL",
        "index-url",
    ),
    (
        "upload-url-no-scheme",
        {"publish": {"feed": {"upload-url": "pkgs.example/upload"}}},
        f"{T}.publish.feed.upload-url",
        "must be an http(s) URL",
        "full URL",
    ),
    (
        "feed-both-kinds",
        {
            "publish": {
                "feed": {
                    "azure-artifacts": {"organization": "o", "feed": "f"},
                    "upload-url": "https://x.example/upload/",
                }
            }
        },
        f"{T}.publish.feed.upload-url",
        "cannot be combined with azure-artifacts",
        "either",
    ),
    (
        "feed-empty",
        {"publish": {"feed": {}}},
        f"{T}.publish.feed",
        "names no feed",
        "embedded directory feed",
    ),
    (
        "azure-missing-feed",
        {"publish": {"feed": {"azure-artifacts": {"organization": "o"}}}},
        f"{T}.publish.feed.azure-artifacts.feed",
        "is required",
        'organization = "contoso"',
    ),
    (
        "azure-typo",
        {"publish": {"feed": {"azure-artifacts": {"organisation": "o", "feed": "f"}}}},
        f"{T}.publish.feed.azure-artifacts.organisation",
        "unknown key",
        "did you mean 'organization'?",
    ),
    (
        "secret-key-in-feed",
        {"publish": {"feed": {"upload-url": "https://x.example/", "password": "pw"}}},
        f"{T}.publish.feed.password",
        "secrets never belong in pyproject.toml",
        "MLRELEASE_FEED_TOKEN",
    ),
    (
        "secret-looking-value",
        {"docs": {"define": {"api": PAT}}},
        f"{T}.docs.define.api",
        "looks like a secret",
        "never store credentials",
    ),
    (
        "credentials-in-url",
        {"publish": {"feed": {"upload-url": "https://ci:hunter22@feed.example/upload/"}}},
        f"{T}.publish.feed.upload-url",
        "looks like a secret",
        "MLRELEASE_FEED_TOKEN",
    ),
    (
        "empty-image-name",
        {"publish": {"images": [{"name": ""}]}},
        f"{T}.publish.images[0].name",
        "must not be empty",
        "drift-detector",
    ),
    (
        "missing-image-name",
        {"publish": {"images": [{"registry": "r.example"}]}},
        f"{T}.publish.images[0].name",
        "is required",
        "drift-detector",
    ),
    (
        "uppercase-image-name",
        {"publish": {"images": [{"name": "Drift"}]}},
        f"{T}.publish.images[0].name",
        "is not a valid image repository name",
        "lowercase",
    ),
    (
        "duplicate-image-names",
        {"publish": {"images": [{"name": "drift"}, {"name": "drift", "tags": ["{version}"]}]}},
        f"{T}.publish.images[1].name",
        "duplicate image 'drift'",
        "its own name",
    ),
    (
        "bad-tag-template",
        {"publish": {"images": [{"name": "d", "tags": ["{verison}"]}]}},
        f"{T}.publish.images[0].tags[0]",
        "unknown placeholder {verison}",
        "did you mean {version}?",
    ),
    (
        "bad-tag-chars",
        {"publish": {"images": [{"name": "d", "tags": ["v:{version}"]}]}},
        f"{T}.publish.images[0].tags[0]",
        "does not make a valid image tag",
        "1-128",
    ),
    (
        "no-tags",
        {"publish": {"images": [{"name": "d", "tags": []}]}},
        f"{T}.publish.images[0].tags",
        "must list at least one tag",
        "{version}",
    ),
    (
        "registry-with-scheme",
        {"publish": {"images": [{"name": "d", "registry": "https://r.io"}]}},
        f"{T}.publish.images[0].registry",
        "must be a registry host, without scheme or path",
        "contosoml.azurecr.io",
    ),
    (
        "bad-platform",
        {"publish": {"images": [{"name": "d", "platforms": ["amd64"]}]}},
        f"{T}.publish.images[0].platforms[0]",
        "'amd64' is not a supported platform",
        "linux/amd64",
    ),
    (
        "images-not-array",
        {"publish": {"images": {"name": "d"}}},
        f"{T}.publish.images",
        "must be an array of tables",
        f"[[{T}.publish.images]]",
    ),
    (
        "engine-enum",
        {"publish": {"container-engine": "dockr"}},
        f"{T}.publish.container-engine",
        "must be one of",
        "did you mean 'docker'?",
    ),
    (
        "build-args-not-strings",
        {"publish": {"images": [{"name": "d", "build-args": {"N": 3}}]}},
        f"{T}.publish.images[0].build-args.N",
        "must be a string, got integer 3",
        "quotes",
    ),
    (
        "max-size-zero",
        {"publish": {"feed": {"upload-url": "https://x.example/", "max-file-size-mib": 0}}},
        f"{T}.publish.feed.max-file-size-mib",
        "must be at least 1, got 0",
        "1 or more",
    ),
    (
        "upload-url-with-a-token-only",
        {"publish": {"feed": {"upload-url": "https://tok3n-only@feed.example/upload/"}}},
        f"{T}.publish.feed.upload-url",
        "looks like a secret",
        "MLRELEASE_FEED_TOKEN",
    ),
    (
        "requirement-with-a-token-url",
        {"test": {"requirements": ["pkg @ https://TOKEN@git.example/pkg.tar.gz"]}},
        f"{T}.test.requirements[0]",
        "looks like a secret",
        "never store credentials",
    ),
    # --- hostile or accidental input: never a traceback, always the key ----------------------
    (
        "huge-integer-coverage",
        {"test": {"coverage-min": 10**400}},
        f"{T}.test.coverage-min",
        "must be between 0 and 100, got 1000000",
        "in that range",
    ),
    (
        "huge-integer-workers",
        {"test": {"workers": 10**400}},
        f"{T}.test.workers",
        "must be at most 1024",
        "1024 or less",
    ),
    (
        "huge-integer-max-size",
        {"publish": {"feed": {"upload-url": "https://x.example/", "max-file-size-mib": 2**70}}},
        f"{T}.publish.feed.max-file-size-mib",
        "must be at most 1048576",
        "or less",
    ),
    (
        "coverage-nan",
        {"test": {"coverage-min": float("nan")}},
        f"{T}.test.coverage-min",
        "must be a finite number, got nan",
        "coverage-min = 80",
    ),
    (
        "coverage-inf",
        {"test": {"coverage-min": float("inf")}},
        f"{T}.test.coverage-min",
        "must be a finite number, got inf",
        "coverage-min = 80",
    ),
    (
        "tag-format-leading-dash",
        {"version": {"tag-format": "-v{version}"}},
        f"{T}.version.tag-format",
        "must not begin with '-'",
        "v{version}",
    ),
    (
        "tag-format-trailing-newline",
        {"version": {"tag-format": "v{version}\n"}},
        f"{T}.version.tag-format",
        "contains a control character",
        "trailing newline",
    ),
    (
        "image-name-trailing-newline",
        {"publish": {"images": [{"name": "drift\n"}]}},
        f"{T}.publish.images[0].name",
        "contains a control character",
        "remove it",
    ),
    (
        "image-tag-trailing-newline",
        {"publish": {"images": [{"name": "d", "tags": ["latest\n"]}]}},
        f"{T}.publish.images[0].tags[0]",
        "contains a control character",
        "remove it",
    ),
    (
        "registry-trailing-newline",
        {"publish": {"images": [{"name": "d", "registry": "r.example\n"}]}},
        f"{T}.publish.images[0].registry",
        "contains a control character",
        "remove it",
    ),
    (
        "registry-header-injection",
        {"publish": {"images": [{"name": "d", "registry": "r.example\r\nX-Evil: 1"}]}},
        f"{T}.publish.images[0].registry",
        "contains a control character",
        "remove it",
    ),
    (
        "build-arg-header-injection",
        {"publish": {"images": [{"name": "d", "build-args": {"A": "x\r\nX-Evil: 1"}}]}},
        f"{T}.publish.images[0].build-args.A",
        "contains a control character",
        "remove it",
    ),
    (
        "build-arg-name-newline",
        {"publish": {"images": [{"name": "d", "build-args": {"A\nB": "x"}}]}},
        f"{T}.publish.images[0].build-args.A\nB",
        "contains a control character",
        "remove it",
    ),
    (
        "upload-url-header-injection",
        {"publish": {"feed": {"upload-url": "https://x.example/up/\r\nX-Evil: 1"}}},
        f"{T}.publish.feed.upload-url",
        "contains a control character",
        "remove it",
    ),
    (
        "index-url-trailing-newline",
        {
            "publish": {
                "feed": {
                    "upload-url": "https://x.example/upload/",
                    "index-url": "https://x.example/simple/\n",
                }
            }
        },
        f"{T}.publish.feed.index-url",
        "contains a control character",
        "remove it",
    ),
    (
        "index-url-with-space",
        {
            "publish": {
                "feed": {
                    "upload-url": "https://x.example/upload/",
                    "index-url": "https://x.example/simple/ extra",
                }
            }
        },
        f"{T}.publish.feed.index-url",
        "must be an http(s) URL",
        "full URL",
    ),
    (
        "python-trailing-newline",
        {"python": ["3.11\n"]},
        f"{T}.python[0]",
        "contains a control character",
        "remove it",
    ),
    (
        "release-branch-trailing-newline",
        {"version": {"release-branches": ["main\n"]}},
        f"{T}.version.release-branches[0]",
        "contains a control character",
        "remove it",
    ),
    (
        "tool-version-trailing-newline",
        {"tools": {"ruff": "0.17.5\n"}},
        f"{T}.tools.ruff",
        "contains a control character",
        "remove it",
    ),
]


@pytest.mark.parametrize(
    ("table", "key", "message", "hint"), [b[1:] for b in BAD], ids=[b[0] for b in BAD]
)
def test_bad_configuration_names_key_message_and_fix(
    table: dict[str, Any], key: str, message: str, hint: str
) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(table)
    matching = [p for p in info.value.problems if p.key == key]
    assert matching, f"no problem reported for {key}; got {[str(p) for p in info.value.problems]}"
    problem = matching[0]
    assert message in problem.message
    assert hint in problem.hint
    assert problem.file == "pyproject.toml"
    rendered = str(problem)
    assert rendered.startswith(f"pyproject.toml: {key}: ")


def test_there_are_at_least_25_distinct_bad_configurations() -> None:
    assert len({b[0] for b in BAD}) == len(BAD) >= 25


def test_all_problems_are_reported_at_once() -> None:
    table = {
        "test": {"coverage-minimum": 80, "coverage-min": 150},
        "lint": {"mypy": "strcit"},
        "publish": {"images": [{"name": "d"}, {"name": "d"}]},
    }
    with pytest.raises(ConfigError) as info:
        parse_config(table)
    keys = [p.key for p in info.value.problems]
    assert keys == [
        f"{T}.test.coverage-minimum",
        f"{T}.test.coverage-min",
        f"{T}.lint.mypy",
        f"{T}.publish.images[1].name",
    ]
    assert str(info.value).startswith("4 configuration problems:")


def test_a_secret_value_is_never_echoed_in_the_message() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config({"test": {"coverage-min": PAT}, "docs": {"builder": PAT}})
    assert PAT not in str(info.value)
    assert "<hidden>" in str(info.value) or "looks like a secret" in str(info.value)


# --- input the TOML reader itself chokes on, and bad [project] values, through the CLI ---------


def _check(tmp_path: Any, pyproject: str) -> tuple[int, str]:
    import io
    from contextlib import redirect_stderr, redirect_stdout

    from mlrelease.cli.main import main

    (tmp_path / "pyproject.toml").write_text(pyproject)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = main(["check", "--project", str(tmp_path)])
    return code, err.getvalue()


HEAD = '[project]\nname = "p"\nversion = "0.1.0"\n'


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        (
            "[tool.mlrelease.test]\ncoverage-min = " + "[" * 10000 + "]" * 10000 + "\n",
            "tool.mlrelease.test.coverage-min",
            "nests arrays or tables too deeply",
        ),
        (
            "[tool.mlrelease]\nlint = " + "{a = " * 5000 + "1" + "}" * 5000 + "\n",
            "tool.mlrelease.lint",
            "nests arrays or tables too deeply",
        ),
        (
            "[tool.mlrelease.test]\nworkers = " + "9" * 5000 + "\n",
            "tool.mlrelease.test.workers",
            "holds an integer too large to read",
        ),
        (
            "[tool.mlrelease.test]\ncoverage-min = nan\n",
            "tool.mlrelease.test.coverage-min",
            "must be a finite number, got nan",
        ),
        (
            '[tool.mlrelease.version]\ntag-format = """v{version}\n"""\n',
            "tool.mlrelease.version.tag-format",
            "contains a control character",
        ),
    ],
    ids=["deep-arrays", "deep-inline-tables", "5000-digit-integer", "nan", "multiline-tag"],
)
def test_toml_the_reader_chokes_on_exits_2_naming_the_key(
    tmp_path: Any, body: str, key: str, message: str
) -> None:
    code, err = _check(tmp_path, HEAD + body)
    assert code == 2, err
    assert "Traceback" not in err
    assert f"pyproject.toml: {key}: {message}" in err, err


@pytest.mark.parametrize(
    ("project", "key"),
    [
        ('name = "p\\n"\nversion = "0.1.0"', "project.name"),
        ('name = "p"\nversion = "0.1.0\\n"', "project.version"),
        ('name = "p"\nversion = "0.1.0\\r\\nX: y"', "project.version"),
    ],
    ids=["name-newline", "version-newline", "version-crlf"],
)
def test_a_project_name_or_version_with_a_newline_exits_2(
    tmp_path: Any, project: str, key: str
) -> None:
    code, err = _check(tmp_path, f"[project]\n{project}\n")
    assert code == 2, err
    assert f"pyproject.toml: {key}: " in err, err
    assert "Traceback" not in err
