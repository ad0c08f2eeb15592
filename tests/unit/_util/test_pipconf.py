"""pip's index settings carried over to the sessions' uv (mlrelease._util.pipconf).

Each case writes real pip.conf / uv.toml files under a temporary HOME and reads them as pip would;
the last one makes uv install, with only the carried environment, a package that exists nowhere
but on a local file index named in pip.conf.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from mlrelease._util.pipconf import Carry, carry_over, pip_settings
from mlrelease._util.uvtool import find_uv

INDEX = "https://pkgs.example.invalid/acme/_packaging/ml/pypi/simple/"
EXTRA = "https://extra.example.invalid/simple/"


def machine(tmp_path: Path, **env: str) -> dict[str, str]:
    """An environment whose HOME, XDG dirs and PATH hold nothing of this machine."""
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    base = {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CONFIG_DIRS": str(tmp_path / "etc-xdg"),
        "PATH": str(tmp_path / "empty-bin"),
    }
    return {**base, **env}


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def carry(tmp_path: Path, env: dict[str, str], *, keyring: bool = False) -> Carry:
    project = tmp_path / "project"
    project.mkdir(exist_ok=True)
    return carry_over(
        env,
        cwd=project,
        prefix=tmp_path / "prefix",
        keyring_reachable=keyring,
        etc=tmp_path / "etc",
    )


def settings(tmp_path: Path, env: dict[str, str]) -> dict[str, str]:
    return pip_settings(env, prefix=tmp_path / "prefix", etc=tmp_path / "etc")


def test_pip_index_url_becomes_uvs_and_the_note_names_no_url(tmp_path: Path) -> None:
    got = carry(tmp_path, machine(tmp_path, PIP_INDEX_URL=f"https://u:SECRET@{INDEX[8:]}"))
    assert got.env == {"UV_INDEX_URL": f"https://u:SECRET@{INDEX[8:]}"}
    assert got.carried == ("index-url",)
    assert not got.blocked
    assert "SECRET" not in repr((got.carried, got.blocked, got.uv_configured))


def test_the_users_pip_conf_with_an_extra_index_reads_as_pip_merges_it(tmp_path: Path) -> None:
    env = machine(tmp_path)
    write(
        Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf",
        f"[global]\nindex-url = {INDEX}\ntrusted-host = a.invalid\n  b.invalid\n"
        f"[install]\nextra-index-url =\n  {EXTRA}\n  https://third.invalid/simple/\n",
    )
    got = carry(tmp_path, env)
    assert got.env == {
        "UV_INDEX_URL": INDEX,
        "UV_EXTRA_INDEX_URL": f"{EXTRA} https://third.invalid/simple/",
        # pip takes the best match over every index; uv's default stops at the first
        "UV_INDEX_STRATEGY": "unsafe-best-match",
        "UV_INSECURE_HOST": "a.invalid b.invalid",
    }


def test_precedence_files_then_install_section_then_variables(tmp_path: Path) -> None:
    env = machine(tmp_path)
    write(tmp_path / "etc" / "pip.conf", "[global]\nindex-url = https://etc/\n")
    assert settings(tmp_path, env)["index-url"] == "https://etc/"
    write(tmp_path / "etc-xdg" / "pip" / "pip.conf", "[global]\nindex-url = https://global/\n")
    write(Path(env["HOME"]) / ".pip" / "pip.conf", "[global]\nindex-url = https://legacy/\n")
    assert settings(tmp_path, env)["index-url"] == "https://legacy/"
    write(
        Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf", "[global]\nindex-url = https://user/\n"
    )
    assert settings(tmp_path, env)["index-url"] == "https://user/"
    write(
        tmp_path / "prefix" / "pip.conf",
        "[global]\nindex-url = https://site/\n[install]\nindex_url = https://site-install/\n",
    )
    assert settings(tmp_path, env)["index-url"] == "https://site-install/"
    # pip takes every [install] after every [global]: an earlier file's [install] still wins
    write(tmp_path / "prefix" / "pip.conf", "[global]\nindex-url = https://site/\n")
    write(
        Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf",
        "[install]\nindex-url = https://user-install/\n",
    )
    assert settings(tmp_path, env)["index-url"] == "https://user-install/"
    env["PIP_INDEX_URL"] = "https://variable/"
    assert settings(tmp_path, env)["index-url"] == "https://variable/"


def test_pip_config_file_replaces_the_users_files_and_devnull_turns_all_off(tmp_path: Path) -> None:
    env = machine(tmp_path)
    write(tmp_path / "etc-xdg" / "pip" / "pip.conf", "[global]\nfind-links = /srv/wheels\n")
    write(
        Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf", "[global]\nindex-url = https://user/\n"
    )
    own = write(tmp_path / "ci-pip.conf", "[global]\nextra-index-url = https://ci/\n")
    got = settings(tmp_path, {**env, "PIP_CONFIG_FILE": str(own)})
    assert got == {"find-links": "/srv/wheels", "extra-index-url": "https://ci/"}
    assert settings(tmp_path, {**env, "PIP_CONFIG_FILE": os.devnull}) == {}


def test_find_links_are_joined_with_commas_and_a_comma_in_one_keeps_pip(tmp_path: Path) -> None:
    got = carry(tmp_path, machine(tmp_path, PIP_FIND_LINKS="/srv/a /srv/b"))
    assert got.env == {"UV_FIND_LINKS": "/srv/a,/srv/b"}
    got = carry(tmp_path, machine(tmp_path, PIP_FIND_LINKS="/srv/a,b"))
    assert got.blocked
    assert not got.env


@pytest.mark.parametrize(
    "where", ["UV_INDEX_URL", "UV_DEFAULT_INDEX", "uv.toml", "pyproject", "user"]
)
def test_uvs_own_index_setting_wins_and_nothing_is_carried(tmp_path: Path, where: str) -> None:
    env = machine(tmp_path, PIP_INDEX_URL=INDEX)
    project = tmp_path / "project"
    if where.startswith("UV_"):
        env[where] = "https://uv-own/"
    elif where == "uv.toml":
        write(project / "uv.toml", '[pip]\nindex-url = "https://uv-own/"\n')
    elif where == "pyproject":
        write(project / "pyproject.toml", '[tool.uv]\nindex = [{url = "https://uv-own/"}]\n')
    else:
        write(Path(env["XDG_CONFIG_HOME"]) / "uv" / "uv.toml", 'index-url = "https://uv-own/"\n')
    got = carry(tmp_path, env)
    assert got.env == {}
    assert got.uv_configured


def test_a_project_pyproject_without_uv_index_settings_does_not_count(tmp_path: Path) -> None:
    write(tmp_path / "project" / "pyproject.toml", "[tool.uv]\ndev-dependencies = []\n")
    assert carry(tmp_path, machine(tmp_path, PIP_INDEX_URL=INDEX)).env == {"UV_INDEX_URL": INDEX}


def test_no_index_keeps_the_sessions_on_pip(tmp_path: Path) -> None:
    got = carry(tmp_path, machine(tmp_path, PIP_NO_INDEX="yes", PIP_FIND_LINKS="/srv"))
    assert "no-index" in got.blocked
    assert got.env == {}


def test_keyring(tmp_path: Path) -> None:
    # pip (keyring-provider auto) would ask keyring for this index's credentials: uv would not.
    got = carry(tmp_path, machine(tmp_path, PIP_INDEX_URL=INDEX), keyring=True)
    assert "keyring" in got.blocked
    # a user name in the URL: uv asks keyring too (with the provider set), so nothing blocks
    with_user = INDEX.replace("https://", "https://VssSessionToken@")
    got = carry(tmp_path, machine(tmp_path, PIP_INDEX_URL=with_user), keyring=True)
    assert got.env == {"UV_INDEX_URL": with_user}
    # file indexes and PyPI ask for no credentials: pip never asks keyring for them
    public = machine(
        tmp_path, PIP_INDEX_URL="https://pypi.org/simple", PIP_EXTRA_INDEX_URL="file:///srv/simple"
    )
    assert not carry(tmp_path, public, keyring=True).blocked
    # no keyring anywhere: the URL is all pip has, and all uv needs
    assert not carry(tmp_path, machine(tmp_path, PIP_INDEX_URL=INDEX), keyring=False).blocked
    explicit = machine(tmp_path, PIP_INDEX_URL=INDEX, PIP_KEYRING_PROVIDER="subprocess")
    assert carry(tmp_path, explicit).env["UV_KEYRING_PROVIDER"] == "subprocess"
    imported = machine(tmp_path, PIP_INDEX_URL=INDEX, PIP_KEYRING_PROVIDER="import")
    assert "import" in carry(tmp_path, imported).blocked


def test_certificates_follow_unless_uvs_are_set(tmp_path: Path) -> None:
    got = carry(tmp_path, machine(tmp_path, PIP_CERT="/etc/ca.pem", PIP_CLIENT_CERT="/etc/me.pem"))
    assert got.env == {"SSL_CERT_FILE": "/etc/ca.pem", "SSL_CLIENT_CERT": "/etc/me.pem"}
    got = carry(tmp_path, machine(tmp_path, PIP_CERT="/etc/ca.pem", SSL_CERT_FILE="/mine.pem"))
    assert got.env == {}


def _file_index(root: Path) -> Path:
    """A PEP 503 index on disk holding one wheel of a name no public index has."""
    name = "mlrelease_pipconf_probe"
    wheel = root / "files" / f"{name}-1.0-py3-none-any.whl"
    wheel.parent.mkdir(parents=True)
    info = f"{name}-1.0.dist-info"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr(f"{name}.py", "VALUE = 42\n")
        zf.writestr(f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n")
        zf.writestr(
            f"{info}/WHEEL",
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
        )
        zf.writestr(f"{info}/RECORD", "")
    page = root / "simple" / name.replace("_", "-") / "index.html"
    page.parent.mkdir(parents=True)
    page.write_text(f'<a href="{wheel.as_uri()}">{wheel.name}</a>\n', encoding="utf-8")
    return root / "simple"


def test_uv_installs_from_the_index_in_pip_conf_with_only_the_carried_environment(
    tmp_path: Path,
) -> None:
    uv = find_uv()
    assert uv is not None  # a dependency of mlrelease
    simple = _file_index(tmp_path / "index")
    env = machine(tmp_path)
    write(
        Path(env["XDG_CONFIG_HOME"]) / "pip" / "pip.conf",
        f"[global]\nindex-url = {simple.as_uri()}/\n",
    )
    got = carry(tmp_path, env)
    assert got.env == {"UV_INDEX_URL": f"{simple.as_uri()}/"}
    venv = tmp_path / "venv"
    run_env = {**env, "UV_CACHE_DIR": str(tmp_path / "uv-cache"), "UV_NO_PROGRESS": "1"}
    subprocess.run(
        [uv, "venv", "-q", "--python", sys.executable, str(venv)], env=run_env, check=True
    )
    installed = subprocess.run(
        [uv, "pip", "install", "--python", str(venv / "bin" / "python"), "mlrelease-pipconf-probe"],
        env={**run_env, **got.env}, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    ran = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import mlrelease_pipconf_probe as m; print(m.VALUE)"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert ran.stdout.strip() == "42"


def test_doctor_says_which_installer_the_sessions_use_and_why(tmp_path: Path) -> None:
    """``mlrelease doctor`` names the pip settings uv follows, or why the sessions use pip."""
    root = Path(__file__).resolve().parents[3]

    def uv_line(**extra: str) -> dict[str, str]:
        env = {**machine(tmp_path), "PATH": os.environ["PATH"], "PIP_CONFIG_FILE": os.devnull}
        proc = subprocess.run(
            [sys.executable, "-m", "mlrelease", "doctor", "--json",
             "--project", str(root / "examples" / "driftwatch")],
            env={**env, **extra}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        checks = json.loads(proc.stdout)["checks"]
        (line,) = [c for c in checks if c["what"].startswith(("uv:", "nox environments"))]
        return line

    follows = uv_line(PIP_INDEX_URL=f"https://u:CANARY-TOKEN@{INDEX[8:]}")
    assert follows["level"] == "ok"
    assert follows["what"].endswith("it follows pip's index-url")
    assert "CANARY-TOKEN" not in follows["what"]
    blocked = uv_line(PIP_NO_INDEX="1", PIP_FIND_LINKS="/srv/wheels")
    assert blocked["level"] == "warning"
    assert blocked["what"].startswith("nox environments are made with virtualenv and pip, not uv")
    assert "no-index" in blocked["what"]
