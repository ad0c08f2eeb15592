"""Real PyPI-compatible feeds on 127.0.0.1 for the publishing tests, and loopback fault proxies.

- pypiserver with htpasswd auth, run from its own cached venv without bcrypt (pypiserver #668:
  passlib 1.7.4 + bcrypt 5 crash at start), apr1 hashes;
- devpi-server with a non-volatile index (the serverdir made by devpi-init is cached as a template);
- :class:`FaultProxy`, a reverse proxy that forwards to a feed and misbehaves on the first upload:
  answers 502 after forwarding it, drops the connection after forwarding it, or drops the connection
  half-way through the upload (nothing forwarded);
- :func:`tiny_dists`, real sdists and wheels of a throwaway project, built once and cached.

Every server picks a free port, waits until it answers and is always stopped. Caches live under
``~/.cache/mlrelease-tests/`` keyed by their inputs, never in the repository.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

CACHE = Path.home() / ".cache" / "mlrelease-tests"
SERVER_REQUIREMENTS = (
    "pypiserver==2.4.2",
    "passlib==1.7.4",
    "devpi-server==6.20.3",
    "devpi-client==7.3.0",
)
ROOT = Path(__file__).resolve().parents[2]


def _key(*parts: str) -> str:
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def _uv() -> str:
    return shutil.which("uv") or str(Path(sys.executable).parent / "uv")


@contextlib.contextmanager
def _cache_lock(name: str) -> Iterator[None]:
    """One builder at a time for a cache entry (parallel test runs)."""
    import fcntl

    CACHE.mkdir(parents=True, exist_ok=True)
    with (CACHE / f".{name}.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def server_venv() -> Path:
    """A venv with pypiserver, passlib and devpi (no bcrypt 5), cached by requirement set."""
    py = f"{sys.version_info[0]}.{sys.version_info[1]}"
    venv = CACHE / f"feedservers-{_key(py, *SERVER_REQUIREMENTS)}"
    with _cache_lock(venv.name):
        if (venv / ".complete").exists():
            return venv
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([_uv(), "venv", "-q", "--python", sys.executable, str(venv)], check=True)
        subprocess.run(
            [
                _uv(),
                "pip",
                "install",
                "-q",
                "--python",
                str(venv / "bin/python"),
                *SERVER_REQUIREMENTS,
            ],
            check=True,
        )
        probe = subprocess.run(
            [str(venv / "bin/python"), "-c", "import bcrypt; print(bcrypt.__version__)"],
            capture_output=True,
            text=True,
        )
        if probe.returncode == 0 and probe.stdout.startswith("5"):
            raise RuntimeError("bcrypt 5 in the pypiserver venv: pypiserver would crash (#668)")
        (venv / ".complete").write_text("ok\n")
    return venv


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 120) -> None:
    """Until ``url`` gives any HTTP answer; fail with the server's log if it dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited ({proc.returncode}):\n{log.read_text()[-3000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server not ready after {timeout} s:\n{log.read_text()[-3000:]}")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


@dataclass
class Feed:
    """A running feed: where to upload, the simple index, the account, and its stored files."""

    upload_url: str
    index_url: str
    username: str
    password: str
    kind: str
    packages: Path | None = None  # pypiserver's package directory

    def index_url_with_auth(self) -> str:
        return self.index_url.replace("://", f"://{self.username}:{self.password}@", 1)

    def listing(self, name: str) -> list[str]:
        """Filenames the simple index lists for ``name`` (read with the account)."""
        from mlrelease._util.http import basic_auth_header
        from mlrelease.wheels.feed import parse_simple_page

        url = f"{self.index_url}{name}/"
        req = urllib.request.Request(url)
        req.add_header("Authorization", basic_auth_header(self.username, self.password))
        try:
            with urllib.request.urlopen(req, timeout=10) as resp:
                html = resp.read().decode()
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise
        return sorted(parse_simple_page(html, url))


