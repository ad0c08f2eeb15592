"""A linear scoring model over the features of :mod:`fs_features`."""

from __future__ import annotations

from collections.abc import Sequence

from fs_features import ratio, zscores

__version__ = "0.1.0"
__all__ = ["score"]


def score(spend: Sequence[float], visits: Sequence[float]) -> list[float]:
    """One score per row: the standard score of spend plus its clipped spend-per-visit ratio."""
    return [
        round(z + 0.1 * ratio(s, v), 6)
        for z, s, v in zip(zscores(spend), spend, visits, strict=True)
    ]
