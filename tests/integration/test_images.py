"""``mlrelease publish images`` against a real registry (docker-registry, htpasswd + TLS), real buildah.

One registry and one pushed base image (bookworm + python3, made by mmdebstrap and cached) serve the
whole module; each test publishes its own repository name so tests stay independent. The first
build is cold (~20 s); later ones reuse buildah's layer cache.
"""

from __future__ import annotations

import json
import os
import shutil
import ssl
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs

import pytest

from tests.integration import registry_server as rs
from tests.integration.azure_stub import managed_identity
from tests.integration.gitrepo import GIT_ENV, git

pytestmark = [pytest.mark.images, pytest.mark.integration]

CANARY = "canary-Rg7vQ2xLp9Kd4Wm"  # the registry password; must never show up anywhere
USER = "ci-pusher"


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[rs.Registry]:
    missing = rs.which_all("buildah", "docker-registry", "mmdebstrap", "openssl", "skopeo")
    if missing:  # ci/setup-system installs them; a missing tool is a broken machine, not a skip
        pytest.fail(f"missing system tools {missing}: run ./ci/setup-system")
    with rs.oci_registry(
        tmp_path_factory.mktemp("registry"), username=USER, password=CANARY
    ) as reg:
        yield reg


@pytest.fixture(scope="module")
def base_image(registry: rs.Registry) -> str:
    return rs.push_base_image(registry)