@contextlib.contextmanager
def pypiserver(
    workdir: Path,
    *,
    username: str = "ci",
    password: str = "ci-secret",  # noqa: S107 - a throwaway test server
) -> Iterator[Feed]:
    venv = server_venv()
    packages = workdir / "packages"
    packages.mkdir(parents=True)
    htpasswd = workdir / "htpasswd"
    subprocess.run(
        [
            str(venv / "bin/python"),
            "-c",
            "import sys; from passlib.apache import HtpasswdFile as H; "
            "h = H(sys.argv[1], new=True, default_scheme='apr_md5_crypt'); "
            "h.set_password(sys.argv[2], sys.stdin.read()); h.save()",
            str(htpasswd),
            username,
        ],
        input=password.encode(),
        check=True,
    )
    port = free_port()
    log = workdir / "pypiserver.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                str(venv / "bin/pypi-server"),
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                str(port),
                "-P",
                str(htpasswd),
                "-a",
                "update,download,list",
                # Never redirect unknown names to pypi.org: a feed must answer for itself.
                "--disable-fallback",
                str(packages),
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/", proc, log)
        base = f"http://127.0.0.1:{port}/"
        yield Feed(base, base + "simple/", username, password, "pypiserver", packages)
    finally:
        _stop(proc)


def _devpi_template() -> Path:
    """A devpi serverdir right after devpi-init (root password 'rootpw'), cached."""
    venv = server_venv()
    template = CACHE / f"devpi-serverdir-{venv.name}"
    with _cache_lock(template.name):
        if not (template / ".complete").exists():
            shutil.rmtree(template, ignore_errors=True)
            subprocess.run(
                [
                    str(venv / "bin/devpi-init"),
                    "--serverdir",
                    str(template),
                    "--root-passwd",
                    "rootpw",
                    "--no-root-pypi",
                ],
                check=True,
                capture_output=True,
            )
            (template / ".complete").write_text("ok\n")
    return template


@dataclass
class DevpiServer:
    base: str
    _count: int = 0

    def _call(
        self, method: str, path: str, body: dict[str, object], auth: tuple[str, str] | None
    ) -> None:
        from mlrelease._util.http import basic_auth_header

        req = urllib.request.Request(
            self.base + path, data=json.dumps(body).encode(), method=method
        )
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json")
        if auth:
            req.add_header("Authorization", basic_auth_header(*auth))
        with urllib.request.urlopen(req, timeout=30) as resp:
            resp.read()

    def new_index(
        self,
        username: str = "ci",
        password: str = "ci-secret",  # noqa: S107 - a throwaway test server
    ) -> Feed:
        """A fresh user and non-volatile index (so identical re-uploads are the only kind allowed)."""
        self._count += 1
        user = f"{username}{self._count}"
        self._call("PUT", user, {"password": password, "email": f"{user}@example.invalid"}, None)
        self._call(
            "PUT",
            f"{user}/ml",
            {"type": "stage", "volatile": False, "bases": []},
            (user, password),
        )
        upload = f"{self.base}{user}/ml/"
        return Feed(upload, upload + "+simple/", user, password, "devpi")


