"""The render record: what mlrelease rendered in a repository, by which version, from which answers.

One committed file, ``.github/mlrelease.lock.json``, written by ``mlrelease init``, ``mlrelease new``
and ``mlrelease update``. For each file mlrelease owns (the caller workflow, the Dependabot file, the
noxfile) it keeps the exact text rendered, so that ``mlrelease update`` has the base of its
three-way merge: base = the previous render, ours = the file on disk, theirs = the new render.

The owned files are rendered by :mod:`mlrelease.adopt.init`'s own renderers (:func:`caller_workflow`,
``DEPENDABOT``, ``NOX_HEADER``); nothing here copies a template. The noxfile is the repository's
own file: only its PEP 723 header (``# /// script`` ... ``# ///``) is mlrelease's, so its new render
is the previous text with the header replaced.

A repository adopted before the record existed is recognised from its caller workflow: the
workflows repository and ref of its ``uses:`` lines, the ``mlrelease-version`` input, the push
branch and tag trigger are the answers, and the base is rendered from them (:func:`infer`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlrelease import __version__
from mlrelease.adopt.detect import Detected
from mlrelease.adopt.init import (
    DEPENDABOT,
    DEPENDABOT_PATH,
    WORKFLOW_PATH,
    Change,
    InitPlan,
    caller_workflow,
    workflows_repo_setting,
)
from mlrelease.adopt.noxheader import header_text
from mlrelease.errors import EnvironmentProblem

RECORD_PATH = ".github/mlrelease.lock.json"
NOXFILE_PATH = "noxfile.py"
OWNED = (WORKFLOW_PATH, DEPENDABOT_PATH, NOXFILE_PATH)
_HEADER = re.compile(r"^# /// script\n(?:#(?! ///\n).*\n)*?# ///\n", re.M)
_USES = re.compile(
    r"^\s*uses:\s*['\"]?(?P<repo>[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)/\.github/workflows/"
    r"(?:python-ci|release)\.yml@(?P<ref>[\w./-]+)",
    re.M,
)
_VERSION_INPUT = re.compile(r"mlrelease-version:\s*['\"]?(?P<version>[^'\"\s,}]+)")
_DEPENDABOT_MARK = "Added by `mlrelease init`"
_COMMENT = (
    "Written by mlrelease (init, new, update): what it rendered, the base of the three-way merge "
    "of `mlrelease update`. Commit it; do not edit it by hand."
)


@dataclass(frozen=True)
class Record:
    version: str  # the mlrelease that rendered the files
    answers: dict[str, str]  # workflows-repo, branch, tag-format (and new's answers)
    files: dict[str, str] = field(default_factory=dict)  # path -> the exact text rendered
    recorded: bool = True  # False: inferred from a repository without a record

    def text(self) -> str:
        data: dict[str, Any] = {
            "comment": _COMMENT,
            "mlrelease": self.version,
            "answers": dict(sorted(self.answers.items())),
            "files": {
                path: {"sha256": hashlib.sha256(text.encode()).hexdigest(), "text": text}
                for path, text in sorted(self.files.items())
            },
        }
        return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def render(path: str, answers: dict[str, str], version: str, base: str | None) -> str:
    """The text mlrelease ``version`` renders for an owned file, from ``answers``; ``base`` is
    the previous text (the noxfile keeps everything but its header)."""
    if path == WORKFLOW_PATH:
        return caller_workflow(
            answers.get("branch", "main"),
            workflows_repo=answers.get("workflows-repo"),
            tag_format=answers.get("tag-format", "v{version}"),
            version=version,
        )
    if path == DEPENDABOT_PATH:
        return DEPENDABOT
    if path == NOXFILE_PATH:
        text = base or ""
        return (
            _HEADER.sub(lambda _: header_text(version), text, count=1)
            if _HEADER.search(text)
            else text
        )
    raise ValueError(f"not a file mlrelease renders: {path}")


def owned_text(path: str, text: str | None, answers: dict[str, str]) -> bool:
    """Whether ``text`` at ``path`` is mlrelease's render (so update may manage it)."""
    if text is None:
        return False
    if path == NOXFILE_PATH:
        return bool(_HEADER.search(text)) and "mlrelease" in text
    return text == render(path, answers, __version__, text)


