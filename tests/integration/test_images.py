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

from tests.cyclonedx_schema import validate_cyclonedx
from tests.integration import registry_server as rs
from tests.integration.azure_stub import managed_identity
from tests.integration.gitrepo import GIT_ENV, git

# One pytest-xdist worker for every image test (./ci/test: --dist loadgroup): buildah's storage and
# the base image are shared; the other workers run the rest of the suite meanwhile.
pytestmark = [pytest.mark.images, pytest.mark.integration, pytest.mark.xdist_group("images")]

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
    assert "iB (compressed layers + config)" in first.stdout

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
    # The image's created time is the commit's (SOURCE_DATE_EPOCH), as the label says; not 1970.
    from datetime import datetime, timezone

    committed = int(git(project, "log", "-1", "--format=%ct"))
    created = datetime.fromtimestamp(committed, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["Labels"]["org.opencontainers.image.created"] == created
    assert data["Created"].replace("+00:00", "Z") == created
    assert "build args were not consumed" not in result.stdout + result.stderr
    # A rerun with --sbom: the image is in place (present); its SBOM (the wheelhouse pins + the
    # released wheel) goes into the layout as an artifact whose subject is the image, once only.
    with_sbom = mlrelease(project, "publish", "images", "--sbom")
    assert with_sbom.returncode == 0, with_sbom.stderr
    assert f"digest  {data['Digest']} (present)" in with_sbom.stdout
    assert "already published" not in with_sbom.stdout  # the SBOM is new
    assert "referrer of " + data["Digest"] + ": index.json entry (added)" in with_sbom.stdout
    sbom = json.loads((project / ".mlrelease/sbom/imgdemo.cdx.json").read_text())
    validate_cyclonedx(sbom)
    packages = {c["name"]: c["version"] for c in sbom["components"]}
    pins = (project / ".mlrelease/images/.cache").glob("wheelhouse-*/requirements.txt")
    assert packages == {"imgdemo": "1.0.0", "six": next(pins).read_text().split("==")[1].strip()}
    entries = json.loads((layout / "index.json").read_text())["manifests"]
    (artifact,) = [e for e in entries if e.get("artifactType") == "application/vnd.cyclonedx+json"]
    manifest = json.loads((layout / "blobs/sha256" / artifact["digest"][7:]).read_text())
    assert manifest["subject"]["digest"] == data["Digest"]
    again = mlrelease(project, "publish", "images", "--sbom")
    assert "already published" in again.stdout
    assert f"digest  {data['Digest']} (present)" in again.stdout
    assert "index.json entry (present)" in again.stdout

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


# --- two platforms: an OCI index, cross-repo mounts, streamed build logs, the SBOM as a referrer --

MULTI_DOCKERFILE = """\
FROM {base}
ARG VERSION
COPY app.txt /app/app.txt
"""


def multi_table(registry: str | None, name: str) -> str:
    where = f'registry = "{registry}"\n' if registry else ""
    return (
        f'[[tool.mlrelease.publish.images]]\nname = "{name}"\n{where}'
        'dockerfile = "Dockerfile"\nplatforms = ["linux/amd64", "linux/arm64"]\n'
        "build-timeout = 10\n"
    )


def test_two_platform_index_mounts_sbom_referrer_outputs_and_rerun_pushes_nothing(
    registry: rs.Registry, env: dict[str, str], tmp_path: Path
) -> None:
    base = rs.push_multiarch_base(registry, "base/tiny:1")
    first_repo, second_repo = "ml/multi", "ml/multi-copy"
    project = tmp_path / "proj"
    make_project(
        project,
        version="1.0.0",
        images=multi_table(registry.host, first_repo)
        + "\n"
        + multi_table(registry.host, second_repo)
        + "\n"
        + multi_table(None, "multi-local"),  # the embedded OCI layout
        tag=False,
    )
    (project / "Dockerfile").write_text(MULTI_DOCKERFILE.format(base=base))
    (project / "app.txt").write_text("the same file on every platform\n")
    git(project, "add", "-A")
    git(project, "commit", "-q", "-m", "feat: a project Dockerfile")
    git(project, "tag", "-a", "v1.0.0", "-m", "v1.0.0")
    build_wheel(project)
    outputs = tmp_path / "github_output"
    login = registry.authfile(tmp_path / "login.json")  # the layout image pulls the base too
    actions = {
        "GITHUB_ACTIONS": "true",
        "GITHUB_OUTPUT": str(outputs),
        "REGISTRY_AUTH_FILE": str(login),
    }
    first = mlrelease(project, "publish", "images", "--sbom", "--json", extra_env=actions)
    assert first.returncode == 0, first.stderr
    digest = registry.digest_of(first_repo, "1.0.0")
    assert digest is not None

    # The index: two platforms, pushed by digest before the tags, and what `skopeo inspect --raw`
    # (what a deploy pulls) shows.
    raw = subprocess.run(
        ["skopeo", "inspect", "--raw", "--creds", f"{USER}:{CANARY}",
         f"docker://{registry.host}/{first_repo}:1.0.0"],
        capture_output=True, text=True, check=True,
        env={**os.environ, "SSL_CERT_FILE": str(registry.ca.bundle)},
    ).stdout  # fmt: skip
    index = json.loads(raw)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert sorted(m["platform"]["architecture"] for m in index["manifests"]) == ["amd64", "arm64"]
    for entry in index["manifests"]:  # each platform's manifest is there by digest
        assert registry.digest_of(first_repo, entry["digest"]) == entry["digest"]
    order = [
        line.split(f"/v2/{first_repo}/manifests/")[1].split()[0]
        for line in registry.requests("PUT", f"/v2/{first_repo}/manifests/")
    ]
    assert order.index(digest) == 2  # both platforms first, then the index, then tags
    assert order.index("1.0.0") > order.index(digest)
    assert order.index("latest") > order.index("1.0.0")
    assert registry.digest_of(second_repo, "1.0.0") == digest  # reproducible: same digest

    # Cross-repo mounts: base layers from the base image's repository, and the second image's
    # blobs from the first one: the second image uploaded nothing.
    posts = registry.requests("POST", "/blobs/uploads/")
    mounted = [p for p in posts if "?mount=sha256" in p and '" 201 ' in p]
    assert any(f"/v2/{first_repo}/blobs/uploads/" in p and "from=base%2Ftiny" in p for p in mounted)
    assert any(
        f"/v2/{second_repo}/blobs/uploads/" in p and "from=ml%2Fmulti " in p for p in mounted
    )
    uploads = " ".join(registry.requests("PUT", f"/v2/{second_repo}/blobs/uploads/"))
    for entry in index["manifests"]:
        _, _, body = registry._get(
            f"/v2/{first_repo}/manifests/{entry['digest']}", entry["mediaType"]
        )
        manifest = json.loads(body)
        for blob in [manifest["config"], *manifest["layers"]]:
            assert f"digest={blob['digest']}" not in uploads
    assert "mounted from base/tiny" in first.stderr

    # Build logs streamed, folded per image and platform (Actions), with the build's own lines.
    for repo in (first_repo, second_repo):
        for platform in ("linux/amd64", "linux/arm64"):
            assert f"::group::build {registry.host}/{repo} {platform}" in first.stderr
    assert "::endgroup::" in first.stderr
    assert "COPY app.txt /app/app.txt" in first.stderr

    # Outputs: the digests for a deploy job, on GitHub Actions and in --json.
    # (on Actions, stdout also carries the ::add-mask:: commands for the secrets: skip them)
    data = json.loads(
        "\n".join(x for x in first.stdout.splitlines() if not x.startswith("::add-mask::"))
    )
    layout = project / ".mlrelease/images/multi-local"
    expected = {
        f"{registry.host}/{first_repo}": digest,
        f"{registry.host}/{second_repo}": digest,
        f"oci:{layout}": digest,  # the same build: the same index
    }
    assert data["digests"] == expected
    lines = outputs.read_text().splitlines()
    assert lines == ["digests=" + json.dumps(expected, separators=(",", ":"))]

    # The SBOM: a file, and an OCI referrer of the index. distribution 2.8 has no referrers API
    # (404), so the OCI 1.1 fallback tag sha256-<hex> lists it; a registry with the API (ACR)
    # answers GET /v2/<name>/referrers/<digest> instead.
    status, _, _ = registry._get(f"/v2/{first_repo}/referrers/{digest}")
    assert status == 404
    fallback = digest.replace(":", "-")
    assert fallback in registry.tags(first_repo)
    status, _, body = registry._get(
        f"/v2/{first_repo}/manifests/{fallback}", "application/vnd.oci.image.index.v1+json"
    )
    assert status == 200
    referrers = json.loads(body)["manifests"]
    assert [r["artifactType"] for r in referrers] == ["application/vnd.cyclonedx+json"]
    status, _, body = registry._get(
        f"/v2/{first_repo}/manifests/{referrers[0]['digest']}",
        "application/vnd.oci.image.manifest.v1+json",
    )
    art = json.loads(body)
    assert art["subject"]["digest"] == digest
    assert art["artifactType"] == "application/vnd.cyclonedx+json"
    status, _, body = registry._get(f"/v2/{first_repo}/blobs/{art['layers'][0]['digest']}")
    sbom = json.loads(body)
    validate_cyclonedx(sbom)
    assert sbom["metadata"]["component"]["hashes"][0]["content"] == digest.split(":")[1]
    packages = {c["name"]: c["version"] for c in sbom["components"]}
    assert packages["imgdemo"] == "1.0.0"
    assert packages["six"]  # the wheel's dependency, with its version
    sbom_file = project / ".mlrelease/sbom/ml_multi.cdx.json"
    assert json.loads(sbom_file.read_text()) == sbom
    assert data["images"][0]["sbom"]["referrers"] == f"tag {fallback} (added)"

    # The embedded layout holds the index, both platforms' manifests and the SBOM artifact.
    local = subprocess.run(
        ["skopeo", "inspect", "--raw", f"oci:{layout}:1.0.0"], capture_output=True, text=True,
        check=True,
    ).stdout  # fmt: skip
    assert json.loads(local) == index
    for arch in ("amd64", "arm64"):
        inspect = subprocess.run(
            ["skopeo", "--override-arch", arch, "inspect", f"oci:{layout}:1.0.0"],
            capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
        assert json.loads(inspect)["Architecture"] == arch
    assert data["images"][2]["sbom"]["referrers"] == "index.json entry (added)"

    # A rerun: nothing pushed (no blob, no manifest, no tag, no referrer), and it says so.
    puts = len(registry.requests("PUT", "/v2/ml/multi"))
    posts = len(registry.requests("POST", "/v2/ml/multi"))
    again = mlrelease(
        project, "publish", "images", "--sbom", extra_env={"REGISTRY_AUTH_FILE": str(login)}
    )
    assert again.returncode == 0, again.stderr
    assert "already published" in again.stdout
    assert len(registry.requests("PUT", "/v2/ml/multi")) == puts
    assert len(registry.requests("POST", "/v2/ml/multi")) == posts
    assert f"digest  {digest} (present)" in again.stdout


def test_blob_upload_restarts_after_the_registry_drops_out(
    registry: rs.Registry, env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry goes away in the middle of a blob upload: the upload session is restarted
    (bounded, with backoff) once it is back, and the blob arrives intact."""
    from mlrelease.images.layout import Blob, LayoutImage, blob_path, sha256_digest
    from mlrelease.images.registry import RegistryTarget

    data = os.urandom(300_000)
    digest = sha256_digest(data)
    path = blob_path(tmp_path, digest)
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    blob = Blob(digest, len(data), "application/octet-stream")
    image = LayoutImage(tmp_path, b"{}", "m", sha256_digest(b"{}"), (blob,))
    target = RegistryTarget(registry.host, "ml/retry", username=USER, password=CANARY)
    sleeps: list[float] = []

    def back_online(delay: float) -> None:
        sleeps.append(delay)
        registry.start()

    target.sleep = back_online
    real_send = RegistryTarget._send
    dropped: list[str] = []

    def drop_first_upload(self, method, url, headers, body=None, **limits):  # type: ignore[no-untyped-def]
        if method == "PUT" and "digest=" in url and not dropped:
            dropped.append(url)
            registry.stop()  # the session was opened; the upload itself finds nobody
        return real_send(self, method, url, headers, body, **limits)

    monkeypatch.setattr(RegistryTarget, "_send", drop_first_upload)
    assert target.put_blob(image, blob) == "uploaded"
    assert dropped
    assert len(sleeps) == 1
    assert target.has_blob(digest)
    status, _, body = registry._get(f"/v2/ml/retry/blobs/{digest}")
    assert status == 200
    assert body == data
    posts = registry.requests("POST", "/v2/ml/retry/blobs/uploads/")
    assert len([p for p in posts if '" 202 ' in p]) == 2  # a new session after the failure

    # A registry that stays away: a bounded number of tries, then a clear message.
    monkeypatch.setenv("MLRELEASE_HTTP_RETRIES", "2")
    other = RegistryTarget(registry.host, "ml/retry2", username=USER, password=CANARY)
    other.sleep = lambda delay: None
    dropped.clear()
    from mlrelease.errors import PublishError

    with pytest.raises(PublishError, match=r"unreachable|failed") as info:
        other.put_blob(image, blob)
    assert CANARY not in str(info.value)
    registry.start()