@contextlib.contextmanager
def devpi_server(workdir: Path) -> Iterator[DevpiServer]:
    venv = server_venv()
    serverdir = workdir / "devpi"
    shutil.copytree(_devpi_template(), serverdir)
    port = free_port()
    log = workdir / "devpi.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(
            [
                str(venv / "bin/devpi-server"),
                "--serverdir",
                str(serverdir),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            stdout=fh,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        wait_http(f"http://127.0.0.1:{port}/+api", proc, log)
        yield DevpiServer(f"http://127.0.0.1:{port}/")
    finally:
        _stop(proc)


# --- fault proxies -----------------------------------------------------------------------------

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade"}


@dataclass
class FaultProxy:
    """A reverse proxy in front of a feed; ``fault`` applies to the first upload (POST) only.

    Faults: ``None`` (pass-through, count requests), ``"502-after-forward"``,
    ``"drop-after-forward"``, ``"drop-midway"``.
    """

    upstream: str
    fault: str | None = None
    posts: list[str] = field(default_factory=list)
    faulted: int = 0
    url: str = ""
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def take_fault(self, method: str, path: str) -> str | None:
        if method != "POST":
            return None
        with self._lock:
            self.posts.append(path)
            if self.fault and self.faulted == 0:
                self.faulted += 1
                return self.fault
        return None

    def feed(self, feed: Feed) -> Feed:
        """``feed`` as seen through this proxy."""
        return Feed(
            feed.upload_url.replace(self.upstream, self.url),
            feed.index_url.replace(self.upstream, self.url),
            feed.username,
            feed.password,
            feed.kind,
            feed.packages,
        )


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _ProxyServer

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        self._forward("GET")

    def do_POST(self) -> None:
        self._forward("POST")

    def do_PUT(self) -> None:
        self._forward("PUT")

    def _drop(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(
                socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
            )
            self.connection.shutdown(socket.SHUT_RDWR)

    def _forward(self, method: str) -> None:
        proxy = self.server.proxy
        fault = proxy.take_fault(method, self.path)
        length = int(self.headers.get("Content-Length", "0") or 0)
        if fault == "drop-midway":
            self.rfile.read(length // 2)
            self._drop()
            return
        body = self.rfile.read(length) if length else None
        target = urlsplit(proxy.upstream)
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
        headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
        conn.request(method, self.path, body=body, headers=headers)
        resp = conn.getresponse()
        data = resp.read()
        conn.close()
        if fault == "drop-after-forward":
            self._drop()
            return
        if fault == "502-after-forward":
            payload = b"502 Bad Gateway (injected by the test proxy)"
            self.send_response(502)
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)
            self.close_connection = True
            return
        self.send_response(resp.status, resp.reason)
        for key, value in resp.getheaders():
            if key.lower() not in HOP_BY_HOP and key.lower() != "content-length":
                self.send_header(key, value)
        self.send_header("Content-Length", str(len(data)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = True


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    proxy: FaultProxy


@contextlib.contextmanager
def fault_proxy(upstream: str, fault: str | None = None) -> Iterator[FaultProxy]:
    """A running :class:`FaultProxy` in front of ``upstream`` (``http://127.0.0.1:PORT/``)."""
    upstream_base = upstream.split("/", 3)
    base = "/".join(upstream_base[:3]) + "/"
    server = _ProxyServer(("127.0.0.1", 0), _ProxyHandler)
    proxy = FaultProxy(base, fault)
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}/"
    server.proxy = proxy
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


# --- a tiny real project, built once -----------------------------------------------------------

TINY_PYPROJECT = """\
[build-system]
requires = ["setuptools>=68"]
build-backend = "setuptools.build_meta"

[project]
name = "tinypkg"
version = "{version}"
description = "A tiny package for mlrelease's publishing tests."
readme = "README.md"
requires-python = ">=3.8"
license = "MIT"
{extra}
"""


def _build_variant(dest: Path, *, version: str, value: str) -> None:
    """sdist + py3 wheel + py311 wheel (three real files) of tinypkg with ``VALUE = value``."""
    with tempfile.TemporaryDirectory() as tmp:
        for tag_extra, what in (("", ["--sdist", "--wheel"]), ("py311", ["--wheel"])):
            src = Path(tmp) / f"src-{tag_extra or 'py3'}"
            (src / "src/tinypkg").mkdir(parents=True)
            extra = (
                f'\n[tool.distutils.bdist_wheel]\npython-tag = "{tag_extra}"\n' if tag_extra else ""
            )
            (src / "pyproject.toml").write_text(TINY_PYPROJECT.format(version=version, extra=extra))
            (src / "README.md").write_text("# tinypkg\n\nA tiny package used by tests.\n")
            (src / "src/tinypkg/__init__.py").write_text(f'VALUE = "{value}"\n')
            env = {**os.environ, "SOURCE_DATE_EPOCH": "1700000000"}
            subprocess.run(
                [_uv(), "build", "-q", *what, "--out-dir", str(dest), str(src)],
                check=True,
                env=env,
                capture_output=True,
            )


def tiny_dists(variant: str = "base", version: str = "1.0.0") -> Path:
    """A cached directory with three real files of tinypkg ``version``; variants differ in content."""
    key = _key(TINY_PYPROJECT, variant, version, "v1")
    out = CACHE / f"tinypkg-dists-{key}"
    with _cache_lock(out.name):
        if not (out / ".complete").exists():
            shutil.rmtree(out, ignore_errors=True)
            _build_variant(out, version=version, value=variant)
            (out / ".complete").write_text("ok\n")
    return out


def dist_files(variant: str = "base") -> list[Path]:
    return sorted(p for p in tiny_dists(variant).iterdir() if not p.name.startswith("."))
