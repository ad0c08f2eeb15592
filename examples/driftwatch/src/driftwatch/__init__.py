"""driftwatch: detect data drift between a reference sample and production data."""

from driftwatch.monitor import DriftMonitor, DriftReport
from driftwatch.stats import KSResult, ks_test, psi

__all__ = ["DriftMonitor", "DriftReport", "KSResult", "__version__", "ks_test", "psi"]

__version__ = "0.1.0"
