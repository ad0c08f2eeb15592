"""Feature transforms: standard scores and clipped ratios of numeric columns."""

from __future__ import annotations

from collections.abc import Sequence

__version__ = "0.1.0"
__all__ = ["ratio", "zscores"]


def zscores(values: Sequence[float]) -> list[float]:
    """Each value's distance from the mean in standard deviations (0.0 for a constant column)."""
    n = len(values)
    if n == 0:
        return []
    mean = sum(values) / n
    spread = (sum((v - mean) ** 2 for v in values) / n) ** 0.5
    return [0.0 if spread == 0 else (v - mean) / spread for v in values]


def ratio(numerator: float, denominator: float, limit: float = 10.0) -> float:
    """``numerator / denominator`` clipped to ``[-limit, limit]`` (``limit`` for a zero divisor)."""
    if denominator == 0:
        return limit if numerator >= 0 else -limit
    return max(-limit, min(limit, numerator / denominator))
