# /// script
# dependencies = ["nox>=2025.10", "mlrelease>=0.1.0,<0.2"]
# tool.nox.script-venv-backend = "virtualenv"
# ///
"""The shared nox sessions of mlrelease (`nox -l` lists them)."""

import noxsessions

noxsessions.register()
