"""Secrets registered once are masked in every line the runner prints or raises."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from mlrelease._util import console, redact, runner
from mlrelease.errors import ToolError

CANARY = "canary-7f3a9c1e5b2d"


@pytest.fixture(autouse=True)
def _clean() -> Iterator[None]:
    redact.forget_secrets()
    yield
    redact.forget_secrets()


def test_registered_secret_is_masked_everywhere(capsys: pytest.CaptureFixture[str]) -> None:
    console.mask(CANARY)
    code = f"import sys; print('out {CANARY}'); print('err {CANARY}', file=sys.stderr); sys.exit(3)"
    with pytest.raises(ToolError) as info:
        runner.run([sys.executable, "-c", code], env={"X": CANARY})
    captured = capsys.readouterr()
    assert CANARY not in captured.err + captured.out
    assert CANARY not in str(info.value)
    assert "<hidden>" in str(info.value)
    assert info.value.returncode == 3


def test_url_credentials_are_masked() -> None:
    assert (
        redact.redact("push https://ci:s3cr3t@feed.example/x")
        == "push https://ci:<hidden>@feed.example/x"
    )
    assert redact.url_without_credentials("https://ci:s3cr3t@feed.example:8443/up/") == (
        "https://feed.example:8443/up/"
    )


def test_token_only_urls_are_masked_everywhere() -> None:
    """`https://TOKEN@host` carries a token without a `user:`; scp-like git URLs name a user."""
    token = "tok3nvalue1234abcd"
    cases = {
        f"fatal: unable to access 'https://{token}@git.example/o/r.git/'": (
            "fatal: unable to access 'https://<hidden>@git.example/o/r.git/'"
        ),
        f"origin\tHTTP://{token}@git.example/r (push)": "origin\tHTTP://<hidden>@git.example/r (push)",
        "git@github.com:org/repo.git": "git@github.com:org/repo.git",
        "ssh://git@github.com/org/repo.git": "ssh://git@github.com/org/repo.git",
        "pkg @ git+https://github.com/org/repo@v1.0": "pkg @ git+https://github.com/org/repo@v1.0",
    }
    for text, shown in cases.items():
        assert redact.redact(text) == shown
    assert redact.url_without_credentials(f"https://{token}@h.example/x") == "https://h.example/x"


def test_add_mask_goes_to_stderr_once_never_stdout(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    console.mask(CANARY)
    console.mask(CANARY)
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == f"::add-mask::{CANARY}\n"


def test_add_mask_only_on_github_actions(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    console.mask(CANARY)
    captured = capsys.readouterr()
    assert CANARY not in captured.out + captured.err


def test_session_repr_shows_no_password() -> None:
    from mlrelease._util.http import Session

    session = Session(auth=("ci", CANARY), auth_url=f"https://ci:{CANARY}@feed.example/upload/")
    for text in (repr(session), str(session), f"{session!r}"):
        assert CANARY not in text
        assert "ci" in text
        assert "feed.example" in text


def test_missing_tool_is_a_clear_error() -> None:
    with pytest.raises(ToolError, match="not installed or not on PATH"):
        runner.run(["mlrelease-no-such-tool-xyz"])


@pytest.mark.parametrize(
    ("value", "secret"),
    [
        ("ghp_" + "a" * 36, True),
        ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig", True),
        ("https://user:pw@host/", True),
        ("https://tok3nvalue1234@host/simple/", True),
        ("HTTPS://tok3nvalue1234@host/", True),
        ("git@github.com:org/repo.git", False),
        ("pkg @ git+https://github.com/org/repo@v1.0", False),
        ("contoso", False),
        ("https://pkgs.dev.azure.com/contoso/_packaging/models/pypi/upload/", False),
        ("v{version}", False),
    ],
)
def test_looks_like_secret(value: str, secret: bool) -> None:
    assert redact.looks_like_secret(value) is secret
