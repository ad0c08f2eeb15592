"""Drift statistics: the two-sample Kolmogorov-Smirnov test and the population stability index."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import stats

ArrayLike = npt.ArrayLike


@dataclass(frozen=True)
class KSResult:
    """Result of :func:`ks_test`.

    Attributes:
        statistic: the largest distance between the two empirical distribution functions (0..1).
        pvalue: probability of a distance at least this large if both samples share a distribution.
    """

    statistic: float
    pvalue: float

    def drifted(self, alpha: float = 0.05) -> bool:
        """Whether the test rejects "same distribution" at significance level ``alpha``."""
        return self.pvalue < alpha


def _as_sample(values: ArrayLike, name: str) -> npt.NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError(f"{name} must contain at least one value")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def ks_test(reference: ArrayLike, current: ArrayLike) -> KSResult:
    """Two-sample Kolmogorov-Smirnov test of ``current`` against ``reference``.

    >>> ks_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).statistic
    0.0
    """
    ref = _as_sample(reference, "reference")
    cur = _as_sample(current, "current")
    result = stats.ks_2samp(ref, cur)
    return KSResult(statistic=float(result.statistic), pvalue=float(result.pvalue))


def psi(reference: ArrayLike, current: ArrayLike, *, bins: int = 10, eps: float = 1e-6) -> float:
    """Population stability index of ``current`` against ``reference``.

    The bins are quantiles of the reference, so each holds about the same share of it. Rules of
    thumb: below 0.1 no shift, 0.1 to 0.25 a moderate shift, above 0.25 a major shift.

    Args:
        reference: the sample the model was trained on.
        current: the sample seen in production.
        bins: number of quantile bins (at least 2).
        eps: floor for empty bins, so the logarithm stays finite.
    """
    if bins < 2:
        raise ValueError(f"bins must be at least 2, got {bins}")
    ref = _as_sample(reference, "reference")
    cur = _as_sample(current, "current")
    edges = np.unique(np.quantile(ref, np.linspace(0.0, 1.0, bins + 1)))
    if edges.size < 2:  # a constant reference: its value's bin and one on either side
        edges = np.array([-np.inf, edges[0] - 0.5, edges[0] + 0.5, np.inf])
    else:
        edges[0], edges[-1] = -np.inf, np.inf
    ref_share = np.histogram(ref, bins=edges)[0] / ref.size
    cur_share = np.histogram(cur, bins=edges)[0] / cur.size
    ref_share = np.clip(ref_share, eps, None)
    cur_share = np.clip(cur_share, eps, None)
    return float(np.sum((cur_share - ref_share) * np.log(cur_share / ref_share)))
