"""A real OCI registry on 127.0.0.1 for the image tests, and a locally made Python base image.

- :func:`oci_registry`: the CNCF distribution registry (Debian ``docker-registry``) with htpasswd
  (bcrypt, the only hash it accepts) and TLS from a throwaway CA made here with openssl. The CA goes
  into a bundle (system CAs + the test CA) exported as ``SSL_CERT_FILE``, which both Python's ssl
  module and the Go tools (buildah, skopeo) read: no ``--tls-verify=false`` anywhere.
  :meth:`Registry.stop` / :meth:`Registry.start` stop and restart it on the same port and storage.
- :func:`base_image_rootfs`: a root file system of the host's release (Debian bookworm here) with
  ``python3-minimal`` and ``python3-venv``, made by mmdebstrap from the machine's own apt sources
  and cached under ``~/.cache/mlrelease-tests/`` keyed by the package list;
  :func:`local_base_image` commits it to buildah's storage once.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import os
import shutil
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.integration.feedservers import CACHE, _cache_lock, _key, free_port

BASE_PACKAGES = ("python3-minimal", "python3-venv")


def _host_codename() -> str:
    """The host's release codename: mmdebstrap then uses the host's own apt sources (bookworm on
    Debian 12, noble on Ubuntu 24.04 runners)."""
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("VERSION_CODENAME=") and line.split("=", 1)[1].strip('"'):
                return line.split("=", 1)[1].strip('"')
    except OSError:
        pass
    return "bookworm"


BASE_SUITE = _host_codename()
BUILDAH = ("buildah",)  # its configured storage driver (overlay here; STORAGE_DRIVER=vfs elsewhere)
SYSTEM_CAS = Path("/etc/ssl/certs/ca-certificates.crt")


# --- a throwaway CA -----------------------------------------------------------------------------


@dataclass(frozen=True)
class TestCA:
    ca_cert: Path
    server_cert: Path
    server_key: Path
    bundle: Path  # system CAs + this CA (for SSL_CERT_FILE)


def make_ca(workdir: Path) -> TestCA:
    """A CA and a server certificate for 127.0.0.1 / localhost, valid for one day."""
    workdir.mkdir(parents=True, exist_ok=True)

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=workdir, check=True, capture_output=True)

    openssl(
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        "-keyout", "ca.key", "-out", "ca.crt", "-subj", "/CN=mlrelease test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
    )  # fmt: skip
    openssl(
        "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
        "-subj", "/CN=127.0.0.1",
    )  # fmt: skip
    (workdir / "san.ext").write_text(
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n"
    )
    openssl(
        "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-CAcreateserial", "-days", "1", "-out", "server.crt", "-extfile", "san.ext",
    )  # fmt: skip
    bundle = workdir / "bundle.pem"
    system = SYSTEM_CAS.read_text() if SYSTEM_CAS.exists() else ""
    bundle.write_text(system + "\n" + (workdir / "ca.crt").read_text())
    return TestCA(workdir / "ca.crt", workdir / "server.crt", workdir / "server.key", bundle)


# --- the registry --------------------------------------------------------------------------------


@dataclass
class Registry:
    """A running distribution registry with one htpasswd user."""

    workdir: Path
    ca: TestCA
    username: str
    password: str
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    extra_users: dict[str, str] = field(default_factory=dict)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "registry.log"

    def write_config(self) -> Path:
        import bcrypt

        users = {self.username: self.password, **self.extra_users}
        lines = [
            f"{u}:{bcrypt.hashpw(p.encode(), bcrypt.gensalt(rounds=5)).decode()}"
            for u, p in users.items()
        ]
        (self.workdir / "htpasswd").write_text("\n".join(lines) + "\n")
        config = self.workdir / "registry.yml"
        config.write_text(
            "version: 0.1\n"
            "log:\n  level: info\n  accesslog:\n    disabled: false\n"
            "storage:\n"
            f"  filesystem:\n    rootdirectory: {self.workdir / 'data'}\n"
            "  delete:\n    enabled: true\n"
            "http:\n"
            f"  addr: 127.0.0.1:{self.port}\n"
            f"  tls:\n    certificate: {self.ca.server_cert}\n    key: {self.ca.server_key}\n"
            "auth:\n"
            f"  htpasswd:\n    realm: mlrelease-tests\n    path: {self.workdir / 'htpasswd'}\n"
        )
        return config

    def start(self) -> None:
        config = self.write_config()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                ["docker-registry", "serve", str(config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        ctx = ssl.create_default_context(cafile=str(self.ca.ca_cert))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"registry exited:\n{self.log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(f"https://{self.host}/v2/", timeout=2, context=ctx).close()
                return
            except urllib.error.HTTPError as exc:
                if exc.code == 401:
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"registry not ready:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.proc = None

    # --- reading the registry as a user would (curl-like, with the test credentials) -----------

    def _get(self, path: str, accept: str = "") -> tuple[int, dict[str, str], bytes]:
        ctx = ssl.create_default_context(cafile=str(self.ca.ca_cert))
        req = urllib.request.Request(f"https://{self.host}{path}")
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        req.add_header("Authorization", f"Basic {token}")
        if accept:
            req.add_header("Accept", accept)
        try:
            with urllib.request.urlopen(req, timeout=10, context=ctx) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()

    def tags(self, repo: str) -> list[str]:
        status, _, body = self._get(f"/v2/{repo}/tags/list")
        if status == 404:
            return []
        return sorted(json.loads(body).get("tags") or [])

    def digest_of(self, repo: str, ref: str) -> str | None:
        accept = (
            "application/vnd.oci.image.manifest.v1+json,"
            "application/vnd.docker.distribution.manifest.v2+json,"
            "application/vnd.oci.image.index.v1+json"
        )
        status, _headers, body = self._get(f"/v2/{repo}/manifests/{ref}", accept)
        if status != 200:
            return None
        return "sha256:" + hashlib.sha256(body).hexdigest()

    def requests(self, method: str, needle: str) -> list[str]:
        """Access-log lines of ``method`` requests whose path contains ``needle``, in order."""
        text = self.log.read_text(errors="replace")
        return [
            line
            for line in text.splitlines()
            if f'"{method} ' in line and needle in line and "HTTP/" in line
        ]

    def authfile(self, dest: Path) -> Path:
        token = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        dest.write_text(json.dumps({"auths": {self.host: {"auth": token}}}))
        dest.chmod(0o600)
        return dest


@contextlib.contextmanager
def oci_registry(
    workdir: Path,
    *,
    username: str = "ci",
    password: str = "registry-pw",  # noqa: S107 - a throwaway test password
) -> Iterator[Registry]:
    """A started registry; always stopped afterwards."""
    workdir.mkdir(parents=True, exist_ok=True)
    reg = Registry(workdir, make_ca(workdir / "ca"), username, password)
    try:
        reg.start()
        yield reg
    finally:
        reg.stop()


# --- the base image ------------------------------------------------------------------------------


def base_image_rootfs() -> Path:
    """``rootfs.tar`` of the host release + python3, made once by mmdebstrap and cached."""
    key = _key(BASE_SUITE, *BASE_PACKAGES)
    entry = CACHE / f"base-rootfs-{key}"
    with _cache_lock(entry.name):
        tar = entry / "rootfs.tar"
        if tar.exists():
            return tar
        entry.mkdir(parents=True, exist_ok=True)
        partial = entry / "rootfs.tar.partial"
        subprocess.run(
            [
                "mmdebstrap",
                "--quiet",
                "--variant=apt",
                "--include=" + ",".join(BASE_PACKAGES),
                BASE_SUITE,
                str(partial),
            ],
            check=True,
            capture_output=True,
        )
        partial.rename(tar)
        return tar


def local_base_image() -> str:
    """The base image in buildah's local storage (``localhost/mlrelease-tests/python:<key>``)."""
    tar = base_image_rootfs()
    key = _key(BASE_SUITE, *BASE_PACKAGES)
    name = f"localhost/mlrelease-tests/python:{BASE_SUITE}-{key}"
    with _cache_lock(f"base-image-{key}"):
        found = subprocess.run([*BUILDAH, "inspect", "--type", "image", name], capture_output=True)
        if found.returncode == 0:
            return name
        ctr = subprocess.run(
            [*BUILDAH, "from", "scratch"], check=True, capture_output=True, text=True
        ).stdout.strip()
        try:
            subprocess.run([*BUILDAH, "add", ctr, str(tar), "/"], check=True, capture_output=True)
            subprocess.run(
                [*BUILDAH, "config", "--cmd", '["python3"]', "--env", "LANG=C.UTF-8", ctr],
                check=True,
                capture_output=True,
            )
            subprocess.run(
                [*BUILDAH, "commit", "-q", "--timestamp", "0", ctr, name],
                check=True,
                capture_output=True,
            )
        finally:
            subprocess.run([*BUILDAH, "rm", ctr], capture_output=True)
    return name


