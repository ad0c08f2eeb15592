"""Progress while bytes move: wheel uploads to a real pypiserver and blob pushes to a real
registry show it on stderr (stdout stays the result, JSON included): plain lines every 25 % in CI
logs and pipes, a rich progress bar on a terminal (a pseudo-terminal here)."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import feedservers as fs
from tests.integration import registry_server as rs
from tests.integration.test_install_hint import make_wheel
from tests.integration.test_publish_wheels import _git

pytestmark = pytest.mark.integration

SIZE = 3 << 20  # 3 MiB: over the MiB below which nothing is shown


@pytest.fixture(scope="module")
def feed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fs.Feed]:
    with fs.pypiserver(tmp_path_factory.mktemp("feed")) as running:
        yield running


def _project(root: Path, feed: fs.Feed, name: str) -> Path:
    root.mkdir(parents=True)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "{name}"\nversion = "1.0.0"\n\n[tool.mlrelease.publish.feed]\n'
        f'upload-url = "{feed.upload_url}"\nindex-url = "{feed.index_url}"\n'
    )
    (root / ".gitignore").write_text("dist/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "feat: big")
    _git(root, "tag", "v1.0.0")
    make_wheel(root / "dist", name, "1.0.0", [], payload=os.urandom(SIZE))
    return root


def _env(feed: fs.Feed, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLRELEASE_", "GITHUB_"))}
    env.pop("CI", None)
    env.update(
        MLRELEASE_FEED_USERNAME=feed.username,
        MLRELEASE_FEED_TOKEN=feed.password,
        PYTHON_KEYRING_BACKEND="keyring.backends.null.Keyring",
        **extra,
    )
    return env


def test_a_wheel_upload_logs_plain_progress_lines_and_json_stays_clean(
    feed: fs.Feed, tmp_path: Path
) -> None:
    root = _project(tmp_path / "p", feed, "bigwheel-plain")
    proc = subprocess.run(
        [sys.executable, "-m", "mlrelease", "-C", str(root), "publish", "wheels", "--json"],
        capture_output=True, text=True, env=_env(feed, CI="true"), stdin=subprocess.DEVNULL,
        timeout=300, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["files"][0]["action"] == "uploaded"  # stdout: the JSON only
    wheel = "bigwheel_plain-1.0.0-py3-none-any.whl"
    lines = [ln.strip() for ln in proc.stderr.splitlines() if f"{wheel}: " in ln]
    assert [ln.split(": ")[1].split()[0] for ln in lines] == ["25%", "50%", "75%", "100%"], lines
    assert lines[-1].startswith(f"uploading {wheel}: 100% (3.0 of 3.0 MiB)")
    assert feed.password not in proc.stderr


def test_a_wheel_upload_on_a_terminal_shows_a_progress_bar(feed: fs.Feed, tmp_path: Path) -> None:
    root = _project(tmp_path / "p", feed, "bigwheel-tty")
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mlrelease", "-C", str(root), "publish", "wheels"],
        stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL,
        env=_env(feed, TERM="xterm-256color", COLUMNS="120"),
    )  # fmt: skip
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # the pseudo-terminal closed: the process is gone
            break
        if not data:
            break
        chunks.append(data)
    out, _ = proc.communicate(timeout=300)
    os.close(leader)
    terminal = b"".join(chunks).decode("utf-8", "replace")
    assert proc.returncode == 0, out.decode() + terminal
    assert "uploading bigwheel_tty-1.0.0-py3-none-any.whl" in terminal
    assert "3.0/3.0 MiB" in terminal  # rich's download column, at the end
    assert "━" in terminal  # the bar
    assert "25% (" not in terminal  # not the plain lines
    assert b"\x1b" not in out  # stdout stays plain


@pytest.mark.images
def test_a_blob_push_reports_progress_to_the_callback_and_plain_lines(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    from mlrelease.images.layout import Blob, LayoutImage, LayoutTarget, blob_path, sha256_digest
    from mlrelease.images.registry import RegistryTarget

    data = os.urandom(SIZE)
    digest = sha256_digest(data)
    path = blob_path(tmp_path / "src", digest)
    path.parent.mkdir(parents=True)
    path.write_bytes(data)
    blob = Blob(digest, len(data), "application/octet-stream")
    image = LayoutImage(tmp_path / "src", b"{}", "m", sha256_digest(b"{}"), (blob,))
    with rs.oci_registry(tmp_path / "registry", password="registry-pw") as registry:
        monkeypatch.setenv("SSL_CERT_FILE", str(registry.ca.bundle))
        monkeypatch.delenv("CI", raising=False)
        seen: list[tuple[int, int]] = []
        target = RegistryTarget(registry.host, "ml/big", username="ci", password="registry-pw")
        assert target.put_blob(image, blob, progress=lambda d, t: seen.append((d, t))) == "uploaded"
        assert seen[-1] == (SIZE, SIZE)
        assert [d for d, _ in seen] == sorted(d for d, _ in seen)
        assert len(seen) >= 3  # while the bytes moved, not once at the end

        other = RegistryTarget(registry.host, "ml/big2", username="ci", password="registry-pw")
        capfd.readouterr()
        assert other.put_blob(image, blob) == "uploaded"
        err = capfd.readouterr().err
        shown = [ln.strip() for ln in err.splitlines() if ln.strip().startswith("pushing")]
        assert [ln.split(": ")[1].split()[0] for ln in shown] == ["25%", "50%", "75%", "100%"]
        assert registry.password not in err

    layout = LayoutTarget(tmp_path / "layout")  # the embedded layout: a local copy, shown the same
    capfd.readouterr()
    layout.put_blob(image, blob)
    err = capfd.readouterr().err
    assert f"copying {digest[:19]}: 100% (3.0 of 3.0 MiB)" in err
    assert blob_path(tmp_path / "layout", digest).read_bytes() == data
