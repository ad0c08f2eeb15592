# /// script
# dependencies = ["nox>=2024.10", "mlrelease"]
# ///
"""The shared nox sessions of mlrelease: lint, tests, docs, build (`nox -l` lists them)."""

import noxsessions

noxsessions.register()