def push_base_image(registry: Registry, repo: str = "base/python:bookworm") -> str:
    """Push the local base image to ``registry``; returns the reference to use in FROM."""
    local = local_base_image()
    dest = f"{registry.host}/{repo}"
    with tempfile.TemporaryDirectory() as tmp:
        auth = registry.authfile(Path(tmp) / "auth.json")
        subprocess.run(
            [*BUILDAH, "push", "--quiet", "--authfile", str(auth), local, f"docker://{dest}"],
            check=True,
            capture_output=True,
            env={**os.environ, "SSL_CERT_FILE": str(registry.ca.bundle)},
        )
    return dest


def run_in_image(image: str, *argv: str, env: dict[str, str] | None = None) -> str:
    """Run ``argv`` inside ``image`` (buildah from + run --isolation chroot); stdout."""
    full_env = {**os.environ, **(env or {})}
    ctr = subprocess.run(
        [*BUILDAH, "from", "--quiet", image],
        check=True,
        capture_output=True,
        text=True,
        env=full_env,
    ).stdout.strip()
    try:
        return subprocess.run(
            [*BUILDAH, "run", "--isolation", "chroot", ctr, "--", *argv],
            check=True,
            capture_output=True,
            text=True,
            env=full_env,
        ).stdout
    finally:
        subprocess.run([*BUILDAH, "rm", ctr], capture_output=True)


