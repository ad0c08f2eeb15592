"""Hostile and broken servers against the feed client and the registry client.

Each case scripts one misbehaviour on 127.0.0.1 (:mod:`hostile_server`) and runs mlrelease in a
child process with ``MLRELEASE_HTTP_DEADLINE`` low and its address space capped at 1 GiB
(``RLIMIT_AS``). Every case must end in a clean error: exit code 1, a message naming the URL (never
the credentials), no traceback, within the deadline plus start-up, in bounded memory. Feeds run the
real ``mlrelease publish wheels``; the registry client runs in a small driver (building an image
needs buildah), which reports an :class:`~mlrelease.errors.MlreleaseError` as the CLI does and lets
anything else escape as a traceback.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.integration import feedservers as fs
from tests.integration import hostile_server as hs
from tests.integration import registry_server as rs

pytestmark = pytest.mark.integration

WHEEL = "tinypkg-1.0.0-py3-none-any.whl"
CANARY = "canary-Xq7Lr2Vt9Pw4"  # the credential: must never show up in any output
DEADLINE = 3  # seconds, MLRELEASE_HTTP_DEADLINE in the child
SLACK = 25  # start-up, twine check and a loaded machine, on top of the deadline
MEMORY = 1 << 30  # RLIMIT_AS of the child: an unbounded read dies with MemoryError


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLRELEASE_", "GITHUB_"))}
    env.update(
        MLRELEASE_HTTP_DEADLINE=str(DEADLINE),
        MLRELEASE_HTTP_RETRIES="1",
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        **extra,
    )
    return env


@dataclass
class Outcome:
    returncode: int
    output: str
    seconds: float


def _run(argv: list[str], env: dict[str, str]) -> Outcome:
    start = time.monotonic()
    proc = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        env=env,
        stdin=subprocess.DEVNULL,
        timeout=DEADLINE * 4 + SLACK,
        preexec_fn=_limit_memory,
    )
    return Outcome(proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start)


def assert_clean_error(outcome: Outcome, *, names: str) -> None:
    """Exit 1, a message naming ``names`` (a URL without credentials), no traceback, no secret,
    within the deadline (+ start-up)."""
    out = outcome.output
    assert "Traceback" not in out, out
    assert "MemoryError" not in out, out
    assert outcome.returncode == 1, out
    assert names in out, out
    assert CANARY not in out, out
    assert outcome.seconds < DEADLINE * 2 + SLACK, f"{outcome.seconds:.1f} s:\n{out}"


# --- the feed client: mlrelease publish wheels ---------------------------------------------------


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=T", "-c", "user.email=t@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


@pytest.fixture
def project(tmp_path: Path) -> Iterator[tuple[Path, hs.HostileServer]]:
    """tinypkg 1.0.0 (one wheel, tag at HEAD) whose feed is a hostile server."""
    with hs.hostile_server() as server:
        root = tmp_path / "proj"
        (root / "dist").mkdir(parents=True)
        (root / "pyproject.toml").write_text(
            '[project]\nname = "tinypkg"\nversion = "1.0.0"\n\n'
            f'[tool.mlrelease.publish.feed]\nupload-url = "{server.url}/upload/"\n'
            f'index-url = "{server.url}/simple/"\n'
        )
        (root / ".gitignore").write_text("dist/\n")
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", ".")
        _git(root, "commit", "-q", "-m", "feat: tinypkg")
        _git(root, "tag", "v1.0.0")
        (wheel,) = (p for p in fs.dist_files() if p.name == WHEEL)
        (root / "dist" / WHEEL).write_bytes(wheel.read_bytes())
        yield root, server


def publish(root: Path) -> Outcome:
    env = _child_env(MLRELEASE_FEED_TOKEN=CANARY, MLRELEASE_FEED_USERNAME="ci")
    return _run([sys.executable, "-m", "mlrelease", "-C", str(root), "publish", "wheels"], env)


def _page(href: str) -> bytes:
    return f'<html><body><a href="{href}">{WHEEL}</a></body></html>'.encode()


INDEX = "/simple/tinypkg/"


def test_an_index_entry_pointing_at_a_file_url_is_refused(
    project: tuple[Path, hs.HostileServer], tmp_path: Path
) -> None:
    root, server = project
    zero = tmp_path / "files" / WHEEL  # named like the wheel, reads as /dev/zero: endless
    zero.parent.mkdir()
    zero.symlink_to("/dev/zero")
    server.route("GET", INDEX, hs.answer(200, _page(zero.as_uri())))
    outcome = publish(root)
    assert_clean_error(outcome, names=zero.as_uri())
    assert "only http(s)" in outcome.output


def test_an_unreachable_file_host_for_an_entry_without_hash_is_a_clean_error(
    project: tuple[Path, hs.HostileServer],
) -> None:
    root, server = project
    url = f"http://127.0.0.1:{hs.closed_port()}/files/{WHEEL}"
    server.route("GET", INDEX, hs.answer(200, _page(url)))
    assert_clean_error(publish(root), names=url)


@pytest.mark.parametrize(
    ("case", "behaviour", "message"),
    [
        ("slow drip", hs.drip(), "deadline"),
        ("endless index", hs.endless({"Content-Type": "text/html"}), "larger than 64 MiB"),
        ("relative Location", hs.redirect("elsewhere/"), "relative Location"),
        (
            "control characters in Location",
            hs.raw(b"HTTP/1.1 302 Found\r\nLocation: /a\x01b/\r\nContent-Length: 0\r\n\r\n"),
            "control characters",
        ),
        ("truncated body", hs.truncated(b"<html>", 5000), "truncated"),
        ("garbage status line", hs.raw(b"HELLO THERE\r\n\r\n"), "BadStatusLine"),
        ("redirect loop", hs.redirect(INDEX), "redirects"),
    ],
)
def test_a_hostile_index_ends_in_a_clean_error(
    project: tuple[Path, hs.HostileServer], case: str, behaviour: hs.Behaviour, message: str
) -> None:
    root, server = project
    server.route("GET", INDEX, behaviour)
    outcome = publish(root)
    assert_clean_error(outcome, names=f"{server.url}{INDEX}")
    assert message in outcome.output, case


def test_an_upload_whose_answer_never_ends_fails_at_the_deadline(
    project: tuple[Path, hs.HostileServer],
) -> None:
    root, server = project
    server.route("POST", "/upload/", hs.drip())
    outcome = publish(root)
    assert_clean_error(outcome, names=f"{server.url}/upload/")
    assert "deadline" in outcome.output


def test_a_redirect_to_another_port_gets_no_credentials(
    project: tuple[Path, hs.HostileServer],
) -> None:
    root, server = project
    with hs.hostile_server() as other:
        server.route("GET", INDEX, hs.redirect(f"{other.url}{INDEX}"))
        server.route("POST", "/upload/", hs.answer(403, b"no"))
        outcome = publish(root)
    assert_clean_error(outcome, names=f"{server.url}/upload/")
    assert other.seen, "the redirect was not followed"
    assert all(auth is None for _m, _p, auth in other.seen), other.seen
    assert any(auth for _m, _p, auth in server.seen), "the feed itself got no credentials"


# --- the registry client -------------------------------------------------------------------------

DRIVER = r"""
import json, os, sys
from pathlib import Path
from mlrelease.errors import MlreleaseError
from mlrelease.images.layout import Blob, LayoutImage, blob_path, sha256_digest
from mlrelease.images.registry import RegistryTarget

