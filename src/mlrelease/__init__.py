"""mlrelease: one ``[tool.mlrelease]`` table drives lint, tests, docs, build, versioning and publishing."""

from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["__version__"]  # the library API: mlrelease.project, mlrelease.stages, noxsessions
