"""Progress and warnings go to stderr, never stdout (where results and --json go): plain lines
every 25 % off a terminal, nothing for a transfer under a MiB; the counters report what moved."""

from __future__ import annotations

import io

import pytest

from mlrelease._util import console

MIB = 1 << 20


def test_plain_lines_every_quarter_and_none_for_small_transfers(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert console.progress("uploading tiny.whl", MIB - 1) is None
    shown = console.progress("uploading big.whl", 4 * MIB)
    assert shown is not None
    chunks = [b"x" * (MIB // 2)] * 8
    sent = list(console.CountedChunks(chunks, 4 * MIB, shown))
    assert sent == chunks
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "  uploading big.whl: 25% (1.0 of 4.0 MiB)",
        "  uploading big.whl: 50% (2.0 of 4.0 MiB)",
        "  uploading big.whl: 75% (3.0 of 4.0 MiB)",
        "  uploading big.whl: 100% (4.0 of 4.0 MiB)",
    ]


def test_the_reader_reports_each_read_and_a_retry_starts_again() -> None:
    seen: list[tuple[int, int]] = []
    reader = console.CountedReader(io.BytesIO(b"a" * 10), 10, lambda d, t: seen.append((d, t)))
    while reader.read(4):
        pass
    assert seen[-1] == (10, 10)
    assert [d for d, _ in seen] == [4, 8, 10, 10]
    again: list[int] = []
    body = console.CountedChunks([b"ab", b"cd"], 4, lambda d, _t: again.append(d))
    list(body)
    list(body)  # a second attempt counts from 0
    assert again == [2, 4, 2, 4]


def test_a_warning_on_github_actions_keeps_stdout_clean(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    console.warn("the caller uses a placeholder", hint="name yours")
    out, err = capsys.readouterr()
    assert out == ""
    assert "warning: the caller uses a placeholder\n  fix: name yours" in err
    assert "::warning::the caller uses a placeholder" in err