@pytest.fixture
def env(registry: rs.Registry, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """What a CI job would set: the trust bundle and the registry credentials."""
    values = {
        "SSL_CERT_FILE": str(registry.ca.bundle),
        "MLRELEASE_REGISTRY_USERNAME": USER,
        "MLRELEASE_REGISTRY_PASSWORD": CANARY,
        "MLRELEASE_CONTAINER_ENGINE": "buildah",
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    return values


PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "imgdemo"
version = "{version}"
description = "A tiny package for the image tests."
license = "MIT"
dependencies = ["six>=1.16"]

[project.urls]
Source = "https://github.com/example/imgdemo"

[project.scripts]
imgdemo = "imgdemo:main"

{images}
"""


def image_table(registry: str | None, name: str, base: str, tags: list[str] | None = None) -> str:
    lines = ["[[tool.mlrelease.publish.images]]", f'name = "{name}"', f'base-image = "{base}"']
    if registry:
        lines.append(f'registry = "{registry}"')
    if tags is not None:
        lines.append("tags = " + json.dumps(tags))
    return "\n".join(lines) + "\n"


def make_project(
    where: Path, *, version: str, images: str, value: str = "one", tag: bool = True
) -> Path:
    """A git repository with the package committed and tagged, and its wheel built into dist/."""
    where.mkdir(parents=True)
    (where / "src/imgdemo").mkdir(parents=True)
    (where / "pyproject.toml").write_text(PYPROJECT.format(version=version, images=images))
    write_code(where, version, value)
    (where / ".gitignore").write_text("dist/\n.mlrelease/\n")
    git(where, "init", "-q", "-b", "main")
    git(where, "add", "-A")
    git(where, "commit", "-q", "-m", "feat: imgdemo")
    if tag:
        git(where, "tag", "-a", f"v{version}", "-m", f"v{version}")
    build_wheel(where)
    return where


def write_code(where: Path, version: str, value: str) -> None:
    (where / "src/imgdemo/__init__.py").write_text(
        textwrap.dedent(
            f"""\
            __version__ = "{version}"
            VALUE = "{value}"


            def main() -> None:
                print("imgdemo", __version__, VALUE)
            """
        )
    )


def build_wheel(where: Path) -> None:
    shutil.rmtree(where / "dist", ignore_errors=True)
    uv = shutil.which("uv") or str(Path(sys.executable).parent / "uv")
    subprocess.run(
        [uv, "build", "-q", "--wheel", "--out-dir", str(where / "dist"), str(where)],
        check=True,
        capture_output=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )


def mlrelease(
    project: Path, *args: str, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mlrelease", "-C", str(project), *args],
        capture_output=True,
        text=True,
        env={**os.environ, **GIT_ENV, **(extra_env or {})},
        timeout=900,
        check=False,
    )


def head(project: Path) -> str:
    return git(project, "rev-parse", "HEAD")


def argv_shim(tmp: Path) -> tuple[dict[str, str], Path]:
    """A ``buildah`` first on PATH that logs every command line, then runs the real one."""
    shim_dir = tmp / "shim"
    shim_dir.mkdir()
    log = tmp / "argv.log"
    real = shutil.which("buildah")
    shim = shim_dir / "buildah"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{log}"\nexec {real} "$@"\n')
    shim.chmod(0o755)
    return {"PATH": f"{shim_dir}:{os.environ['PATH']}"}, log


# --- the main path ------------------------------------------------------------------------------


def test_publish_pushes_by_digest_tags_runs_and_rerun_does_nothing(
    registry: rs.Registry, base_image: str, env: dict[str, str], tmp_path: Path
) -> None:
    repo = "ml/imgdemo"
    project = make_project(
        tmp_path / "proj",
        version="1.2.0",
        images=image_table(registry.host, repo, base_image),
    )
    shim_env, argv_log = argv_shim(tmp_path)
    first = mlrelease(project, "publish", "images", extra_env=shim_env)
    assert first.returncode == 0, first.stderr
    sha = head(project)
    digest = registry.digest_of(repo, "1.2.0")
    assert digest is not None
    assert registry.tags(repo) == sorted(["1.2.0", "1.2", f"sha-{sha[:7]}", "latest"])
    for tag in ("1.2", f"sha-{sha[:7]}", "latest"):
        assert registry.digest_of(repo, tag) == digest
    # The summary a release manager reads: registry, digest, tags, size.
    assert f"image {registry.host}/{repo}" in first.stdout
    assert f"digest  {digest} (pushed)" in first.stdout
    assert "tag     latest (pushed)" in first.stdout
    assert " MB (compressed layers + config)" in first.stdout

    # The pushed image runs, as a non-root user, with the released version of the package.
    out = rs.run_in_image(
        f"{registry.host}/{repo}:1.2.0",
        "sh",
        "-c",
        "id -u; imgdemo; python -c 'import importlib.metadata as m; print(m.version(\"imgdemo\"))'",
        env={
            "SSL_CERT_FILE": str(registry.ca.bundle),
            "REGISTRY_AUTH_FILE": str(registry.authfile(tmp_path / "a.json")),
        },
    )
    assert out.split() == ["10001", "imgdemo", "1.2.0", "one", "1.2.0"]
    (tmp_path / "a.json").unlink()

    # OCI labels, from the real manifest/config.
    inspect = subprocess.run(
        ["skopeo", "inspect", "--creds", f"{USER}:{CANARY}", f"docker://{registry.host}/{repo}:1.2.0"],
        capture_output=True, text=True, check=True, env={**os.environ, "SSL_CERT_FILE": str(registry.ca.bundle)},
    )  # fmt: skip
    labels = json.loads(inspect.stdout)["Labels"]
    assert labels["org.opencontainers.image.version"] == "1.2.0"
    assert labels["org.opencontainers.image.revision"] == sha
    assert labels["org.opencontainers.image.source"] == "https://github.com/example/imgdemo"
    assert labels["org.opencontainers.image.licenses"] == "MIT"
    assert labels["org.opencontainers.image.created"].endswith("Z")

    # A rerun: the same digest, nothing pushed, and it says so.
    puts_before = len(registry.requests("PUT", "/v2/ml/imgdemo/"))
    again = mlrelease(project, "publish", "images", extra_env=shim_env)
    assert again.returncode == 0, again.stderr
    assert f"digest  {digest} (present)" in again.stdout
    assert "already published" in again.stdout
    assert len(registry.requests("PUT", "/v2/ml/imgdemo/")) == puts_before

    # The canary password is in no output, no file under the project or the temp dir, no argv.
    import base64

    b64 = base64.b64encode(f"{USER}:{CANARY}".encode()).decode()
    for text in (first.stdout, first.stderr, again.stdout, again.stderr):
        assert CANARY not in text
        assert b64 not in text
    assert CANARY not in argv_log.read_text()
    assert "--authfile" in argv_log.read_text()  # the base image came through a temp auth file
    for path in [
        *project.rglob("*"),
        *Path(os.environ.get("TMPDIR", "/tmp")).glob("mlrelease-auth-*"),
    ]:
        if path.is_file() and path.stat().st_size < 50_000_000:
            data = path.read_bytes()
            assert CANARY.encode() not in data, path
            assert b64.encode() not in data, path


def test_prerelease_gets_exact_tags_only(
    registry: rs.Registry, base_image: str, env: dict[str, str], tmp_path: Path
) -> None:
    repo = "ml/imgdemo-rc"
    project = make_project(
        tmp_path / "proj", version="2.0.0rc1", images=image_table(registry.host, repo, base_image)
    )
    result = mlrelease(project, "publish", "images")
    assert result.returncode == 0, result.stderr
    sha = head(project)
    assert registry.tags(repo) == sorted(["2.0.0rc1", f"sha-{sha[:7]}"])
    assert "latest" not in registry.tags(repo)
    assert "skipped latest" in result.stdout


def test_changed_image_under_existing_version_is_refused(
    registry: rs.Registry, base_image: str, env: dict[str, str], tmp_path: Path
) -> None:
    repo = "ml/imgdemo-immutable"
    project = make_project(
        tmp_path / "proj", version="3.0.0", images=image_table(registry.host, repo, base_image)
    )
    assert mlrelease(project, "publish", "images").returncode == 0
    published = registry.digest_of(repo, "3.0.0")
    # Same version, different content: someone rebuilt dist/ from a changed tree.
    write_code(project, "3.0.0", "two")
    build_wheel(project)
    result = mlrelease(project, "publish", "images")
    assert result.returncode == 1
    assert "refusing to move release tags" in result.stderr
    assert f"{registry.host}/{repo}:3.0.0 already points at {published}" in result.stderr
    assert "Traceback" not in result.stderr
    for tag in ("3.0.0", "3.0", "latest"):
        assert registry.digest_of(repo, tag) == published


def test_registry_down_before_tags_then_rerun_completes_and_latest_never_moves_early(
    registry: rs.Registry, base_image: str, env: dict[str, str], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    from mlrelease.errors import PublishError
    from mlrelease.images.publish import publish
    from mlrelease.images.registry import RegistryTarget
    from mlrelease.project import load_project

    repo = "ml/imgdemo-resume"
    project_dir = make_project(
        tmp_path / "proj", version="4.1.0", images=image_table(registry.host, repo, base_image)
    )
    monkeypatch.setenv("MLRELEASE_HTTP_RETRIES", "1")
    real_put = RegistryTarget.put_manifest

    def stop_before_first_tag(self: RegistryTarget, image, ref):  # type: ignore[no-untyped-def]
        if not ref.startswith("sha256:"):
            registry.stop()  # the registry goes away after the digest push, before any tag
        return real_put(self, image, ref)

    monkeypatch.setattr(RegistryTarget, "put_manifest", stop_before_first_tag)
    with pytest.raises(PublishError, match="unreachable"):
        publish(load_project(project_dir), dist=None, dry_run=False)
    registry.start()
    monkeypatch.setattr(RegistryTarget, "put_manifest", real_put)

    assert registry.tags(repo) == []  # the image is there by digest only
    manifest_puts = registry.requests("PUT", f"/v2/{repo}/manifests/")
    assert len(manifest_puts) == 1
    assert "sha256:" in manifest_puts[0]

    outcomes = publish(load_project(project_dir), dist=None, dry_run=False)
    digest = outcomes[0].digest
    assert outcomes[0].digest_state == "present"
    sha = head(project_dir)
    assert registry.tags(repo) == sorted(["4.1.0", "4.1", f"sha-{sha[:7]}", "latest"])
    assert registry.digest_of(repo, "latest") == digest
    order = [
        line.split(f"/v2/{repo}/manifests/")[1].split()[0]
        for line in registry.requests("PUT", f"/v2/{repo}/manifests/")
    ]
    assert order[0].startswith("sha256:")
    assert order.index("latest") > order.index("4.1.0")
    assert order.index("latest") > order.index(f"sha-{sha[:7]}")
    assert order.index("4.1") > order.index("4.1.0")


def test_embedded_oci_layout_when_no_registry(
    registry: rs.Registry,
    base_image: str,
    env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No target registry, so no credentials of mlrelease's own: the private base image is pulled
    # with the login the machine already has (as after `buildah login` in CI).
    monkeypatch.setenv("REGISTRY_AUTH_FILE", str(registry.authfile(tmp_path / "login.json")))
    rs.remove_local_images(base_image)  # really pulled, whatever ran before
    project = make_project(
        tmp_path / "proj", version="1.0.0", images=image_table(None, "imgdemo", base_image)
    )
    result = mlrelease(project, "publish", "images")
    assert result.returncode == 0, result.stderr
    layout = project / ".mlrelease/images/imgdemo"
    assert f"image oci:{layout}" in result.stdout
    inspect = subprocess.run(
        ["skopeo", "inspect", f"oci:{layout}:1.0.0"], capture_output=True, text=True, check=True
    )
    data = json.loads(inspect.stdout)
    assert data["Labels"]["org.opencontainers.image.version"] == "1.0.0"
    assert f"digest  {data['Digest']} (pushed)" in result.stdout
    again = mlrelease(project, "publish", "images")
    assert "already published" in again.stdout
    assert f"digest  {data['Digest']} (present)" in again.stdout

    # A hotfix on an older line (0.9.1 after 1.0.0) gets its own tags; latest stays on 1.0.0.
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('version = "1.0.0"', 'version = "0.9.1"'))
    write_code(project, "0.9.1", "hotfix")
    git(project, "commit", "-q", "-am", "fix: hotfix for 0.9")
    git(project, "tag", "-a", "v0.9.1", "-m", "v0.9.1")
    build_wheel(project)
    hotfix = mlrelease(project, "publish", "images")
    assert hotfix.returncode == 0, hotfix.stderr
    assert "tag     latest (kept at 1.0.0 (newer))" in hotfix.stdout
    assert "tag     0.9 (pushed)" in hotfix.stdout

    def version_at(tag: str) -> str:
        out = subprocess.run(
            ["skopeo", "inspect", f"oci:{layout}:{tag}"], capture_output=True, text=True, check=True
        ).stdout
        return str(json.loads(out)["Labels"]["org.opencontainers.image.version"])

    assert version_at("latest") == "1.0.0"
    assert version_at("0.9") == "0.9.1"
    assert version_at("1.0.0") == "1.0.0"


def test_dry_run_plan_and_user_mistakes(
    registry: rs.Registry, base_image: str, env: dict[str, str], tmp_path: Path
) -> None:
    repo = "ml/imgdemo-dry"
    project = make_project(
        tmp_path / "proj",
        version="5.0.0",
        images=image_table(registry.host, repo, base_image),
        tag=False,
    )
    no_tag = mlrelease(project, "publish", "images")
    assert no_tag.returncode == 1
    assert "no release tag points at HEAD" in no_tag.stderr
    git(project, "tag", "-a", "v5.0.0", "-m", "v5.0.0")
    dry = mlrelease(project, "publish", "images", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "dry run: nothing built or pushed" in dry.stdout
    assert "tag     5.0.0 (planned)" in dry.stdout
    assert registry.tags(repo) == []
    plan = mlrelease(project, "plan", "--stage", "images")
    assert f"{registry.host}/{repo}:latest (moving)" in plan.stdout, plan.stdout + plan.stderr
    no_engine = mlrelease(
        project, "publish", "images", extra_env={"MLRELEASE_CONTAINER_ENGINE": "podman-missing"}
    )
    assert no_engine.returncode == 1
    assert "container engine 'podman-missing' is not installed" in no_engine.stderr
    shutil.rmtree(project / "dist")
    no_wheel = mlrelease(project, "publish", "images")
    assert no_wheel.returncode == 1
    assert "no wheel of imgdemo 5.0.0" in no_wheel.stderr


# --- ACR: the Entra -> refresh token exchange, against a stub that follows the documented contract


class _ExchangeStub(BaseHTTPRequestHandler):
    refresh_token = "acr-refresh-0123456789abcdef"
    seen: list[dict[str, list[str]]] = []  # noqa: RUF012 - test stub state

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        type(self).seen.append(form)
        ok = (
            self.path == "/oauth2/exchange"
            and self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
            and form.get("grant_type") == ["access_token"]
            and form.get("service") == ["127.0.0.1"]
            and form.get("access_token", [""])[0].startswith("eyJ")
        )
        if form.get("access_token", [""])[0].endswith(".expired"):
            body = {
                "errors": [
                    {
                        "code": "UNAUTHORIZED",
                        "message": "AADSTS700024: Client assertion is not within its valid time range.",
                    }
                ]
            }
            status = 401
        elif ok:
            body, status = {"refresh_token": self.refresh_token}, 200
        else:
            body, status = {"errors": [{"code": "BAD_REQUEST", "message": "bad form"}]}, 400
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def _jwt(tid: str, suffix: str = "sig") -> str:
    import base64

    def part(obj: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'tid': tid, 'aud': 'https://management.azure.com'})}.{suffix}"


def test_acr_token_exchange_then_real_registry_accepts_the_refresh_token(
    registry: rs.Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlrelease._util.redact import redact
    from mlrelease.auth.registry import ACR_USERNAME, acr_credential, exchange_for_refresh_token
    from mlrelease.errors import AuthError
    from mlrelease.images.registry import RegistryTarget

    server = ThreadingHTTPServer(("127.0.0.1", 0), _ExchangeStub)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(registry.ca.server_cert, registry.ca.server_key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(registry.ca.ca_cert))
    host = f"127.0.0.1:{server.server_address[1]}"
    try:
        token = exchange_for_refresh_token(host, _jwt("tenant-1"), ssl_context=client_ctx)
        assert token == _ExchangeStub.refresh_token
        assert _ExchangeStub.seen[-1]["tenant"] == ["tenant-1"]
        assert redact(f"password {token}") == "password <hidden>"
        with pytest.raises(AuthError, match="AADSTS700024") as info:
            exchange_for_refresh_token(host, _jwt("tenant-1", "expired"), ssl_context=client_ctx)
        assert "right after azure/login" in str(info.value)

        # The keyless path: azure-identity gets the Entra token (managed identity here), then the
        # exchange; the stub checks the form it receives.
        monkeypatch.delenv("MLRELEASE_REGISTRY_PASSWORD", raising=False)
        with managed_identity(monkeypatch, _jwt("tenant-mi")) as resources:
            cred = acr_credential(host, ssl_context=client_ctx)
        assert (cred.username, cred.password) == (ACR_USERNAME, _ExchangeStub.refresh_token)
        assert "ManagedIdentityCredential" in cred.source
        assert resources == ["https://management.azure.com"]
        assert _ExchangeStub.seen[-1]["access_token"] == [_jwt("tenant-mi")]
        assert _ExchangeStub.seen[-1]["tenant"] == ["tenant-mi"]
    finally:
        server.shutdown()
        server.server_close()

    # Everything after the token is real: the registry takes the refresh token as the password of
    # the fixed ACR user name (this registry has that user in its htpasswd).
    registry.stop()
    registry.extra_users[ACR_USERNAME] = token
    registry.start()
    target = RegistryTarget(registry.host, "ml/acr-check", username=ACR_USERNAME, password=token,
                            credential_source="ACR exchange")  # fmt: skip
    target._ssl = client_ctx
    target.check()
    assert target.digest_of("nothing-here") is None
    wrong = RegistryTarget(registry.host, "ml/acr-check", username=ACR_USERNAME, password="nope-wrong",
                           credential_source="ACR exchange")  # fmt: skip
    wrong._ssl = client_ctx
    with pytest.raises(AuthError, match="rejected the credentials"):
        wrong.check()
