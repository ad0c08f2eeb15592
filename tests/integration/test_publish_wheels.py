"""``mlrelease publish wheels`` against real feeds on 127.0.0.1 (pypiserver, devpi-server), through
loopback fault proxies, into the embedded directory feed, and back out with ``pip install``.

Every test runs the real command in a subprocess, in a real git repository whose HEAD carries the
release tag, with real sdists and wheels of a tiny project (built once, cached).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration import feedservers as fs

pytestmark = pytest.mark.integration

PY3 = "tinypkg-1.0.0-py3-none-any.whl"
PY311 = "tinypkg-1.0.0-py311-none-any.whl"
SDIST = "tinypkg-1.0.0.tar.gz"
ALL = sorted([PY3, PY311, SDIST])


def _git(root: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=Test", "-c", "user.email=test@example.invalid", *args],
        cwd=root,
        check=True,
        capture_output=True,
    )


def make_project(
    root: Path,
    feed: fs.Feed | None,
    *,
    files: list[str] | None = None,
    variant: str = "base",
    tag: bool = True,
) -> Path:
    """A git repo of tinypkg 1.0.0 (tag v1.0.0 at HEAD) with its built files in dist/."""
    root.mkdir(parents=True, exist_ok=True)
    table = ""
    if feed is not None:
        table = (
            f'\n[tool.mlrelease.publish.feed]\nupload-url = "{feed.upload_url}"\n'
            f'index-url = "{feed.index_url}"\n'
        )
    (root / "pyproject.toml").write_text(f'[project]\nname = "tinypkg"\nversion = "1.0.0"\n{table}')
    (root / ".gitignore").write_text("dist/\n")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", ".")
    _git(root, "commit", "-q", "-m", "feat: tinypkg")
    if tag:
        _git(root, "tag", "v1.0.0")
    put_dist(root, files=files, variant=variant)
    return root


def put_dist(root: Path, *, files: list[str] | None = None, variant: str = "base") -> None:
    dist = root / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    dist.mkdir()
    for path in fs.dist_files(variant):
        if files is None or path.name in files:
            shutil.copy2(path, dist / path.name)


def run_publish(
    project: Path, *args: str, token: str | None = None, user: str = "ci", **env: str
) -> subprocess.CompletedProcess[str]:
    full = {k: v for k, v in os.environ.items() if not k.startswith(("MLRELEASE_", "GITHUB_"))}
    full.update(env)
    if token is not None:
        full["MLRELEASE_FEED_TOKEN"] = token
        full["MLRELEASE_FEED_USERNAME"] = user
    full["PYTHON_KEYRING_BACKEND"] = "keyring.backends.null.Keyring"
    return subprocess.run(
        [sys.executable, "-m", "mlrelease", "-C", str(project), *args],
        capture_output=True,
        text=True,
        env=full,
        stdin=subprocess.DEVNULL,
        timeout=180,
    )


def files_on(feed: fs.Feed) -> list[str]:
    """The files stored in pypiserver's package directory."""
    return sorted(p.name for p in Path(feed.packages or "").iterdir())


def actions(stdout: str) -> dict[str, str]:
    """``{filename: action}`` from the result lines of a publish."""
    found = {}
    for line in stdout.splitlines():
        for action in ("already published", "would upload", "uploaded"):
            if line.startswith(action):
                found[line[len(action) :].split()[0]] = action
    return found


@pytest.fixture
def pypi(tmp_path: Path) -> Iterator[fs.Feed]:
    with fs.pypiserver(tmp_path / "pypiserver") as feed:
        yield feed


@pytest.fixture(scope="session")
def devpi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[fs.DevpiServer]:
    with fs.devpi_server(tmp_path_factory.mktemp("devpi")) as server:
        yield server


