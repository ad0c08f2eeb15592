"""Feed targets, URL validation, index parsing, reconciliation, preflight checks and the credential
order: pure functions, no network, no servers."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import pytest

from mlrelease._util import redact
from mlrelease._util.http import Backoff, origin
from mlrelease.auth import feed as credentials
from mlrelease.config.model import parse_config
from mlrelease.errors import ConfigError
from mlrelease.wheels.dist import (
    DistFile,
    _twine_failures,
    check_file,
    describe,
    parse_dist_name,
    read_metadata,
)
from mlrelease.wheels.feed import (
    IndexEntry,
    azure_upload_url,
    derived_index_url,
    parse_simple_page,
    reconcile,
    validate_feed_urls,
)
from mlrelease.wheels.remote import MultipartBody, form_fields

SHA_A = "a" * 64
SHA_B = "b" * 64


def test_azure_urls_are_derived_for_project_and_organization_feeds() -> None:
    assert (
        azure_upload_url("contoso", "ml", "models")
        == "https://pkgs.dev.azure.com/contoso/ml/_packaging/models/pypi/upload/"
    )
    org = azure_upload_url("contoso", None, "models")
    assert org == "https://pkgs.dev.azure.com/contoso/_packaging/models/pypi/upload/"
    assert derived_index_url(org) == (
        "https://pkgs.dev.azure.com/contoso/_packaging/models/pypi/simple/"
    )


@pytest.mark.parametrize(
    ("upload", "index"),
    [
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/simple/"),
        ("https://devpi.example/ci/ml/", "https://devpi.example/ci/ml/simple/"),
        ("https://feed.example/pypi/upload", "https://feed.example/pypi/simple/"),
    ],
)
def test_index_url_is_derived_from_the_upload_url(upload: str, index: str) -> None:
    assert derived_index_url(upload) == index


@pytest.mark.parametrize(
    ("upload", "index", "key", "words"),
    [
        (
            "https://pkgs.dev.azure.com/contoso/_packaging/models/pypi/simple/",
            "https://pkgs.dev.azure.com/contoso/_packaging/models/pypi/simple/",
            "upload-url",
            "is a simple-index URL, not an upload URL",
        ),
        (
            "http://127.0.0.1:3141/ci/ml/",
            "http://127.0.0.1:3141/ci/ml/upload/",
            "index-url",
            "is an upload URL, not a simple index",
        ),
        (
            "https://pkgs.dev.azure.com/contoso/models/upload/",
            "https://pkgs.dev.azure.com/contoso/models/simple/",
            "upload-url",
            "is not an Azure Artifacts upload URL",
        ),
        (
            "https://ci:hunter22@feed.example/",
            "https://feed.example/simple/",
            "upload-url",
            "carries credentials in the URL",
        ),
        ("ftp://feed.example/", "https://feed.example/simple/", "upload-url", "http(s) URL"),
    ],
)
def test_bad_feed_urls_are_refused_before_any_network_call(
    upload: str, index: str, key: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        validate_feed_urls(upload, index)
    problem = info.value.problems[0]
    assert problem.key == f"tool.mlrelease.publish.feed.{key}"
    assert words in problem.message
    assert "hunter22" not in str(info.value)


def test_simple_page_yields_filenames_absolute_urls_and_hashes() -> None:
    page = f"""<html><body>
      <a href="../../+f/abc/pkg-1.0.tar.gz#sha256={SHA_A}">pkg-1.0.tar.gz</a>
      <a href="https://files.example/p/pkg-1.0-py3-none-any.whl#md5=00">wheel</a>
      <a href="pkg%2B-1.0.zip#sha256={SHA_B.upper()}">zip</a>
    </body></html>"""
    entries = parse_simple_page(page, "http://h/ci/ml/+simple/pkg/")
    assert entries["pkg-1.0.tar.gz"] == IndexEntry(
        "pkg-1.0.tar.gz", "http://h/ci/ml/+f/abc/pkg-1.0.tar.gz", SHA_A
    )
    assert entries["pkg-1.0-py3-none-any.whl"].sha256 is None
    assert entries["pkg+-1.0.zip"].sha256 == SHA_B


def _dist(name: str, sha: str, *, version: str = "1.0.0", size: int = 10) -> DistFile:
    return DistFile(Path(name), "pkg", version, "sdist", "source", size, sha, "", "")


def test_reconcile_skips_same_hash_refuses_other_hash_uploads_absent() -> None:
    files = [_dist("a.tar.gz", SHA_A), _dist("b.whl", SHA_A), _dist("c.whl", SHA_A)]
    listed = {
        "a.tar.gz": IndexEntry("a.tar.gz", "u", SHA_A),
        "b.whl": IndexEntry("b.whl", "u2", None),
    }
    downloads: list[str] = []

    def remote(entry: IndexEntry) -> str:
        downloads.append(entry.url)
        return SHA_B

    fates = [f for _, f in reconcile(files, listed, remote)]
    assert fates == ["already published", "conflict", "upload"]
    assert downloads == ["u2"], "only an entry without a listed hash is downloaded"


def test_cheap_checks_name_version_local_and_size() -> None:
    ok = check_file(_dist("x", SHA_A), project_name="Pkg", release_version="1.0.0", max_bytes=100)
    assert ok == []
    wrong = check_file(
        _dist("x", SHA_A, version="0.9.0", size=200),
        project_name="other",
        release_version="1.0.0",
        max_bytes=100,
    )
    reasons = " | ".join(r.reason for r in wrong)
    assert "belongs to project 'pkg', not 'other'" in reasons
    assert "is version 0.9.0 but the release tag at HEAD is 1.0.0" in reasons
    assert "over the feed's limit" in reasons
    local = check_file(
        _dist("x", SHA_A, version="1.0.0+cu121"),
        project_name="pkg",
        release_version="1.0.0",
        max_bytes=100,
    )
    assert "local version" in local[0].reason
    semver = check_file(
        _dist("x", SHA_A, version="1.2.0rc1"),
        project_name="pkg",
        release_version="1.2.0-rc.1",
        max_bytes=100,
    )
    assert semver == [], "1.2.0-rc.1 and 1.2.0rc1 are the same version"


def test_dist_names_are_parsed_and_junk_is_refused() -> None:
    assert parse_dist_name("my_pkg-1.0.0-py3-none-any.whl") == (
        "my-pkg",
        "1.0.0",
        "bdist_wheel",
        "py3",
    )
    assert parse_dist_name("my_pkg-1.0.0.tar.gz")[2:] == ("sdist", "source")
    with pytest.raises(ValueError, match="not a valid wheel filename"):
        parse_dist_name("broken.whl")


def test_twine_output_is_split_per_file() -> None:
    output = (
        "Checking dist/a-1.0-py3-none-any.whl: PASSED\n"
        "Checking dist/a-1.0.tar.gz: FAILED\n"
        "ERROR    `long_description` has syntax errors in markup\n"
    )
    refusals = _twine_failures(
        output, [Path("dist/a-1.0-py3-none-any.whl"), Path("dist/a-1.0.tar.gz")]
    )
    assert [r.filename for r in refusals] == ["a-1.0.tar.gz"]
    assert "has syntax errors" in refusals[0].reason


def _wheel(tmp_path: Path) -> Path:
    path = tmp_path / "pkg-1.0.0-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pkg/__init__.py", "")
        zf.writestr(
            "pkg-1.0.0.dist-info/METADATA",
            "Metadata-Version: 2.1\nName: pkg\nVersion: 1.0.0\nSummary: s\n"
            "Classifier: A :: B\nClassifier: C :: D\nProject-URL: Home, https://x\n\nlong text\n",
        )
    return path


def test_upload_form_carries_metadata_digests_and_exact_length(tmp_path: Path) -> None:
    dist = describe(_wheel(tmp_path))
    assert dist.sha256 == hashlib.sha256(dist.path.read_bytes()).hexdigest()
    assert "Name: pkg" in read_metadata(dist.path)
    fields = form_fields(dist)
    assert fields[0] == ("name", "pkg")
    assert ("classifiers", "A :: B") in fields
    assert ("classifiers", "C :: D") in fields
    assert ("project_urls", "Home, https://x") in fields
    assert ("description", "long text\n") in fields
    assert ("sha256_digest", dist.sha256) in fields
    assert (":action", "file_upload") in fields
    assert ("pyversion", "py3") in fields
    body = MultipartBody(fields, dist.path, dist.filename)
    data = b"".join(body)
    assert len(data) == body.length()
    assert dist.path.read_bytes() in data


def test_backoff_is_bounded_and_grows() -> None:
    assert list(Backoff(attempts=5, base=0.5, cap=2).delays()) == [0.5, 1.0, 2, 2]
    assert list(Backoff(attempts=1).delays()) == []


def test_origin_compares_scheme_host_and_default_port() -> None:
    assert origin("https://Pkgs.dev.azure.com/a") == origin("https://pkgs.dev.azure.com:443/b")
    assert origin("https://a.example/") != origin("https://blob.example/")


def test_environment_token_comes_first_and_is_registered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MLRELEASE_FEED_TOKEN", "s3cr3t-token-value")
    monkeypatch.delenv("MLRELEASE_FEED_USERNAME", raising=False)
    try:
        cred = credentials.feed_credential("https://feed.example/", azure=True)
        assert (cred.username, cred.password) == ("mlrelease", "s3cr3t-token-value")
        assert "MLRELEASE_FEED_TOKEN" in cred.source
        assert "s3cr3t" not in repr(cred)
        assert redact.redact("token s3cr3t-token-value") == "token <hidden>"
    finally:
        redact.forget_secrets()


def test_without_any_credential_a_generic_feed_is_anonymous(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MLRELEASE_FEED_TOKEN", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    cred = credentials.feed_credential("https://feed.example/", azure=False)
    assert not cred.present
    assert cred.source == ""


def test_feed_table_in_config_resolves_without_network(tmp_path: Path) -> None:
    config = parse_config(
        {"publish": {"feed": {"azure-artifacts": {"organization": "contoso", "feed": "models"}}}}
    )
    assert config.publish.feed is not None
    assert config.publish.feed.max_file_size_mib == 500
