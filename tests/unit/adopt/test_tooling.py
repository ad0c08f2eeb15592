"""The tools the commands drive come with `pip install mlrelease`, and `check`/`doctor` report any
that a configured stage needs and this environment cannot give.

An environment without a tool is made for real: a site directory holding links to every package
of this interpreter except the ones left out, run with ``python -S`` and a PATH of system
directories only.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement

from mlrelease.config.model import DEFAULT_TOOLS
from mlrelease.versioning import semrel

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[3]
SRC = ROOT / "src"

PYPROJECT = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[project]
name = "ml-drift"
version = "0.1.0"
requires-python = ">=3.10"

[tool.mlrelease]
python = ["3.11"]
{extra}
"""

AZURE_FEED = """
[tool.mlrelease.publish.feed]
azure-artifacts = { organization = "contoso", project = "ml", feed = "ml-packages" }
"""

ACR_IMAGE = """
[[tool.mlrelease.publish.images]]
name = "ml-drift"
registry = "contosoml.azurecr.io"
"""


def test_the_driven_tools_are_dependencies_at_the_pinned_versions() -> None:
    """`pip install mlrelease` brings twine, build and uv, and the [tool.mlrelease.tools] defaults
    are inside the declared ranges; python-semantic-release, whose rules are built in, is only the
    dev extra's reference, at the version the rules follow."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    deps = {Requirement(d).name: Requirement(d) for d in project["dependencies"]}
    for tool in ("twine", "build"):
        assert tool in deps, f"{tool} is not a dependency of mlrelease"
        assert DEFAULT_TOOLS[tool] in deps[tool].specifier, (tool, str(deps[tool].specifier))
    assert "uv" in deps
    assert "python-semantic-release" not in deps
    dev = {Requirement(d).name: Requirement(d) for d in project["optional-dependencies"]["dev"]}
    assert (
        str(dev["python-semantic-release"].specifier)
        == "==" + DEFAULT_TOOLS["python-semantic-release"]
    )
    azure = [Requirement(d).name for d in project["optional-dependencies"]["azure"]]
    assert azure == ["azure-identity"]


def test_semantic_release_runs_from_this_interpreter() -> None:
    """No activation needed: PSR is run as `python -m semantic_release` of mlrelease's own venv."""
    assert semrel.command() == [sys.executable, "-m", "semantic_release"]
    proc = subprocess.run(
        [*semrel.command(), "--version"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert DEFAULT_TOOLS["python-semantic-release"] in proc.stdout


# --- an environment without the tools -------------------------------------------------------------


def _thin_site(tmp: Path, leave_out: tuple[str, ...]) -> Path:
    """Links to this interpreter's packages, less those whose name starts with ``leave_out``."""
    site = tmp / "site"
    site.mkdir()
    purelib = Path(sysconfig.get_paths()["purelib"])
    for entry in purelib.iterdir():
        name = entry.name.lower().replace("-", "_")
        if name.startswith(leave_out) or entry.suffix == ".pth":
            continue
        (site / entry.name).symlink_to(entry)
    return site


def _project(tmp: Path, extra: str = "") -> Path:
    root = tmp / "ml-drift"
    root.mkdir()
    (root / "pyproject.toml").write_text(PYPROJECT.format(extra=extra), encoding="utf-8")
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    return root


def _mlrelease(
    site: Path, root: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("MLRELEASE_", "PYTHON"))}
    return subprocess.run(
        [sys.executable, "-S", "-m", "mlrelease", *args],
        cwd=root,
        env={
            **keep,
            "PYTHONPATH": f"{SRC}{os.pathsep}{site}",
            "PATH": "/usr/bin:/bin",  # no venv: no semantic-release or twine executable either
            **(env or {}),
        },
        capture_output=True,
        text=True,
        check=False,
        stdin=subprocess.DEVNULL,
    )


LEFT_OUT = ("semantic_release", "python_semantic_release", "twine", "azure")


@pytest.fixture(scope="module")
def bare_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _thin_site(tmp_path_factory.mktemp("bare"), LEFT_OUT)


def test_check_and_doctor_report_missing_release_tools(bare_site: Path, tmp_path: Path) -> None:
    root = _project(tmp_path)
    check = _mlrelease(bare_site, root, "check")
    assert check.returncode == 1, check.stdout + check.stderr
    assert "python-semantic-release" not in check.stdout  # its rules are built in
    assert "error: twine is not installed" in check.stdout
    assert "pip install --force-reinstall mlrelease" in check.stdout
    assert "azure" not in check.stdout  # nothing Azure is configured
    doctor = _mlrelease(bare_site, root, "doctor", "--json")
    assert doctor.returncode == 1, doctor.stderr
    errors = [c["what"] for c in yaml.safe_load(doctor.stdout)["checks"] if c["level"] == "error"]
    assert not any("python-semantic-release" in e for e in errors), errors
    assert any(e.startswith("twine is not installed") for e in errors), errors


def test_version_is_computed_without_semantic_release(bare_site: Path, tmp_path: Path) -> None:
    """mlrelease computes the version in-process (PSR's rule, held equal to it by the tests)."""
    root = _project(tmp_path)
    who = ["-c", "user.name=a", "-c", "user.email=a@b.invalid"]
    subprocess.run(
        ["git", *who, "commit", "-q", "--allow-empty", "-m", "feat: start"],
        cwd=root,
        check=True,
    )
    proc = _mlrelease(bare_site, root, "version")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "next version: 0.1.0" in proc.stdout
    assert "Traceback" not in proc.stderr


def test_the_tools_found_in_the_full_environment(tmp_path: Path) -> None:
    root = _project(tmp_path, AZURE_FEED + ACR_IMAGE)
    site = _thin_site(tmp_path, ("nothing-left-out",))
    proc = _mlrelease(site, root, "check")
    assert "ok: twine (publish wheels)" in proc.stdout, proc.stdout
    assert "ok: azure-identity (Azure targets)" in proc.stdout
    assert "azure-identity is not installed" not in proc.stdout


def test_a_psr_pin_other_than_the_followed_one_is_a_warning(
    bare_site: Path, tmp_path: Path
) -> None:
    """PSR's rules are built in: a pin of another PSR release changes nothing, and check says so
    (PSR itself is not installed in the environment)."""
    pin = '\n[tool.mlrelease.tools]\npython-semantic-release = "9.21.1"\n'
    root = _project(tmp_path, pin)
    proc = _mlrelease(bare_site, root, "check")
    follows = DEFAULT_TOOLS["python-semantic-release"]
    assert (
        "warning: tool.mlrelease.tools.python-semantic-release wants ==9.21.1, but mlrelease "
        f"computes the version with python-semantic-release {follows}'s rules, built in: the pin "
        "has no effect"
    ) in proc.stdout, proc.stdout
    assert (
        f"remove tool.mlrelease.tools.python-semantic-release (or write {follows})" in proc.stdout
    )
    (tmp_path / "same").mkdir()
    same = _project(tmp_path / "same", pin.replace("9.21.1", follows))
    assert "tools.python-semantic-release" not in _mlrelease(bare_site, same, "check").stdout


@pytest.mark.parametrize(
    ("extra", "what", "env"),
    [
        (AZURE_FEED, "the feed (tool.mlrelease.publish.feed)", "MLRELEASE_FEED_TOKEN"),
        (
            ACR_IMAGE,
            "registry contosoml.azurecr.io (image ml-drift)",
            "MLRELEASE_REGISTRY_PASSWORD",
        ),
    ],
    ids=["azure-artifacts-feed", "acr-registry"],
)
def test_an_azure_target_needs_azure_identity_or_a_token(
    bare_site: Path, tmp_path: Path, extra: str, what: str, env: str
) -> None:
    root = _project(tmp_path, extra)
    proc = _mlrelease(bare_site, root, "check")
    assert proc.returncode == 1
    line = next(ln for ln in proc.stdout.splitlines() if "azure-identity" in ln)
    assert line.startswith(f"error: {what} is an Azure target but azure-identity is not installed")
    assert "pip install 'mlrelease[azure]'" in line
    assert env in line
    # A token in the environment is used first: azure-identity is then not needed.
    given = _mlrelease(bare_site, root, "check", env={env: "token-from-ci"})
    assert "azure-identity" not in given.stdout, given.stdout
    assert "token-from-ci" not in given.stdout + given.stderr


# --- the setup action installs the azure extra ----------------------------------------------------


@pytest.mark.parametrize(
    ("given", "spec"),
    [
        ("1.4.2", "mlrelease[azure]==1.4.2"),
        (".", ".[azure]"),
        (
            "/tmp/x/mlrelease-1.0.0-py3-none-any.whl",
            "/tmp/x/mlrelease-1.0.0-py3-none-any.whl[azure]",
        ),
        ("mlrelease[azure]>=1.4,<2", "mlrelease[azure]>=1.4,<2"),
    ],
)
def test_the_setup_action_adds_the_azure_extra(given: str, spec: str) -> None:
    action = yaml.safe_load(
        (ROOT / ".github" / "actions" / "setup" / "action.yml").read_text(encoding="utf-8")
    )
    step = next(s for s in action["runs"]["steps"] if s.get("id") == "install")
    script = str(step["run"])
    case = script[script.index("case ") : script.index("esac") + 4]
    proc = subprocess.run(
        ["bash", "-c", case + '\nprintf %s "$spec"'],
        env={"MLRELEASE_VERSION": given, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert proc.stdout == spec
