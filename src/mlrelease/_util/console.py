"""The reporter: the one module of mlrelease that writes output.

Results on stdout (:func:`out`, :func:`json`, :func:`write`), messages for people on stderr
(:func:`echo`, :func:`note`, :func:`error`, :func:`warn`, :func:`problems`, :func:`usage`, the
lines of a running tool through :func:`stream_line`), and on GitHub Actions the workflow commands
(``::error``, ``::warning``, ``::group::`` through :func:`group`, ``::add-mask::`` through
:func:`mask`), the step outputs (:func:`step_outputs`, one key set: :data:`STEP_OUTPUTS`) and the
step summary (:func:`step_summary`). ``tests/unit/test_output_rules.py`` holds every other module
to it.

Every function here masks registered secrets before anything is written.
"""

from __future__ import annotations

import contextlib
import json as _json
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from mlrelease._util.redact import redact, remember_secret
from mlrelease.errors import Problem


def counted(n: int, noun: str, plural: str = "") -> str:
    """``counted(1, "package")`` -> "1 package", ``counted(2, "package")`` -> "2 packages"."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"


def human_size(size: int | None) -> str:
    """A size in binary units as ``du -h`` and the progress lines show it (``512 B``, ``1.5 KiB``,
    ``12.3 MiB``, ``2.0 GiB``); ``?`` when unknown. The one size format of mlrelease's output."""
    if size is None:
        return "?"
    if size < 1024:
        return f"{size} B"
    value = float(size)
    for unit in ("KiB", "MiB", "GiB"):
        value /= 1024
        if value < 1024 or unit == "GiB":
            break
    return f"{value:.1f} {unit}"


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


def json(data: object) -> None:
    """A result as indented JSON on stdout (``--json``)."""
    out(_json.dumps(data, indent=2))


def write(text: str) -> None:
    """A tool's own output (a diff, findings) on stdout as it is, masked: no newline added."""
    sys.stdout.write(redact(text))
    sys.stdout.flush()


def usage(text: str) -> None:
    """argparse's help text on stderr (a usage error: stdout stays the result)."""
    sys.stderr.write(redact(text))
    sys.stderr.flush()


def note(text: str) -> None:
    """A line for people on stderr, shown even under ``--quiet`` (what was written while stdout
    carries JSON, why every member is affected, a configuration error in a nox session)."""
    sys.stderr.write(redact(text) + "\n")
    sys.stderr.flush()


def discard_stdout() -> None:
    """Point stdout at /dev/null: its reader went away (``mlrelease plan | head -1``) and the
    interpreter's final flush must not fail again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # stdout already closed or not a real file
        pass
    finally:
        os.close(devnull)


# --- progress lines and the output of running tools ----------------------------------------------

_verbosity = 0


def set_verbosity(level: int) -> None:
    """-1 for ``--quiet`` (no progress lines), 0 by default, 1+ for ``-v`` (tools' output too)."""
    global _verbosity  # noqa: PLW0603 - one process-wide setting chosen by the CLI flags
    _verbosity = level


def verbosity() -> int:
    return _verbosity


def echo(message: str, *, err: bool = True) -> None:
    """Print a progress line (masked) unless --quiet."""
    if _verbosity < 0:
        return
    stream = sys.stderr if err else sys.stdout
    stream.write(redact(message) + "\n")
    stream.flush()


def stream_line(line: str) -> None:
    """One line of a running tool's output on stderr (masked) while it runs, unless --quiet."""
    if _verbosity < 0:
        return
    sys.stderr.write(redact(line) + "\n")
    sys.stderr.flush()


@contextlib.contextmanager
def group(title: str | None) -> Iterator[None]:
    """Fold the lines written inside in ``::group::<title>`` / ``::endgroup::`` on GitHub Actions
    (nothing elsewhere, without a title, or under --quiet)."""
    fold = bool(title) and _verbosity >= 0 and on_github_actions()
    if fold:
        sys.stderr.write(f"::group::{redact(str(title))}\n")
        sys.stderr.flush()
    try:
        yield
    finally:
        if fold:
            sys.stderr.write("::endgroup::\n")
            sys.stderr.flush()


def mask(value: str | None) -> None:
    """Mask ``value`` in every line mlrelease writes from now on (no-op for empty or very short
    values) and, on GitHub Actions, announce it with ``::add-mask::`` so the runner hides it in
    later steps too. The command goes to stderr, never stdout: the runner reads workflow commands
    from both streams, and stdout carries results that are piped and redirected."""
    if not remember_secret(value) or value is None or not on_github_actions():
        return
    for line in value.splitlines():
        if line.strip():
            sys.stderr.write(f"::add-mask::{line}\n")
    sys.stderr.flush()


# --- GitHub Actions step outputs and summary -----------------------------------------------------

# The one key set of the step outputs mlrelease writes, and what each says.
STEP_OUTPUTS: dict[str, str] = {
    "version": "the released (or next) version, PEP 440",
    "tag": "the release tag at the released commit, blank when there is none",
    "released": "`release`: true when this run released a version (or verified a tag pushed by hand)",
    "prerelease": "true when the version is a prerelease",
    "release": "`version`: true when there is something to release (what `release` would do)",
    "tags": "a monorepo release: every member's tag at HEAD, space-separated",
    "members": "a monorepo release: the members released, space-separated",
    "digests": "`publish images`: one-line JSON map from each image reference to its digest",
}


def step_outputs(values: dict[str, str]) -> None:
    """``name=value`` lines into ``$GITHUB_OUTPUT`` when set (GitHub Actions step outputs): the one
    place mlrelease writes them. Each name is one of :data:`STEP_OUTPUTS`; each value one line."""
    unknown = sorted(set(values) - set(STEP_OUTPUTS))
    if unknown:
        raise ValueError(f"not a step output of mlrelease: {', '.join(unknown)} (STEP_OUTPUTS)")
    target = os.environ.get("GITHUB_OUTPUT")
    if not target:
        return
    for name, value in values.items():
        if "\n" in value:
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