host, op, work = sys.argv[1], sys.argv[2], Path(sys.argv[3])
data = b"layer bytes"
digest = sha256_digest(data)
path = blob_path(work, digest)
path.parent.mkdir(parents=True, exist_ok=True)
path.write_bytes(data)
blob = Blob(digest, len(data), "application/octet-stream")
manifest = json.dumps({"schemaVersion": 2, "layers": [{"digest": digest}]}).encode()
image = LayoutImage(work, manifest, "application/vnd.oci.image.manifest.v1+json",
                    sha256_digest(manifest), (blob,))
target = RegistryTarget(host, "ml/app", username="ci", password=os.environ["CANARY"],
                        credential_source="MLRELEASE_REGISTRY_PASSWORD")
try:
    if op == "digest":
        print(target.digest_of("1.0"))
    elif op == "push":
        print(target.put_blob(image, blob))
    elif op == "referrer":
        descriptor = {"mediaType": image.media_type, "digest": image.digest, "size": 1}
        print(target.attach_referrer(image, image, descriptor))
except MlreleaseError as exc:
    print(f"error: {exc}", file=sys.stderr)
    sys.exit(exc.exit_code)
"""

MANIFEST = "/v2/ml/app/manifests/1.0"


@pytest.fixture(scope="module")
def ca(tmp_path_factory: pytest.TempPathFactory) -> rs.TestCA:
    return rs.make_ca(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def registry(ca: rs.TestCA) -> Iterator[hs.HostileServer]:
    with hs.hostile_server((ca.server_cert, ca.server_key)) as server:
        yield server


def registry_call(server: hs.HostileServer, ca: rs.TestCA, op: str, work: Path) -> Outcome:
    env = _child_env(CANARY=CANARY, SSL_CERT_FILE=str(ca.bundle))
    return _run([sys.executable, "-c", DRIVER, server.host, op, str(work)], env)


def _bearer(realm: str) -> hs.Behaviour:
    return hs.answer(401, b"", {"WWW-Authenticate": f'Bearer realm="{realm}",service="hostile"'})


def _token(body: bytes) -> hs.Behaviour:
    return hs.answer(200, body, {"Content-Type": "application/json"})


Routes = Callable[[str, str], dict[str, hs.Behaviour]]  # (server URL, a dead URL) -> routes


def _only(behaviour: hs.Behaviour) -> Routes:
    return lambda _url, _closed: {MANIFEST: behaviour}


def _token_answer(body: bytes) -> Routes:
    return lambda url, _closed: {MANIFEST: _bearer(f"{url}/token"), "/token": _token(body)}


@pytest.mark.parametrize(
    ("routes", "message"),
    [
        pytest.param(_only(hs.drip()), "deadline", id="slow drip"),
        pytest.param(_only(hs.endless()), "larger than 4 MiB", id="endless manifest"),
        pytest.param(_only(hs.truncated(b"{}", 4000)), "truncated", id="truncated manifest"),
        pytest.param(
            _only(hs.raw(b"\x00\x01garbage\r\n\r\n")), "BadStatusLine", id="garbage status line"
        ),
        pytest.param(_only(hs.redirect(MANIFEST)), "redirects", id="redirect loop"),
        pytest.param(
            _only(hs.redirect("file:///dev/zero")), "only http(s)", id="file URL redirect"
        ),
        pytest.param(_only(hs.redirect("x/manifest")), "relative Location", id="relative Location"),
        pytest.param(_token_answer(b"[]"), "usable token", id="token JSON is a list"),
        pytest.param(_token_answer(b"<html>"), "usable token", id="token is not JSON"),
        pytest.param(
            _token_answer(json.dumps({"token": "abc\r\nX-Injected: 1"}).encode()),
            "usable token",
            id="CRLF in the token",
        ),
        pytest.param(
            lambda _url, closed: {MANIFEST: _bearer(f"{closed}/token")},
            "token endpoint",
            id="token realm unreachable",
        ),
    ],
)
def test_a_hostile_registry_read_ends_in_a_clean_error(
    registry: hs.HostileServer,
    ca: rs.TestCA,
    tmp_path: Path,
    routes: Routes,
    message: str,
) -> None:
    closed = f"https://127.0.0.1:{hs.closed_port()}"
    for prefix, behaviour in routes(registry.url, closed).items():
        registry.route("GET", prefix, behaviour)
    outcome = registry_call(registry, ca, "digest", tmp_path / "layout")
    assert_clean_error(outcome, names=registry.host)
    assert message in outcome.output


@pytest.mark.parametrize(
    "location",
    ["uploads/session-1", "/v2/ml/app/blobs/uploads/s\x01", "file:///dev/zero"],
)
def test_a_hostile_upload_location_is_refused(
    registry: hs.HostileServer, ca: rs.TestCA, tmp_path: Path, location: str
) -> None:
    registry.route("HEAD", "/v2/", hs.answer(404))
    head = f"HTTP/1.1 202 Accepted\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
    registry.route("POST", "/v2/ml/app/blobs/uploads/", hs.raw(head.encode("latin-1")))
    outcome = registry_call(registry, ca, "push", tmp_path / "layout")
    assert_clean_error(outcome, names=registry.host)
    assert not any(m == "PUT" for m, _p, _a in registry.seen), registry.seen


def test_a_malformed_referrers_index_is_a_clean_error(
    registry: hs.HostileServer, ca: rs.TestCA, tmp_path: Path
) -> None:
    registry.route("GET", "/v2/ml/app/referrers/", hs.answer(404))
    registry.route("GET", "/v2/ml/app/manifests/sha256-", _token(b'{"manifests": [1, "x"]}'))
    outcome = registry_call(registry, ca, "referrer", tmp_path / "layout")
    assert_clean_error(outcome, names=registry.host)
    assert "malformed" in outcome.output


def test_a_registry_redirect_to_another_port_gets_no_credentials(
    registry: hs.HostileServer, ca: rs.TestCA, tmp_path: Path
) -> None:
    with hs.hostile_server((ca.server_cert, ca.server_key)) as other:
        other.route("GET", "/", hs.answer(500, b"storage down"))

        def manifest(h: hs._Handler) -> None:
            if h.headers.get("Authorization"):  # after the Basic challenge: off to storage
                hs.redirect(f"https://localhost:{other.url.rsplit(':', 1)[1]}/blob")(h)
            else:
                hs.answer(401, b"", {"WWW-Authenticate": 'Basic realm="hostile"'})(h)

        registry.route("GET", MANIFEST, manifest)
        outcome = registry_call(registry, ca, "digest", tmp_path / "layout")
    assert_clean_error(outcome, names=registry.host)
    assert other.seen, "the redirect was not followed"
    assert all(auth is None for _m, _p, auth in other.seen), other.seen
    assert any(auth for _m, _p, auth in registry.seen), "the registry itself got no credentials"
