from __future__ import annotations

import numpy as np
import pytest

from driftwatch import DriftMonitor


@pytest.fixture
def reference() -> np.ndarray:
    return np.random.default_rng(7).normal(size=5000)


def test_reports_once_per_full_window(reference: np.ndarray) -> None:
    monitor = DriftMonitor(reference, window=100)
    rng = np.random.default_rng(1)
    assert monitor.update(rng.normal(size=150)) != []
    assert monitor.pending == 50
    reports = monitor.update(rng.normal(size=250))
    assert [r.index for r in reports] == [1, 2, 3]
    assert all(r.size == 100 for r in reports)
    assert monitor.pending == 0


def test_stable_data_does_not_drift(reference: np.ndarray) -> None:
    monitor = DriftMonitor(reference, window=500)
    monitor.update(np.random.default_rng(2).normal(size=2000))
    assert monitor.drift_rate <= 0.25


def test_shifted_data_drifts(reference: np.ndarray) -> None:
    monitor = DriftMonitor(reference, window=500)
    reports = monitor.update(np.random.default_rng(3).normal(loc=0.8, size=1000))
    assert [r.drifted for r in reports] == [True, True]
    assert monitor.drift_rate == 1.0
    assert all(r.psi > 0.2 for r in reports)


def test_drift_rate_before_any_window(reference: np.ndarray) -> None:
    monitor = DriftMonitor(reference, window=10)
    monitor.update([0.0] * 5)
    assert monitor.drift_rate == 0.0
    assert monitor.history == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"window": 1}, "window"), ({"alpha": 1.5}, "alpha"), ({"alpha": 0.0}, "alpha")],
)
def test_bad_settings_are_rejected(
    reference: np.ndarray, kwargs: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        DriftMonitor(reference, **kwargs)  # type: ignore[arg-type]


def test_reference_needs_two_values() -> None:
    with pytest.raises(ValueError, match="two values"):
        DriftMonitor([1.0])
