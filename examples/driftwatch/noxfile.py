# /// script
# dependencies = ["nox>=2025.10", "mlrelease"]
# tool.nox.script-venv-backend = "virtualenv"
# ///
import noxsessions

noxsessions.register()
