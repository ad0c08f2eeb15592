"""Write the module into a directory, safely, and tell when a written module is out of date.

Beside the ``.tf`` files goes ``mlrelease-module.json`` (Terraform ignores it): the repository and
the entry the module was generated from, their digest, and the digest of each file written. A file
whose content is neither the new one nor the one mlrelease wrote is the user's: it is not replaced
without ``--force``. Nothing is written through a symbolic link or outside the directory.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlrelease import __version__
from mlrelease.adopt.callers import Check
from mlrelease.errors import MlreleaseError
from mlrelease.infra.plan import InfraError, InfraPlan, origin_repository, plan_infra
from mlrelease.project import load_project

MANIFEST = "mlrelease-module.json"
DEFAULT_OUTPUT = Path("infra") / "azure"
# Where doctor and check look for modules (a directory holding the manifest), how deep.
_SKIP_DIRS = {"node_modules", "build", "dist", "__pycache__", "site-packages"}
_SEARCH_DEPTH = 3


@dataclass(frozen=True)
class Written:
    path: Path
    action: str  # "created", "updated", "unchanged"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def manifest(plan: InfraPlan, files: dict[str, str]) -> str:
    data = {
        "generator": "mlrelease infra terraform",
        "mlrelease": __version__,
        "repository": plan.entry.repository,
        "entry": plan.entry.as_data(),
        "inputs_sha256": plan.inputs_digest,
        "files": {name: _sha(text) for name, text in sorted(files.items())},
    }
    return json.dumps(data, indent=2) + "\n"


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    if path.is_symlink() or not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _where_the_user_is(root: Path) -> set[Path]:
    """The project root, the working directory and their ancestors: links there are the user's
    own setup (e.g. /var -> /private/var), not a redirection of the output."""
    here = {root.absolute(), Path.cwd()}
    return {q for p in here for q in (p, *p.parents)}


def _check_directory(directory: Path, root: Path) -> None:
    trusted = _where_the_user_is(root)
    directory = directory.absolute()
    for part in [directory, *directory.parents]:
        if part in trusted:
            break
        if part.is_symlink():
            raise InfraError(
                f"{directory}: {part} is a symbolic link: the module is not written through it",
                hint="pass --output a real directory",
            )
    if directory.exists() and not directory.is_dir():
        raise InfraError(
            f"--output {directory} is a file, not a directory",
            hint="pass --output a directory (it is created when missing), e.g. infra/azure",
        )


def write_module(
    directory: Path, plan: InfraPlan, files: dict[str, str], *, force: bool, root: Path
) -> list[Written]:
    """Write ``files`` and the manifest into ``directory``; refuse to replace a file mlrelease did
    not write (or one edited since) unless ``force``. Checks everything before writing anything."""
    _check_directory(directory, root)
    everything = {**files, MANIFEST: manifest(plan, files)}
    previous = _read_manifest(directory) or {}
    files_seen = previous.get("files")
    known: dict[str, Any] = files_seen if isinstance(files_seen, dict) else {}
    actions: dict[str, str] = {}
    foreign: list[str] = []
    for name, text in everything.items():
        path = directory / name
        if path.is_symlink():
            raise InfraError(
                f"{path} is a symbolic link: the module is not written through it",
                hint="remove the link, or pass --output another directory",
            )
        if not path.exists():
            actions[name] = "created"
            continue
        if not path.is_file():
            raise InfraError(
                f"{path} is not a file", hint="remove it, or pass --output another directory"
            )
        old = path.read_text(encoding="utf-8", errors="replace")
        if old == text:
            actions[name] = "unchanged"
            continue
        ours = name == MANIFEST or known.get(name) == _sha(old)
        if not ours and not force:
            foreign.append(name)
        actions[name] = "updated"
    if foreign:
        raise InfraError(
            f"{directory}: would replace {', '.join(sorted(foreign))}, not written by mlrelease "
            "(or edited since): nothing was written",
            hint="move your changes elsewhere (e.g. an override.tf), or run again with --force to "
            "overwrite",
        )
    directory.mkdir(parents=True, exist_ok=True)
    written: list[Written] = []
    for name, text in everything.items():
        path = directory / name
        if actions[name] != "unchanged":
            fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.")  # O_EXCL: no link
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            Path(tmp).chmod(0o666 & ~_umask())  # what a plain open() would have made
            Path(tmp).replace(path)
        written.append(Written(path, actions[name]))
    return written


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def find_modules(root: Path) -> list[Path]:
    """Directories under ``root`` (at most a few levels deep) holding a generated module."""
    found: list[Path] = []
    for current, dirs, files in os.walk(root):
        depth = len(Path(current).relative_to(root).parts)
        dirs[:] = sorted(
            d
            for d in dirs
            if not d.startswith(".") and d not in _SKIP_DIRS and depth < _SEARCH_DEPTH
        )
        if MANIFEST in files:
            found.append(Path(current))
    return found


def module_findings(root: Path) -> list[Check]:
    """For each generated module in the repository: is it up to date with the configuration?"""
    modules = find_modules(root)
    if not modules:
        return []
    try:
        project = load_project(root)
    except MlreleaseError:
        return []  # reported by the configuration check
    findings: list[Check] = []
    for directory in modules:
        where = directory.relative_to(root).as_posix() or "."
        recorded = _read_manifest(directory) or {}
        recorded_repo = recorded.get("repository")
        origin = origin_repository(root)
        repository = origin or (recorded_repo if isinstance(recorded_repo, str) else None)
        named = "" if origin or repository is None else f" --repository {repository}"
        fix = f"mlrelease infra terraform{named} --output {where}, then terraform apply"
        try:
            plan = plan_infra(project, repository)
        except MlreleaseError as exc:
            findings.append(
                Check(
                    "infra", "warning", f"{where}: cannot check the module: {exc.message}", exc.hint
                )
            )
            continue
        if recorded.get("inputs_sha256") == plan.inputs_digest:
            findings.append(Check("infra", "ok", f"{where}: the Terraform module is up to date"))
            continue
        if recorded_repo != plan.entry.repository:  # e.g. a platform team's module of another
            findings.append(
                Check(
                    "infra",
                    "ok",
                    f"{where}: a Terraform module generated for {recorded_repo}, not this "
                    f"repository ({plan.entry.repository}): not compared",
                )
            )
            continue
        changes = describe_changes(recorded.get("entry") or {}, plan.entry.as_data())
        findings.append(
            Check(
                "infra",
                "error",
                f"{where}: the Terraform module is out of date with the configuration ({changes})",
                fix,
            )
        )
    return findings


def describe_changes(old: dict[str, Any], new: dict[str, Any]) -> str:
    """What changed between two entries, in a user's words."""
    parts: list[str] = []
    old_subjects = set((old.get("federated_credentials") or {}).values())
    new_subjects = set((new.get("federated_credentials") or {}).values())
    for s in sorted(new_subjects - old_subjects):
        parts.append(f"new subject {s}")
    for s in sorted(old_subjects - new_subjects):
        parts.append(f"subject {s} is gone")

    def images(entry: dict[str, Any]) -> set[str]:
        return {
            f"{server}/{name}"
            for server, grant in (entry.get("registries") or {}).items()
            for name in (grant.get("repositories") or [])
        }

    for i in sorted(images(new) - images(old)):
        parts.append(f"new image {i}")
    for i in sorted(images(old) - images(new)):
        parts.append(f"image {i} is gone")
    if old.get("feed") != new.get("feed"):
        parts.append("the feed changed")
    return "; ".join(parts) or "the recorded inputs differ"
