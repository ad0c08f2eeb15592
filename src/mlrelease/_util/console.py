"""Messages for people: errors on stderr, GitHub Actions annotations and step summaries.

Every function here masks registered secrets before anything is written.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from mlrelease._util.redact import redact
from mlrelease.errors import Problem


def counted(n: int, noun: str, plural: str = "") -> str:
    """``counted(1, "package")`` -> "1 package", ``counted(2, "package")`` -> "2 packages"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def colour_wanted(stream: object = None) -> bool:
    """Whether a tool we run may print colour codes: never with ``NO_COLOR`` set (no-color.org),
    always with ``FORCE_COLOR``, else only onto a terminal (not into a pipe or a CI log file)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream if stream is not None else sys.stdout, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


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


def warn(message: str, *, hint: str = "") -> None:
    """A warning for people, on stderr (stdout stays the result, e.g. a diff or JSON)."""
    text = f"warning: {message}" + (f"\n  fix: {hint}" if hint else "")
    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()
    if on_github_actions():  # on stderr too: stdout stays the result (e.g. --json)
        sys.stderr.write(f"::warning::{_escape_data(redact(message))}\n")
        sys.stderr.flush()


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


# --- progress of long transfers ------------------------------------------------------------------

Progress = Callable[[int, int], None]  # (bytes done, bytes in all)
PROGRESS_MIN_BYTES = 1 << 20  # below a MiB there is nothing to wait for: no progress shown
PLAIN_STEP = 25  # percent between two plain lines (CI logs, pipes)
_live_lock = threading.Lock()
_live: dict[str, Any] = {}  # the one rich display on a terminal, shared by concurrent transfers


def _on_terminal() -> bool:
    if os.environ.get("CI") or on_github_actions() or os.environ.get("TERM") == "dumb":
        return False
    return sys.stderr.isatty()


def progress(label: str, total: int) -> Progress | None:
    """A callback that shows a transfer's progress on stderr (stdout stays the result): a rich bar
    on a terminal, else a plain line every 25 %; None for a transfer under a MiB."""
    if total < PROGRESS_MIN_BYTES:
        return None
    label = redact(label)
    if _on_terminal():
        try:
            return _rich_progress(label, total)
        except ImportError:  # pragma: no cover - rich comes with twine
            pass
    return _plain_progress(label, total)


def _plain_progress(label: str, total: int) -> Progress:
    shown = [0]

    def update(done: int, size: int) -> None:
        pct = 100 * done // max(size, 1)
        step = pct - pct % PLAIN_STEP
        if step > shown[0] or (done >= size and shown[0] < 100):
            shown[0] = 100 if done >= size else step
            mib = f"{done / 1048576:.1f} of {size / 1048576:.1f} MiB"
            sys.stderr.write(f"  {label}: {shown[0]}% ({mib})\n")
            sys.stderr.flush()

    return update


def _rich_progress(label: str, total: int) -> Progress:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )
    from rich.progress import Progress as Bar

    with _live_lock:
        bar = _live.get("bar")
        if bar is None:
            bar = Bar(
                TextColumn("  {task.description}"),
                BarColumn(),
                DownloadColumn(binary_units=True),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=False,
            )
            bar.start()
            _live["bar"], _live["open"] = bar, 0
        task = bar.add_task(label, total=total)
        _live["open"] += 1
    finished = [False]

    def update(done: int, size: int) -> None:
        bar.update(task, completed=done, total=size)
        if done >= size and not finished[0]:
            finished[0] = True
            with _live_lock:
                _live["open"] -= 1
                if _live["open"] == 0:
                    bar.stop()
                    _live.clear()

    return update


class CountedChunks:
    """An iterable of byte chunks that reports each one to ``progress`` (once per iteration: a
    retried upload starts again at 0)."""

    def __init__(self, chunks: Iterable[bytes], total: int, progress: Progress | None) -> None:
        self.chunks, self.total, self.progress = chunks, total, progress

    def __iter__(self) -> Iterator[bytes]:
        done = 0
        for chunk in self.chunks:
            yield chunk
            done += len(chunk)
            if self.progress is not None:
                self.progress(done, self.total)


class CountedReader:
    """A binary file for ``urllib``'s request body that reports what was read to ``progress``."""

    def __init__(self, fh: BinaryIO, total: int, progress: Progress | None) -> None:
        self.fh, self.total, self.progress, self.done = fh, total, progress, 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.done += len(data)
        if self.progress is not None and (data or self.done >= self.total):
            self.progress(self.done, self.total)
        return data

    def close(self) -> None:
        self.fh.close()
