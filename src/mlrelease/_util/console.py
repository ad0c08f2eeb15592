"""Messages for people: errors on stderr, GitHub Actions annotations and step summaries.

Every function here masks registered secrets before anything is written.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from mlrelease._util.redact import redact
from mlrelease.errors import Problem


def on_github_actions() -> bool:
    return os.environ.get("GITHUB_ACTIONS") == "true"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotate_error(message: str, *, file: str | None = None, title: str | None = None) -> None:
    """Emit ``::error file=...::message`` when running on GitHub Actions."""
    if not on_github_actions():
        return
    props = []
    if file:
        props.append(f"file={_escape_property(file)}")
    if title:
        props.append(f"title={_escape_property(title)}")
    head = "::error " + ",".join(props) if props else "::error"
    sys.stdout.write(f"{head}::{_escape_data(redact(message))}\n")
    sys.stdout.flush()


def error(message: str, *, hint: str = "") -> None:
    text = f"error: {message}" + (f"\n  hint: {hint}" if hint else "")
    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()
    annotate_error(message + (f" ({hint})" if hint else ""))


def problems(items: list[Problem], *, header: str) -> None:
    sys.stderr.write(redact(header) + "\n")
    for p in items:
        sys.stderr.write(redact(f"  - {p}") + "\n")
        annotate_error(str(p), file=p.file, title=p.key or "mlrelease")
    sys.stderr.flush()


def out(text: str = "") -> None:
    """Results go to stdout (so `--json` can be piped)."""
    sys.stdout.write(redact(text) + "\n")
    sys.stdout.flush()


def step_outputs(values: dict[str, str]) -> None:
    """``name=value`` lines into ``$GITHUB_OUTPUT`` when set (GitHub Actions step outputs): the one
    place mlrelease writes them. Each value must be one line."""
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    for name, value in values.items():
        if "\n" in value or "\n" in name:
            raise ValueError(f"the step output {name!r} must be one line")
    with Path(target).open("a", encoding="utf-8") as fh:
        fh.writelines(f"{name}={value}\n" for name, value in values.items())


def step_summary(markdown: str) -> None:
    """Append to ``$GITHUB_STEP_SUMMARY`` when set (GitHub Actions)."""
    target = os.environ.get("GITHUB_STEP_SUMMARY")
    if not target:
        return
    with Path(target).open("a", encoding="utf-8") as fh:
        fh.write(redact(markdown).rstrip() + "\n\n")