# Under pytest-xdist (./ci/test, --dist loadgroup) every devpi case runs on one worker: one
# devpi-server (a session fixture, slow to start) instead of one per worker.
@pytest.fixture(
    params=["pypiserver", pytest.param("devpi", marks=pytest.mark.xdist_group("devpi"))]
)
def feed(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[fs.Feed]:
    if request.param == "devpi":
        server: fs.DevpiServer = request.getfixturevalue("devpi")
        yield server.new_index()
    else:
        with fs.pypiserver(tmp_path / "pypiserver") as feed:
            yield feed


def test_first_publish_then_rerun_uploads_nothing(feed: fs.Feed, tmp_path: Path) -> None:
    with fs.fault_proxy(feed.upload_url) as proxy:
        project = make_project(tmp_path / "proj", proxy.feed(feed))
        summary = tmp_path / "step-summary.md"
        first = run_publish(
            project,
            "publish",
            "wheels",
            token=feed.password,
            user=feed.username,
            GITHUB_STEP_SUMMARY=str(summary),
        )
        assert first.returncode == 0, first.stderr
        assert actions(first.stdout) == dict.fromkeys(ALL, "uploaded")
        assert feed.listing("tinypkg") == ALL
        assert len(proxy.posts) == 3
        assert (
            f"pip install --index-url {proxy.feed(feed).index_url} tinypkg==1.0.0" in first.stdout
        )
        text = summary.read_text()
        for path in fs.dist_files():
            from mlrelease.wheels.dist import sha256_of

            assert f"| `{path.name}` | `{sha256_of(path)}` | uploaded |" in text
        assert "pip install --index-url" in text

        second = run_publish(project, "publish", "wheels", token=feed.password, user=feed.username)
        assert second.returncode == 0, second.stderr
        assert actions(second.stdout) == dict.fromkeys(ALL, "already published")
        assert len(proxy.posts) == 3, "a rerun must not upload anything"
    assert feed.listing("tinypkg") == ALL


def test_rerun_after_partial_publish_uploads_only_the_missing_file(
    pypi: fs.Feed, tmp_path: Path
) -> None:
    with fs.fault_proxy(pypi.upload_url) as proxy:
        project = make_project(tmp_path / "proj", proxy.feed(pypi), files=[PY3, SDIST])
        partial = run_publish(project, "publish", "wheels", token=pypi.password)
        assert partial.returncode == 0, partial.stderr
        assert pypi.listing("tinypkg") == sorted([PY3, SDIST])
        put_dist(project)
        before = len(proxy.posts)
        rerun = run_publish(project, "publish", "wheels", token=pypi.password)
        assert rerun.returncode == 0, rerun.stderr
        assert actions(rerun.stdout) == {
            PY3: "already published",
            SDIST: "already published",
            PY311: "uploaded",
        }
        assert len(proxy.posts) - before == 1
    assert files_on(pypi) == ALL


def test_changed_content_for_the_same_version_is_refused(feed: fs.Feed, tmp_path: Path) -> None:
    with fs.fault_proxy(feed.upload_url) as proxy:
        project = make_project(tmp_path / "proj", proxy.feed(feed), files=[SDIST])
        assert (
            run_publish(
                project, "publish", "wheels", token=feed.password, user=feed.username
            ).returncode
            == 0
        )
        put_dist(project, variant="changed")
        before = len(proxy.posts)
        result = run_publish(project, "publish", "wheels", token=feed.password, user=feed.username)
    assert result.returncode == 1
    assert (
        f"{SDIST} is already on the feed with different content; versions are immutable there: "
        "release a new version" in result.stderr
    )
    assert "nothing was uploaded" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(proxy.posts) == before, "nothing may be uploaded when one file conflicts"
    assert feed.listing("tinypkg") == [SDIST]


def test_wrong_password_is_a_clear_message_without_the_secret(
    pypi: fs.Feed, tmp_path: Path
) -> None:
    project = make_project(tmp_path / "proj", pypi)
    wrong = "Wr0ng-passw0rd-7f3a9c"
    result = run_publish(project, "publish", "wheels", token=wrong)
    assert result.returncode == 1
    # pypiserver answers 403 to a wrong password (Azure Artifacts: 401); both are explained.
    assert "refused access with the credentials (HTTP 403)" in result.stderr
    assert "credentials came from the environment (MLRELEASE_FEED_TOKEN)" in result.stderr
    assert pypi.index_url + "tinypkg/" in result.stderr
    assert "upload (write) permission" in result.stderr
    assert wrong not in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert files_on(pypi) == []


@pytest.mark.parametrize("fault", ["502-after-forward", "drop-after-forward", "drop-midway"])
def test_upload_faults_end_with_exactly_one_copy(fault: str, feed: fs.Feed, tmp_path: Path) -> None:
    with fs.fault_proxy(feed.upload_url, fault) as proxy:
        project = make_project(tmp_path / "proj", proxy.feed(feed))
        result = run_publish(project, "publish", "wheels", token=feed.password, user=feed.username)
        assert result.returncode == 0, result.stderr
        assert proxy.faulted == 1
        # A fault after forwarding: the file landed, the index says so, no second upload.
        # A fault mid-upload: nothing landed, the index says so, one retry.
        assert len(proxy.posts) == (4 if fault == "drop-midway" else 3)
        assert actions(result.stdout) == dict.fromkeys(ALL, "uploaded")
    assert feed.listing("tinypkg") == ALL
    if feed.packages is not None:
        assert files_on(feed) == ALL


def test_oversized_file_is_refused_before_any_upload(pypi: fs.Feed, tmp_path: Path) -> None:
    with fs.fault_proxy(pypi.upload_url) as proxy:
        project = make_project(tmp_path / "proj", proxy.feed(pypi))
        big = project / "dist" / "tinypkg-1.0.0-py312-none-any.whl"
        with big.open("wb") as fh:
            fh.truncate(501 * 1024 * 1024)  # sparse: no disk used
        result = run_publish(project, "publish", "wheels", token=pypi.password)
        assert result.returncode == 1
        assert "preflight refused 1 file; nothing was uploaded" in result.stderr
        assert (
            f"{big.name}: is 501.0 MiB, over the feed's limit of 500 MiB per file" in result.stderr
        )
        assert proxy.posts == []
    assert files_on(pypi) == []


def test_no_release_tag_at_head_is_refused(pypi: fs.Feed, tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", pypi, tag=False)
    result = run_publish(project, "publish", "wheels", token=pypi.password)
    assert result.returncode == 1
    assert "no release tag points at HEAD: nothing to publish" in result.stderr
    assert result.stderr.count("run `mlrelease release` first") == 1  # the fix, said once
    assert files_on(pypi) == []


def test_dry_run_and_plan_show_each_files_fate(pypi: fs.Feed, tmp_path: Path) -> None:
    import json

    with fs.fault_proxy(pypi.upload_url) as proxy:
        project = make_project(tmp_path / "proj", proxy.feed(pypi), files=[SDIST])
        assert run_publish(project, "publish", "wheels", token=pypi.password).returncode == 0
        put_dist(project)
        dry = run_publish(project, "publish", "wheels", "--dry-run", token=pypi.password)
        assert dry.returncode == 0, dry.stderr
        assert actions(dry.stdout) == {
            SDIST: "already published",
            PY3: "would upload",
            PY311: "would upload",
        }
        plan = run_publish(project, "plan", "--stage", "wheels", "--json", token=pypi.password)
        assert plan.returncode == 0, plan.stderr
        fates = {f["file"]: f["fate"] for f in json.loads(plan.stdout)["stages"]["wheels"]["files"]}
        assert fates == {SDIST: "already published", PY3: "upload", PY311: "upload"}
        assert len(proxy.posts) == 1
        # Without credentials the plan says so instead of failing.
        plan = run_publish(project, "plan", "--stage", "wheels")
        assert plan.returncode == 0, plan.stderr
        assert "cannot tell what is on the feed" in plan.stdout
        assert "no credentials were found (looked in: MLRELEASE_FEED_TOKEN" in plan.stdout
    # With the feed down, too.
    plan = run_publish(project, "plan", "--stage", "wheels", token=pypi.password)
    assert plan.returncode == 0, plan.stderr
    assert "cannot tell what is on the feed: cannot reach the feed's index" in plan.stdout


def _venv_with_pip(where: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(where)], check=True, capture_output=True)
    return where / "bin" / "python"


def _pip_install(python: Path, index_url: str) -> subprocess.CompletedProcess[str]:
    """``pip install --index-url URL tinypkg==1.0.0`` with no other index or local wheel dir."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    return subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--index-url",
            index_url,
            "tinypkg==1.0.0",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
    )


def test_pip_installs_the_published_wheel_from_the_feed(pypi: fs.Feed, tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", pypi)
    assert run_publish(project, "publish", "wheels", token=pypi.password).returncode == 0
    python = _venv_with_pip(tmp_path / "venv")
    installed = _pip_install(python, pypi.index_url_with_auth())
    assert installed.returncode == 0, installed.stdout + installed.stderr
    ran = subprocess.run(
        [str(python), "-c", "import tinypkg; print(tinypkg.VALUE)"],
        capture_output=True,
        text=True,
    )
    assert ran.stdout.strip() == "base"


def test_embedded_directory_feed_installs_with_pip_and_reruns_clean(tmp_path: Path) -> None:
    project = make_project(tmp_path / "proj", None)
    first = run_publish(project, "publish", "wheels")
    assert first.returncode == 0, first.stderr
    assert actions(first.stdout) == dict.fromkeys(ALL, "uploaded")
    simple = project / ".mlrelease" / "feed" / "simple"
    assert sorted(p.name for p in (simple / "tinypkg").iterdir() if p.name != "index.html") == ALL
    index_url = simple.as_uri() + "/"
    assert f"pip install --find-links {simple / 'tinypkg'} tinypkg==1.0.0" in first.stdout
    python = _venv_with_pip(tmp_path / "venv")
    installed = _pip_install(python, index_url)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    ran = subprocess.run(
        [str(python), "-c", "import tinypkg; print(tinypkg.VALUE)"], capture_output=True, text=True
    )
    assert ran.stdout.strip() == "base"
    second = run_publish(project, "publish", "wheels")
    assert second.returncode == 0, second.stderr
    assert actions(second.stdout) == dict.fromkeys(ALL, "already published")
    # The generated feed stays out of git.
    status = subprocess.run(
        ["git", "status", "--porcelain"], cwd=project, capture_output=True, text=True
    )
    assert ".mlrelease" not in status.stdout


class CmdlineWatcher:
    """Records the command line of every process on the machine while running."""

    def __init__(self) -> None:
        self.seen: set[bytes] = set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            for proc in Path("/proc").iterdir():
                if proc.name.isdigit():
                    with contextlib.suppress(OSError):
                        self.seen.add((proc / "cmdline").read_bytes())
            self._stop.wait(0.005)

    def __enter__(self) -> CmdlineWatcher:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)


def test_canary_token_appears_nowhere(tmp_path: Path) -> None:
    canary = "canary-7b1e0f2d9c4a4f55a8d3e6b2c1f0a9e8"
    with (
        fs.pypiserver(tmp_path / "srv", password=canary) as feed,
        fs.fault_proxy(feed.upload_url, "502-after-forward") as proxy,
    ):
        project = make_project(tmp_path / "proj", proxy.feed(feed), files=[PY3, SDIST])
        summary = tmp_path / "summary.md"
        outputs = []
        with CmdlineWatcher() as watcher:
            for args in (
                ("publish", "wheels"),
                ("-v", "publish", "wheels"),
                ("publish", "wheels", "--dry-run", "--json"),
                ("plan", "--stage", "wheels"),
            ):
                result = run_publish(project, *args, token=canary, GITHUB_STEP_SUMMARY=str(summary))
                assert result.returncode == 0, result.stderr
                outputs.append(result.stdout + result.stderr)
            put_dist(project)  # the third file, through a wrong password: the failure path too
            result = run_publish(project, "publish", "wheels", token=canary + "x")
            assert result.returncode == 1
            outputs.append(result.stdout + result.stderr)
        assert len(watcher.seen) > 10, "the watcher saw the child processes"
        assert feed.listing("tinypkg") == sorted([PY3, SDIST])
    for text in outputs:
        assert canary not in text
    assert canary not in summary.read_text()
    for path in project.rglob("*"):
        if path.is_file():
            assert canary.encode() not in path.read_bytes(), path
    for cmdline in watcher.seen:
        assert canary.encode() not in cmdline


def test_azure_feed_credential_is_an_entra_token_for_azure_devops(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Credential order step 2 against a managed-identity endpoint stub (App Service contract:
    GET $IDENTITY_ENDPOINT?api-version=2019-08-01&resource=R with X-IDENTITY-HEADER)."""
    from mlrelease._util import redact
    from mlrelease.auth import feed as credentials
    from tests.integration.azure_stub import managed_identity

    token = "entra-token-" + "x" * 40
    monkeypatch.delenv("MLRELEASE_FEED_TOKEN", raising=False)
    try:
        with managed_identity(monkeypatch, token) as resources:
            cred = credentials.feed_credential(
                "https://pkgs.dev.azure.com/contoso/_packaging/models/pypi/upload/", azure=True
            )
    finally:
        redact.forget_secrets()
    assert cred.password == token
    assert "ManagedIdentityCredential" in cred.source
    assert resources == ["499b84ac-1321-427f-aa17-267ca6975798"]


def test_on_github_actions_json_stdout_has_no_secret_and_no_add_mask(tmp_path: Path) -> None:
    """`::add-mask::` goes to stderr (the runner reads workflow commands there too): stdout, which
    `--json` pipes or redirects into a file, parses as JSON and never holds the token."""
    canary = "canary-3d9f1a7c5e2b4c68b0a1f4e7d2c9b3a6"
    with fs.pypiserver(tmp_path / "srv", password=canary) as feed:
        project = make_project(tmp_path / "proj", feed, files=[PY3])
        for args in (("publish", "wheels", "--json"), ("publish", "wheels", "--json", "--dry-run")):
            result = run_publish(project, *args, token=canary, GITHUB_ACTIONS="true")
            assert result.returncode == 0, result.stderr
            data = json.loads(result.stdout)
            assert [f["file"] for f in data["files"]] == [PY3]
            assert canary not in result.stdout
            assert "::add-mask::" not in result.stdout
            # The runner still gets the mask command, on stderr; nothing else there leaks.
            assert f"::add-mask::{canary}" in result.stderr.splitlines()
            rest = [ln for ln in result.stderr.splitlines() if not ln.startswith("::add-mask::")]
            assert not [ln for ln in rest if canary in ln]
        assert feed.listing("tinypkg") == [PY3]
