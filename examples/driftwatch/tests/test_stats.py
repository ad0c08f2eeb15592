from __future__ import annotations

import numpy as np
import pytest

from driftwatch import KSResult, ks_test, psi


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(42)


def test_ks_same_distribution_does_not_drift(rng: np.random.Generator) -> None:
    result = ks_test(rng.normal(size=2000), rng.normal(size=2000))
    assert isinstance(result, KSResult)
    assert not result.drifted()


def test_ks_shifted_distribution_drifts(rng: np.random.Generator) -> None:
    result = ks_test(rng.normal(size=2000), rng.normal(loc=0.5, size=2000))
    assert result.drifted(alpha=0.01)
    assert 0.1 < result.statistic <= 1.0


def test_ks_identical_samples_have_zero_distance() -> None:
    assert ks_test([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]).statistic == 0.0


@pytest.mark.parametrize("bad", [[], [1.0, float("nan")], [float("inf")]])
def test_bad_samples_are_rejected(bad: list[float]) -> None:
    with pytest.raises(ValueError, match="current"):
        ks_test([1.0, 2.0], bad)
    with pytest.raises(ValueError, match="reference"):
        psi(bad, [1.0, 2.0])


def test_psi_is_small_without_shift(rng: np.random.Generator) -> None:
    assert psi(rng.normal(size=5000), rng.normal(size=5000)) < 0.02


def test_psi_grows_with_the_shift(rng: np.random.Generator) -> None:
    ref = rng.normal(size=5000)
    small = psi(ref, rng.normal(loc=0.2, size=5000))
    large = psi(ref, rng.normal(loc=1.0, size=5000))
    assert 0.0 < small < large
    assert large > 0.25


def test_psi_of_a_constant_reference_is_finite() -> None:
    value = psi([3.0] * 100, [3.0] * 50 + [7.0] * 50)
    assert np.isfinite(value)
    assert value > 0.25


def test_psi_needs_two_bins() -> None:
    with pytest.raises(ValueError, match="bins"):
        psi([1.0, 2.0], [1.0, 2.0], bins=1)


@pytest.mark.gpu
def test_psi_on_gpu_arrays() -> None:
    cupy = pytest.importorskip("cupy")
    assert psi(cupy.arange(10).get(), cupy.arange(10).get()) == 0.0