def init_answers(found: Detected | None, workflows_repo: str | None) -> dict[str, str]:
    """The answers ``init`` renders the caller with (as :func:`mlrelease.adopt.init.plan_init`);
    ``found`` is None at a monorepo root (its members keep their own tag formats)."""
    repo, ref = workflows_repo_setting(workflows_repo)
    return {
        "workflows-repo": f"{repo}@{ref}",
        "branch": found.branch.name if found and found.branch else "main",
        "tag-format": (found.tags.format if found else None) or "v{version}",
    }


def init_record_change(
    plan: InitPlan, workflows_repo: str | None, extra: dict[str, str] | None = None
) -> list[Change]:
    """The record ``init`` writes next to the files it adds (none when one exists already);
    ``extra``: more answers to keep (those of ``mlrelease new``)."""
    root = plan.root
    if (root / RECORD_PATH).exists():
        return []
    answers = init_answers(plan.detected, workflows_repo)
    after = {c.path: c.new for c in plan.changes}
    files = {}
    for path in OWNED:
        text = after.get(path, read_or_none(root / path))
        if owned_text(path, text, answers) and text is not None:
            files[path] = text
    if not files:
        return []
    record = Record(__version__, {**(extra or {}), **answers}, files)
    return [Change(RECORD_PATH, None, record.text(), "what mlrelease rendered (mlrelease update)")]


def load(root: Path) -> Record | None:
    """The record of ``root``; None when there is none. A damaged record is an error."""
    path = root / RECORD_PATH
    text = read_or_none(path)
    if text is None:
        return None
    try:
        data = json.loads(text)
        files = {str(p): str(v["text"]) for p, v in data["files"].items()}
        answers = {str(k): str(v) for k, v in data["answers"].items()}
        version = str(data["mlrelease"])
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        raise EnvironmentProblem(
            f"{RECORD_PATH}: not a render record mlrelease can read ({exc})",
            hint=f"restore it from git (git checkout -- {RECORD_PATH}), or delete it: "
            "mlrelease update then infers the answers from the caller workflow",
        ) from None
    unknown = sorted(set(files) - set(OWNED))
    if unknown:
        raise EnvironmentProblem(
            f"{RECORD_PATH}: files: {', '.join(unknown)} is not a file mlrelease renders",
            hint=f"restore the record from git (git checkout -- {RECORD_PATH})",
        )
    return Record(version, answers, files)


def infer(root: Path) -> Record:
    """The record of a repository adopted before records existed, from its caller workflow."""
    caller = read_or_none(root / WORKFLOW_PATH)
    uses = _USES.search(caller or "")
    if caller is None or uses is None:
        raise EnvironmentProblem(
            f"{root}: no {RECORD_PATH} and no caller of the reusable workflows in {WORKFLOW_PATH}",
            hint="mlrelease update keeps an adopted repository current: adopt it first with "
            "`mlrelease init`",
        )
    pin = _VERSION_INPUT.search(caller)
    version = pin.group("version") if pin else __version__
    branch, tag_format = _triggers(caller)
    answers = {
        "workflows-repo": f"{uses.group('repo')}@{uses.group('ref')}",
        "branch": branch,
        "tag-format": tag_format,
    }
    files = {WORKFLOW_PATH: render(WORKFLOW_PATH, answers, version, None)}
    dependabot = read_or_none(root / DEPENDABOT_PATH)
    if dependabot is not None and _DEPENDABOT_MARK in dependabot:
        files[DEPENDABOT_PATH] = DEPENDABOT
    noxfile = read_or_none(root / NOXFILE_PATH)
    if noxfile is not None and owned_text(NOXFILE_PATH, noxfile, answers):
        files[NOXFILE_PATH] = noxfile
    return Record(version, answers, files, recorded=False)


def _triggers(caller: str) -> tuple[str, str]:
    """(release branch, tag format) from the caller's push trigger."""
    import yaml

    try:
        data = yaml.safe_load(caller)
    except yaml.YAMLError:
        data = None
    on = data.get("on", data.get(True)) if isinstance(data, dict) else None
    push = on.get("push") if isinstance(on, dict) else None
    branches = push.get("branches") if isinstance(push, dict) else None
    tags = push.get("tags") if isinstance(push, dict) else None
    branch = str(branches[0]) if isinstance(branches, list) and branches else "main"
    glob = str(tags[0]) if isinstance(tags, list) and tags else "v*"
    prefix = "" if glob == "[0-9]*" else glob.rstrip("*")
    return branch, f"{prefix}{{version}}"


def read_or_none(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (FileNotFoundError, NotADirectoryError):
        return None
