# /// script
# dependencies = ["nox>=2025.10", "mlrelease"]
# ///
"""mlrelease's own sessions: the shared ones, from [tool.mlrelease] in pyproject.toml."""

import noxsessions

noxsessions.register()
