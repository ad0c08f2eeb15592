"""Every shape a credential takes in a URL is masked by redact and refused in pyproject.toml.

Issue 20 item 1: ``https://:TOKEN@host`` and ``https://TOKEN:@host`` passed ``check`` as
upload-url and were printed whole by ``plan``; 11 of 22 shapes passed masking unchanged.
"""

from __future__ import annotations

import pytest

from mlrelease._util import redact

S = "Zq8sEcr3tCanary"  # the secret part of every shape below

# (url, what a reader may still see). At least 22 shapes, each with the secret S in it.
URL_SHAPES: list[tuple[str, str]] = [
    (f"https://user:{S}@feed.example/upload/", "feed.example"),
    (f"https://:{S}@feed.example/upload/", "feed.example"),
    (f"https://{S}:@feed.example/upload/", "feed.example"),
    (f"https://{S}@feed.example/upload/", "feed.example"),
    (f"http://ci:{S}@127.0.0.1:8080/upload/", "127.0.0.1:8080"),
    (f"HTTPS://USER:{S}@FEED.EXAMPLE/", "FEED.EXAMPLE"),
    (f"https://user%40corp.example:{S}%21@feed.example/", "feed.example"),
    (f"https://{S}%3Aextra@feed.example/", "feed.example"),
    (f"https://user:{S}@[::1]:8443/upload/", "[::1]:8443"),
    (f"https://{S}@[2001:db8::1]/simple/", "[2001:db8::1]"),
    (f"https://user:p@ss{S}@feed.example/", "feed.example"),
    (f"https://feed.example/upload/?token={S}", "feed.example"),
    (f"https://acct.blob.core.windows.net/c/x.whl?sv=2024&sig={S}&se=2030", "sv=2024"),
    (f"https://feed.example/simple/?access_token={S}", "feed.example"),
    (f"https://feed.example/simple/?api_key={S}&page=1", "page=1"),
    (f"https://feed.example/simple/?x=1&password={S}", "x=1"),
    (f"https://s3.example/b/k?X-Amz-Credential=AK&X-Amz-Signature={S}", "s3.example"),
    (f"https://feed.example/upload/#access_token={S}", "feed.example"),
    (f"https://feed.example/upload/?key={S}", "feed.example"),
    (f"https://user:{S}@feed.example/?token={S}#frag", "feed.example"),
    (f"ftp://user:{S}@files.example/pub/", "files.example"),
    (f"git+https://oauth2:{S}@gitlab.example/org/repo.git", "gitlab.example"),
    (f"https://x-access-token:{S}@github.com/org/repo.git", "github.com"),
    (f"ssh://git:{S}@git.example/org/repo.git", "git.example"),
    (f"https://user:{S}@feed.example", "feed.example"),
    (f"http://{S}:@127.0.0.1/", "127.0.0.1"),
]


@pytest.mark.parametrize(("url", "visible"), URL_SHAPES, ids=range(len(URL_SHAPES)))
def test_redact_masks_every_url_shape(url: str, visible: str) -> None:
    for text in (url, f"+ push {url} now", f"'{url}'", f'"url": "{url}"'):
        shown = redact.redact(text)
        assert S not in shown, (text, shown)
        assert redact.MASK in shown
        assert visible in shown  # the host (or harmless parameters) stays readable


@pytest.mark.parametrize(("url", "visible"), URL_SHAPES, ids=range(len(URL_SHAPES)))
def test_every_url_shape_looks_like_a_secret(url: str, visible: str) -> None:
    assert redact.looks_like_secret(url), url


def test_at_least_22_shapes() -> None:
    assert len(URL_SHAPES) >= 22


@pytest.mark.parametrize(
    "text",
    [
        "git@github.com:org/repo.git",
        "ssh://git@github.com/org/repo.git",
        "pkg @ git+https://github.com/org/repo@v1.0",
        "https://pkgs.dev.azure.com/contoso/_packaging/models/pypi/upload/",
        "https://feed.example/simple/?page=2",
        "python:3.12-slim@sha256:abc",
        "user@example.com",
    ],
)
def test_names_are_not_secrets(text: str) -> None:
    assert redact.redact(text) == text
    assert not redact.looks_like_secret(text)


def test_url_without_credentials_keeps_an_ipv6_host() -> None:
    assert (
        redact.url_without_credentials(f"https://:{S}@[::1]:8443/up/") == "https://[::1]:8443/up/"
    )
    assert redact.url_without_credentials(f"https://{S}:@h.example/x") == "https://h.example/x"
