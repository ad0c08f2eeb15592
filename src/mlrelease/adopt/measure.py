"""The tools the lint session will run, provisioned for ``mlrelease init`` to measure with.

init counts lint debt and tries mypy with the *pinned* versions the session installs, not with
whatever happens to be on PATH, provisioned as the session is: ``uv tool run --from ruff==X ruff``
(uv from this installation, :func:`mlrelease._util.uvtool.find_uv`) in uv's cached tool
environments, the cache first (``--offline``), then the index; without uv, a virtual environment
made with pip under the user cache (as nox makes the session's without uv). With neither, a ruff
on PATH is used and the difference said; with none, the reason is returned.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlrelease._util.console import counted
from mlrelease._util.runner import echo, run
from mlrelease._util.uvtool import find_uv
from mlrelease.adopt.facts import ToolPins, pre_commit_hooks
from mlrelease.config.model import DEFAULT_TOOLS
from mlrelease.errors import ToolError
from mlrelease.stages.lint import mypy_configures_files

PROVISION_TIMEOUT = 300.0  # seconds for uv to fetch a tool (the first run on a machine)
MYPY_TRIAL_TIMEOUT = 900.0  # installing the project can take a while (e.g. torch)


@dataclass(frozen=True)
class ToolCommand:
    """How to run one tool: ``argv`` prefix (``None``: not available) and what it is."""

    argv: tuple[str, ...] | None
    label: str  # "ruff 0.17.5 (pinned, uv tool run)" or why it is missing
    seconds: float = 0.0
    pinned: bool = False  # the pinned version (not a stand-in from PATH)


def requirement(tool: str, version: str) -> str:
    """``ruff==0.17.5`` for a version, ``ruff<9,>=8`` for a specifier."""
    return f"{tool}=={version}" if re.match(r"^\d", version) else f"{tool}{version}"


def _uv_tool_run(
    uv: str, spec: str, tool: str, *, with_: Sequence[str], editable: Path | None, offline: bool
) -> tuple[str, ...]:
    extra = [arg for req in with_ for arg in ("--with", req)]
    if editable is not None:
        extra += ["--with-editable", str(editable)]
    return (
        uv,
        "tool",
        "run",
        *(("--offline",) if offline else ()),
        "--quiet",
        "--from",
        spec,
        *extra,
        tool,
    )


def _cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mlrelease" / "tools"


def _venv_bin(venv: Path) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin")


def _pip_tool(
    tool: str,
    spec: str,
    *,
    with_: Sequence[str],
    editable: Path | None,
    venv: Path | None,
    env: dict[str, str] | None,
) -> tuple[tuple[str, ...] | None, str]:
    """No uv: a virtual environment with pip, as nox makes the session's without uv. A tool
    alone is kept under the user cache (``~/.cache/mlrelease/tools``) and reused."""
    if venv is None:
        key = hashlib.sha256("\n".join([spec, *with_]).encode()).hexdigest()[:12]
        venv = _cache_dir() / f"{tool}-{key}"
    exe = _venv_bin(venv) / tool
    done = venv / ".mlrelease-complete"
    if done.is_file() and exe.exists():
        return (str(exe),), "cached"
    try:
        shutil.rmtree(venv, ignore_errors=True)
        run([sys.executable, "-m", "venv", str(venv)], check=True, quiet=True, timeout=120)
        pip = [str(_venv_bin(venv) / "python"), "-m", "pip", "install", "--quiet"]
        pip += ["--disable-pip-version-check", spec, *with_]
        if editable is not None:
            pip += ["-e", str(editable)]
        run(pip, env=env, check=True, quiet=True, timeout=PROVISION_TIMEOUT)
    except (ToolError, OSError) as exc:
        return None, f"pip could not install {spec}: {_last_line(str(exc))}"
    done.write_text(spec, encoding="utf-8")
    return (str(exe),), "installed with pip"


def provision(
    tool: str,
    version: str,
    *,
    with_: Sequence[str] = (),
    editable: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    venv: Path | None = None,
    cached_only: bool = False,
) -> ToolCommand:
    """A command that runs ``tool`` at ``version``, with ``with_`` requirements and the
    ``editable`` project beside it: uv's cached tool environment, else a venv made with pip
    (``venv``, default one kept under the user cache), else the tool on PATH (said so).
    ``cached_only`` (``mlrelease check``): only what is already cached, nothing downloaded or
    installed, never a stand-in from PATH."""
    spec = requirement(tool, version)
    started = time.monotonic()
    uv = find_uv()
    problem = "no working uv"
    if cached_only:
        return _cached_tool(uv, tool, spec, started)
    if uv is not None:
        for offline in (True, False):
            argv = _uv_tool_run(uv, spec, tool, with_=with_, editable=editable, offline=offline)
            try:
                proc = run(
                    [*argv, "--version"],
                    cwd=cwd,
                    env=env,
                    check=False,
                    quiet=True,
                    timeout=PROVISION_TIMEOUT,
                )
            except ToolError as exc:  # a timeout: the index is unreachable or slow
                problem = f"uv could not provide {spec}: {exc}"
                continue
            if proc.returncode == 0:
                where = "from uv's cache" if offline else "downloaded by uv"
                seconds = time.monotonic() - started
                return ToolCommand(
                    argv, f"{spec} ({where}, as the lint session pins it)", seconds, pinned=True
                )
            problem = f"uv could not provide {spec}: {_last_line(proc.stderr)}"
    made, how = _pip_tool(tool, spec, with_=with_, editable=editable, venv=venv, env=env)
    if made is not None:
        label = f"{spec} ({how} in a tool environment, as the lint session pins it)"
        return ToolCommand(made, label, time.monotonic() - started, pinned=True)
    problem += f"; {how}"
    on_path = shutil.which(tool)
    if on_path is not None:
        proc = run([on_path, "--version"], check=False, quiet=True)
        found = proc.stdout.strip() or tool
        return ToolCommand(
            (on_path,),
            f"{found} from PATH, not the pinned {spec} ({problem}): results may differ",
            time.monotonic() - started,
        )
    return ToolCommand(None, f"{spec} is not available: {problem}")


def _cached_tool(uv: str | None, tool: str, spec: str, started: float) -> ToolCommand:
    """uv's offline tool run (not probed first: when the tool is not cached, running it fails
    and the caller says so), else the pip tool environment init made, else nothing."""
    if uv is not None:
        argv = _uv_tool_run(uv, spec, tool, with_=(), editable=None, offline=True)
        label = f"{spec} (the lint session's pin, from uv's cache only)"
        return ToolCommand(argv, label, time.monotonic() - started, pinned=True)
    key = hashlib.sha256(spec.encode()).hexdigest()[:12]
    venv = _cache_dir() / f"{tool}-{key}"
    exe = _venv_bin(venv) / tool
    if (venv / ".mlrelease-complete").is_file() and exe.exists():
        label = f"{spec} (cached tool environment, as the lint session pins it)"
        return ToolCommand((str(exe),), label, time.monotonic() - started, pinned=True)
    return ToolCommand(None, f"{spec} is not cached here yet (init and the lint session cache it)")


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1][:200] if lines else "no output"


@dataclass(frozen=True)
class MypyTrial:
    ran: bool
    passed: bool = False
    errors: int = 0
    seconds: float = 0.0
    detail: str = ""  # the tool label, or why it did not run
    crashed: bool = False  # mypy itself failed (exit status 2: configuration, no files)


# Build-time version for a copy without git history (setuptools-scm, hatch-vcs, pdm's scm source).
_PRETEND_VERSION = {
    "SETUPTOOLS_SCM_PRETEND_VERSION": "0.0.0",
    "PDM_BUILD_SCM_VERSION": "0.0.0",
}
_NOT_COPIED = shutil.ignore_patterns(
    ".git", ".nox", ".tox", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*cache"
)


def _copy_sources(root: Path, dest: Path) -> None:
    """The repository's files (tracked and untracked, not ignored) into ``dest``: the trial
    installs and type-checks there, so nothing (egg-info, caches) lands in the repository."""
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=root,
        check=False,
        quiet=True,
    )
    names = [n for n in listed.stdout.split("\0") if n] if listed.returncode == 0 else []
    if not names:
        shutil.copytree(root, dest, ignore=_NOT_COPIED, symlinks=True, dirs_exist_ok=True)
        return
    for name in names:
        src = root / name
        if src.is_file() and not src.is_symlink():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)


def mypy_trial(
    root: Path,
    version: str,
    *,
    targets: Sequence[str],
    requirements: Sequence[str] = (),
) -> MypyTrial:
    """mypy at ``version`` as the lint session runs it: the project installed, with
    ``requirements`` (stubs) beside it, on ``targets`` (none: mypy's own ``files``). It runs in a
    temporary copy of the repository, so the repository is left as it was."""
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="mlrelease-init-mypy-") as tmp:
        copy = Path(tmp) / "repo"
        copy.mkdir()
        _copy_sources(root, copy)
        tool = provision(
            "mypy",
            version,
            with_=requirements,
            editable=copy,
            cwd=copy,
            env=_PRETEND_VERSION,
            venv=Path(tmp) / "venv",
        )
        if tool.argv is None or not tool.pinned:
            return MypyTrial(ran=False, detail=tool.label)
        try:
            proc = run(
                [*tool.argv, "--cache-dir", str(Path(tmp) / "mypy-cache"), *targets],
                cwd=copy,
                env=_PRETEND_VERSION,
                check=False,
                quiet=True,
                timeout=MYPY_TRIAL_TIMEOUT,
            )
        except ToolError as exc:  # a timeout
            return MypyTrial(ran=False, detail=f"mypy did not finish: {exc}")
    seconds = time.monotonic() - started
    m = re.search(r"Found (\d+) errors?", proc.stdout)
    errors = int(m.group(1)) if m else (0 if proc.returncode == 0 else 1)
    if proc.returncode not in (0, 1):  # 2: mypy itself failed (bad config, no files)
        detail = _last_line(proc.stdout + proc.stderr)
        return MypyTrial(ran=True, errors=errors, seconds=seconds, detail=detail, crashed=True)
    return MypyTrial(
        ran=True,
        passed=proc.returncode == 0,
        errors=errors,
        seconds=seconds,
        detail=tool.label,
    )


@dataclass(frozen=True)
class LintDebt:
    checked: bool
    findings: int = 0
    unformatted: int = 0
    reason: str = ""
    tool: str = ""  # which ruff measured, e.g. "ruff==0.17.5 (from uv's cache, ...)"
    seconds: float = 0.0


@dataclass(frozen=True)
class MypyDecision:
    on: bool
    why: str
    errors: int = 0  # existing errors: on only under lint.fail-on = "new" (only new ones fail)


def ruff_command(version: str | None = None) -> list[str] | None:
    """The pinned ruff the lint session runs (:func:`provision`), or None."""
    tool = provision("ruff", version or DEFAULT_TOOLS["ruff"])
    return list(tool.argv) if tool.argv else None


def lint_debt(root: Path, paths: list[str], ruff: ToolCommand | None = None) -> LintDebt:
    """Count existing ruff findings and unformatted files in ``paths`` (the lint session's), with
    the ruff the session pins (``ruff``: provisioned by the caller)."""
    started = time.monotonic()
    ruff = ruff or provision("ruff", DEFAULT_TOOLS["ruff"])
    if ruff.argv is None:
        return LintDebt(checked=False, reason=ruff.label)
    if not paths:
        return LintDebt(checked=True, tool=ruff.label)
    check = run(
        [*ruff.argv, "check", "--no-cache", "--output-format", "json", "--exit-zero", "--", *paths],
        cwd=root,
        check=False,
        quiet=True,
    )
    if check.returncode != 0:  # ruff itself failed (a configuration error), or uv did
        return LintDebt(checked=False, reason=f"{ruff.label}: {_last_line(check.stderr)}")
    try:
        findings = len(json.loads(check.stdout or "[]"))
    except json.JSONDecodeError:
        return LintDebt(checked=False, reason=f"ruff failed: {check.stderr.strip()[:200]}")
    fmt = run(
        [*ruff.argv, "format", "--no-cache", "--check", "--", *paths],
        cwd=root,
        check=False,
        quiet=True,
    )
    unformatted = len([ln for ln in fmt.stdout.splitlines() if ln.startswith("Would reformat")])
    seconds = ruff.seconds + time.monotonic() - started
    return LintDebt(True, findings, unformatted, tool=ruff.label, seconds=seconds)


def decide_mypy(
    root: Path,
    data: dict[str, Any],
    *,
    package: str | None,
    ci_mypy: str | None,
    configured: bool,
    pins: ToolPins,
    trial: bool = True,
) -> MypyDecision:
    """mypy is on only when the repository runs it (CI, pre-commit, tox, nox, Makefile) and the
    pinned mypy passes in the lint session's environment, or finds errors that
    ``lint.fail-on = "new"`` then covers (:mod:`mlrelease.stages.mypy_new`: only errors in
    changed lines fail); a ``[tool.mypy]`` section alone is not enough (many repositories have
    one and never run mypy)."""
    hook = any(
        isinstance(h, dict) and h.get("id") == "mypy"
        for repo in pre_commit_hooks(root)
        for h in repo.get("hooks") or []
    )
    where = ".pre-commit-config.yaml (mypy hook)" if hook else ci_mypy
    if where is None:
        unused = " (it has a mypy configuration, but nothing runs it)"
        return MypyDecision(
            False,
            "the repository does not run mypy in CI, pre-commit, tox, nox or a Makefile"
            + (unused if configured else "")
            + '; lint.mypy = "off" (set "on" to type-check)',
        )
    if not trial:
        return MypyDecision(True, f"the repository runs mypy ({where}); not tried")
    version = pins.values.get("mypy", DEFAULT_TOOLS["mypy"])
    names_files = mypy_configures_files(root, data)
    targets = [] if names_files else [package] if package else []
    if not targets and not names_files:
        return MypyDecision(False, 'no package to type-check; lint.mypy = "off"')
    echo(
        f"init: trying mypy {version} as the lint session runs it ({where} runs mypy; the "
        "package is installed in a temporary copy, which can take a few minutes)"
    )
    result = mypy_trial(root, version, targets=targets, requirements=pins.lint_requirements)
    return mypy_from_trial(result, where, version)


def mypy_from_trial(result: MypyTrial, where: str, version: str) -> MypyDecision:
    """What a trial says: on when it passes or finds errors (``fail-on = "new"`` covers them),
    off when it could not run or mypy itself failed."""
    if not result.ran:
        return MypyDecision(
            False,
            f"the repository runs mypy ({where}), but it could not be tried ({result.detail}); "
            'lint.mypy = "off" (set "on" once `nox -s lint` passes with it)',
        )
    if result.passed:
        return MypyDecision(
            True,
            f"on: the repository runs it ({where}) and mypy {version} passes in the lint "
            f"session's environment ({result.seconds:.0f} s)",
        )
    if result.crashed:
        return MypyDecision(
            False,
            f"the repository runs mypy ({where}), but mypy {version} itself fails as the lint "
            f'session runs it ({result.detail}); lint.mypy = "off" (set "on" once it runs)',
        )
    return MypyDecision(
        True,
        f"on: the repository runs it ({where}); mypy {version} finds "
        f"{counted(result.errors, 'error')} in the existing code with the package installed, "
        'as the lint session runs it: lint.fail-on = "new" covers them (only errors in '
        f"changed lines fail; {result.seconds:.0f} s)",
        errors=max(result.errors, 1),
    )