def remove_local_images(prefix: str) -> None:
    """Remove buildah images whose name starts with ``prefix`` (test leftovers)."""
    out = subprocess.run(
        [*BUILDAH, "images", "--format", "{{.Name}}:{{.Tag}}"], capture_output=True, text=True
    ).stdout
    names = [n for n in out.split() if n.startswith(prefix)]
    if names:
        subprocess.run([*BUILDAH, "rmi", "-f", *names], capture_output=True)


def which_all(*tools: str) -> list[str]:
    return [t for t in tools if shutil.which(t) is None]


def push_multiarch_base(registry: Registry, repo: str = "base/tiny:1") -> str:
    """A two-platform base image (linux/amd64 + linux/arm64, one small file each, no shell: made
    without running anything of the foreign architecture), pushed as an index to ``registry``."""
    dest = f"{registry.host}/{repo}"
    env = {**os.environ, "SSL_CERT_FILE": str(registry.ca.bundle)}
    listname = f"localhost/mlrelease-tests/tiny-list-{registry.port}"
    subprocess.run([*BUILDAH, "manifest", "rm", listname], capture_output=True)
    subprocess.run([*BUILDAH, "manifest", "create", listname], check=True, capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        for arch in ("amd64", "arm64"):
            marker = Path(tmp) / f"platform-{arch}"
            marker.write_text(f"base for linux/{arch}\n")
            ctr = subprocess.run(
                [*BUILDAH, "from", "--arch", arch, "--os", "linux", "scratch"],
                check=True, capture_output=True, text=True,
            ).stdout.strip()  # fmt: skip
            try:
                subprocess.run([*BUILDAH, "copy", ctr, str(marker), "/etc/platform"], check=True,
                               capture_output=True)  # fmt: skip
                subprocess.run([*BUILDAH, "config", "--arch", arch, "--os", "linux", ctr],
                               check=True, capture_output=True)  # fmt: skip
                image = f"localhost/mlrelease-tests/tiny:{arch}"
                subprocess.run([*BUILDAH, "commit", "-q", "--timestamp", "0", ctr, image],
                               check=True, capture_output=True)  # fmt: skip
            finally:
                subprocess.run([*BUILDAH, "rm", ctr], capture_output=True)
            subprocess.run([*BUILDAH, "manifest", "add", listname, image], check=True,
                           capture_output=True)  # fmt: skip
        auth = registry.authfile(Path(tmp) / "auth.json")
        subprocess.run(
            [*BUILDAH, "manifest", "push", "--all", "--quiet", "--authfile", str(auth), listname,
             f"docker://{dest}"],
            check=True, capture_output=True, env=env,
        )  # fmt: skip
    subprocess.run([*BUILDAH, "manifest", "rm", listname], capture_output=True)
    return dest
