"""A windowed drift monitor: compares each full window of production data with the reference."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from driftwatch.stats import ks_test, psi


@dataclass(frozen=True)
class DriftReport:
    """What the monitor found in one window.

    Attributes:
        index: the window's number, counting from 0.
        size: how many values the window holds.
        ks_statistic: Kolmogorov-Smirnov distance to the reference.
        ks_pvalue: p-value of the KS test.
        psi: population stability index against the reference.
        drifted: whether either test crossed its threshold.
    """

    index: int
    size: int
    ks_statistic: float
    ks_pvalue: float
    psi: float
    drifted: bool


class DriftMonitor:
    """Collects production values and reports drift once per full window.

    Args:
        reference: the training-time sample of the feature.
        window: how many values make one window.
        alpha: KS significance level; a p-value below it is drift.
        psi_threshold: a PSI above it is drift.
    """

    def __init__(
        self,
        reference: npt.ArrayLike,
        *,
        window: int = 500,
        alpha: float = 0.05,
        psi_threshold: float = 0.2,
    ) -> None:
        if window < 2:
            raise ValueError(f"window must be at least 2, got {window}")
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1, got {alpha}")
        self.reference = np.asarray(reference, dtype=np.float64).ravel()
        if self.reference.size < 2:
            raise ValueError("reference must contain at least two values")
        self.window = window
        self.alpha = alpha
        self.psi_threshold = psi_threshold
        self._pending = np.empty(0, dtype=np.float64)
        self._windows = 0
        self.history: list[DriftReport] = []

    @property
    def pending(self) -> int:
        """Values collected towards the next window."""
        return int(self._pending.size)

    def update(self, values: npt.ArrayLike) -> list[DriftReport]:
        """Add production values; return one report per window completed by them."""
        batch = np.asarray(values, dtype=np.float64).ravel()
        self._pending = np.concatenate([self._pending, batch])
        reports: list[DriftReport] = []
        while self._pending.size >= self.window:
            chunk, self._pending = self._pending[: self.window], self._pending[self.window :]
            reports.append(self._check(chunk))
        self.history.extend(reports)
        return reports

    def _check(self, chunk: npt.NDArray[np.float64]) -> DriftReport:
        ks = ks_test(self.reference, chunk)
        index = psi(self.reference, chunk)
        report = DriftReport(
            index=self._windows,
            size=int(chunk.size),
            ks_statistic=ks.statistic,
            ks_pvalue=ks.pvalue,
            psi=index,
            drifted=ks.drifted(self.alpha) or index > self.psi_threshold,
        )
        self._windows += 1
        return report

    @property
    def drift_rate(self) -> float:
        """Share of the windows seen so far that drifted (0 before the first window)."""
        if not self.history:
            return 0.0
        return sum(r.drifted for r in self.history) / len(self.history)
