"""Throwaway git repositories built from declarative commit lists, with a local bare remote.

    repo = build_repo(tmp_path, ["feat: first", Tag("v0.1.0"), "fix: crash on empty frame"])

Each string is a conventional-commit message (a file changes so the commit is real); ``Tag`` tags
the commit before it; ``Branch`` switches to (creating) a branch. ``main`` and every tag are pushed
to ``remote.git`` at the end, so the remote matches the clone the way a CI checkout would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# A fixed identity and no user/system configuration, so the host's git config never leaks in.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Release Tester",
    "GIT_AUTHOR_EMAIL": "tester@example.invalid",
    "GIT_COMMITTER_NAME": "Release Tester",
    "GIT_COMMITTER_EMAIL": "tester@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_CONFIG_GLOBAL": os.devnull,
}


@dataclass(frozen=True)
class Tag:
    name: str


@dataclass(frozen=True)
class Branch:
    name: str


Step = str | Tag | Branch


def git(cwd: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        ["git", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=False,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return proc.stdout.strip()


@dataclass
class Repo:
    path: Path
    remote: Path

    def git(self, *args: str, check: bool = True) -> str:
        return git(self.path, *args, check=check)

    def commit(self, message: str) -> str:
        """A real change (one line appended to CHANGES.txt) committed with ``message``."""
        with (self.path / "CHANGES.txt").open("a", encoding="utf-8") as fh:
            fh.write(message.splitlines()[0] + "\n")
        self.git("add", "CHANGES.txt")
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD")

    def apply(self, steps: Sequence[Step]) -> None:
        for step in steps:
            if isinstance(step, Tag):
                self.git("tag", "-a", step.name, "-m", step.name)
            elif isinstance(step, Branch):
                self.git("checkout", "-q", "-B", step.name)
            else:
                self.commit(step)

    def push_all(self) -> None:
        self.git("push", "-q", "origin", "--all")
        self.git("push", "-q", "origin", "--tags")

    def clone(self, where: Path) -> Repo:
        git(where.parent, "clone", "-q", str(self.remote), where.name)
        return Repo(where, self.remote)

    # what the remote holds
    def remote_git(self, *args: str, check: bool = True) -> str:
        return git(self.remote, *args, check=check)

    def remote_tag_commit(self, tag: str) -> str:
        """The commit a tag on the remote points at ('' when the tag is absent)."""
        return self.remote_git("rev-parse", "--verify", "--quiet", f"{tag}^{{commit}}", check=False)

    def remote_file(self, ref: str, path: str) -> str:
        return self.remote_git("show", f"{ref}:{path}")

    def mlrelease(
        self, *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run the real CLI in this repository."""
        return subprocess.run(
            [sys.executable, "-m", "mlrelease", *args],
            cwd=self.path,
            env={**os.environ, **GIT_ENV, "NO_COLOR": "1", **(env or {})},
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )


def pyproject(version: str | None = "0.1.0", version_config: str = "", extra: str = "") -> str:
    """A minimal src-layout project; ``version=None`` makes it dynamic (hatch-vcs)."""
    if version is None:
        head = textwrap.dedent(
            """\
            [build-system]
            requires = ["hatchling", "hatch-vcs"]
            build-backend = "hatchling.build"

            [project]
            name = "demo-pkg"
            dynamic = ["version"]

            [tool.hatch.version]
            source = "vcs"
            """
        )
    else:
        head = textwrap.dedent(
            f"""\
            [build-system]
            requires = ["hatchling"]
            build-backend = "hatchling.build"

            [project]
            name = "demo-pkg"
            version = "{version}"
            """
        )
    table = (
        "\n[tool.mlrelease.version]\n" + textwrap.dedent(version_config) if version_config else ""
    )
    return head + table + textwrap.dedent(extra)


def build_repo(
    tmp_path: Path,
    steps: Sequence[Step],
    *,
    version: str | None = "0.1.0",
    version_config: str = "",
    extra: str = "",
    init_version: bool = True,
) -> Repo:
    """A repository whose first commit holds the project, then ``steps``; pushed to a bare remote."""
    remote = tmp_path / "remote.git"
    path = tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(remote))
    git(tmp_path, "init", "-q", "-b", "main", str(path))
    repo = Repo(path, remote)
    (path / "pyproject.toml").write_text(
        pyproject(version, version_config, extra), encoding="utf-8"
    )
    pkg = path / "src" / "demo_pkg"
    pkg.mkdir(parents=True)
    init = (
        f'"""Demo package."""\n\n__version__ = "{version}"\n'
        if version and init_version
        else '"""Demo."""\n'
    )
    (pkg / "__init__.py").write_text(init, encoding="utf-8")
    repo.git("add", "-A")
    repo.git("commit", "-q", "-m", "chore: initial project")
    repo.git("remote", "add", "origin", str(remote))
    repo.apply(steps)
    repo.push_all()
    return repo


def seed_driftwatch_history(seed: Path, tmp: Path) -> tuple[Path, Path]:
    """Give a prepared copy of examples/driftwatch the history the workflow tests release from:
    ``v0.1.0``, then a feat and a fix; push it to ``tmp/remote.git`` and clone that as a runner's
    workspace. Returns (remote, workspace)."""
    git(seed, "init", "-q", "-b", "main")
    git(seed, "add", "-A")
    git(seed, "commit", "-q", "-m", "feat: driftwatch, a data-drift detector")
    git(seed, "tag", "-a", "v0.1.0", "-m", "Release 0.1.0")
    readme = seed / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nMonitors report PSI.\n")
    git(seed, "commit", "-q", "-am", "feat: document the PSI report")
    readme.write_text(readme.read_text(encoding="utf-8") + "\nTypo fixed.\n")
    git(seed, "commit", "-q", "-am", "fix: a typo in the README")
    remote = tmp / "remote.git"
    git(tmp, "init", "-q", "--bare", "-b", "main", str(remote))
    git(seed, "remote", "add", "origin", str(remote))
    git(seed, "push", "-q", "origin", "main", "--tags")
    workspace = tmp / "workspace"
    git(tmp, "clone", "-q", str(remote), str(workspace))
    return remote, workspace
